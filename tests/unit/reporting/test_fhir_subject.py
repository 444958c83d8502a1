"""FHIR R5 ResearchSubject and Patient resources of a simulated trial: validated with fhir.resources and our
value-set checks, pseudonymous, and masked for blinded exports."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from mexards.reporting.fhir import fhir_bundle, fhir_errors
from mexards.reporting.fhir_subject import comparison_group_id, subject_resources
from mexards.services.results import clinical_records
from tests.unit.reporting.conftest import clinical_trial
from tests.unit.services.conftest import PROTOCOL, STATISTICIAN, UNBLINDED_STATISTICIAN
from tests.unit.services.test_results import SimulatedTrial


@pytest.fixture(scope="module")
def sim() -> SimulatedTrial:
    return clinical_trial(seed=31)


def _bundle(sim: SimulatedTrial, unblinded: bool) -> dict[str, Any]:
    actor = UNBLINDED_STATISTICIAN if unblinded else STATISTICIAN
    records = clinical_records(sim.uow, actor, PROTOCOL, unblinded=unblinded)
    return fhir_bundle(PROTOCOL, subjects=subject_resources(PROTOCOL, records))


def _of(bundle: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind]


@pytest.mark.parametrize("unblinded", [False, True])
def test_the_bundle_with_participants_is_valid(sim: SimulatedTrial, unblinded: bool) -> None:
    bundle = _bundle(sim, unblinded)
    assert fhir_errors(bundle) == []
    with sim.uow as u:
        people = u.participants.list()
    subjects, patients = _of(bundle, "ResearchSubject"), _of(bundle, "Patient")
    assert len(subjects) == len(patients) == len(people)
    urls = {e["fullUrl"] for e in bundle["entry"]}
    assert all(s["subject"]["reference"] in urls and s["study"]["reference"] in urls for s in subjects)


def test_patients_are_pseudonymous(sim: SimulatedTrial) -> None:
    for patient in _of(_bundle(sim, False), "Patient"):
        assert not {"name", "address", "telecom", "photo", "contact"} & set(patient)
        assert len(patient.get("birthDate", "2000")) == 4
        assert patient["gender"] in {"male", "female", "unknown"}


def test_before_unblinding_no_randomised_participant_has_a_comparison_group(sim: SimulatedTrial) -> None:
    subjects = {s["identifier"][0]["value"]: s for s in _of(_bundle(sim, False), "ResearchSubject")}
    for pid in sim.phase2:
        subject = subjects[str(pid)]
        assert "assignedComparisonGroup" not in subject and "actualComparisonGroup" not in subject
    for pid in sim.phase1:
        assert subjects[str(pid)]["assignedComparisonGroup"].startswith("p1-")


def test_after_unblinding_each_randomised_participant_has_the_arm_of_their_slot(sim: SimulatedTrial) -> None:
    records = clinical_records(sim.uow, UNBLINDED_STATISTICIAN, PROTOCOL, unblinded=True)
    subjects = {s["identifier"][0]["value"]: s for s in _of(_bundle(sim, True), "ResearchSubject")}
    for pid, arm in records.phase2_arm.items():
        assert subjects[str(pid)]["assignedComparisonGroup"] == comparison_group_id(arm)
    for pid in sim.never_dosed:
        assert "actualComparisonGroup" not in subjects[str(pid)]


def test_progress_states_and_milestones_follow_the_participant(sim: SimulatedTrial) -> None:
    subjects = {s["identifier"][0]["value"]: s for s in _of(_bundle(sim, False), "ResearchSubject")}

    def state(pid: object) -> str:
        return str(subjects[str(pid)]["progress"][0]["subjectState"]["coding"][0]["code"])

    assert {state(p) for p in sim.withdrawn} == {"withdrawn"}
    assert {state(p) for p in sim.completed + sim.died + sim.lost} == {"off-study"}
    milestones = [p["milestone"]["coding"][0]["code"] for p in subjects[str(sim.phase2[0])]["progress"][1:]]
    assert milestones == ["Screened", "Randomized"]


@pytest.mark.parametrize(("path", "value", "message"), [
    (("status",), "bogus", "PublicationStatus"),
    (("progress", 0, "subjectState", "coding", 0, "code"), "dancing", "research-subject-state"),
    (("assignedComparisonGroup",), "p9-nowhere", "is not a comparisonGroup of the study"),
])
def test_a_code_outside_its_value_set_is_found(sim: SimulatedTrial, path: tuple[Any, ...], value: str,
                                               message: str) -> None:
    bundle = copy.deepcopy(_bundle(sim, False))
    node: Any = _of(bundle, "ResearchSubject")[0]
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = value
    errors = fhir_errors(bundle)
    assert any(message in e for e in errors), errors
