"""SDTM subject-level datasets (DM, DS, EX, AE, VS, LB, SV) of a simulated trial: conformance, agreement with
the database, pyreadstat round trip of the SAS V5 transport files, and blinding."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import pytest

from mexards.domain.errors import PermissionDeniedError, ValidationErrors
from mexards.reporting.conformance import check_datasets
from mexards.reporting.dataset import Dataset
from mexards.reporting.sdtm_finding import SUBJECT_DOMAINS, arm_words, blinding_findings
from mexards.reporting.transport import read_xpt, write_datasets
from mexards.reporting.trial_design import arm_codes
from mexards.reporting.writer import actor_records, sdtm_datasets, write_sdtm
from mexards.services.allocation import arm_daily_dose_particles
from mexards.services.results import (
    NOT_CODED,
    ClinicalRecords,
    analysis_dataset,
    clinical_records,
    system_organ_class,
)
from tests.unit.reporting.conftest import clinical_trial
from tests.unit.services.conftest import PROTOCOL, STATISTICIAN, UNBLINDED_STATISTICIAN
from tests.unit.services.test_results import SimulatedTrial


@pytest.fixture(scope="module")
def sim() -> SimulatedTrial:
    return clinical_trial()


@pytest.fixture(scope="module")
def masked(sim: SimulatedTrial) -> dict[str, Dataset]:
    return sdtm_datasets(PROTOCOL, clinical_records(sim.uow, STATISTICIAN, PROTOCOL))


@pytest.fixture(scope="module")
def unblinded(sim: SimulatedTrial) -> dict[str, Dataset]:
    return sdtm_datasets(PROTOCOL, clinical_records(sim.uow, UNBLINDED_STATISTICIAN, PROTOCOL, unblinded=True))


def _rows(datasets: dict[str, Dataset], name: str, **where: object) -> list[dict[str, object]]:
    return [r for r in datasets[name].rows if all(r.get(k) == v for k, v in where.items())]


@pytest.mark.parametrize("variant", ["masked", "unblinded"])
def test_every_subject_level_domain_is_built_and_conformant(variant: str, request: pytest.FixtureRequest) -> None:
    datasets = request.getfixturevalue(variant)
    assert set(SUBJECT_DOMAINS) <= set(datasets)
    assert all(datasets[name].rows for name in SUBJECT_DOMAINS)
    assert [f for f in check_datasets(datasets) if f.severity == "error"] == []


def test_dm_has_every_screened_participant_once_with_the_reason_when_no_arm(
    sim: SimulatedTrial, masked: dict[str, Dataset]
) -> None:
    with sim.uow as u:
        people = u.participants.list()
    dm = masked["DM"]
    assert sorted(dm.column("SUBJID")) == sorted(str(p.participant_id) for p in people)
    never = {str(p) for p in sim.never_dosed}
    for row in dm.rows:
        if row["SUBJID"] in never:
            assert row["ARMNRS"] == "ASSIGNED, NOT TREATED" and row["ACTARMCD"] is None
    ineligible = [p for p in people if p.state.value == "ineligible"]
    assert ineligible and all(_rows(masked, "DM", SUBJID=str(p.participant_id))[0]["ARMNRS"] == "SCREEN FAILURE"
                              for p in ineligible)
    died = _rows(masked, "DM", DTHFL="Y")
    assert sorted(r["SUBJID"] for r in died) == sorted(str(p) for p in sim.died)


def test_masked_datasets_name_no_phase_2_arm_and_give_study_drug_with_its_volume(
    sim: SimulatedTrial, masked: dict[str, Dataset]
) -> None:
    assert blinding_findings(masked, PROTOCOL) == []
    phase2 = {f"MEXARDS-{p}" for p in sim.phase2}
    for row in masked["DM"].rows:
        if row["USUBJID"] in phase2:
            assert row["ARMCD"] == row["ARM"] == "BLINDED"
    doses = [r for r in masked["EX"].rows if r["USUBJID"] in phase2]
    assert doses and {(r["EXTRT"], r["EXDOSU"]) for r in doses} == {("STUDY DRUG", "mL")}
    assert all(r["EXREFID"] for r in doses)
    text = repr([ds.rows for name, ds in masked.items() if name in SUBJECT_DOMAINS])
    assert not any(word in text for word in arm_words(PROTOCOL))


def test_unblinded_datasets_follow_the_sealed_list_and_the_declared_mtd(
    sim: SimulatedTrial, unblinded: dict[str, Dataset]
) -> None:
    by_arm = analysis_dataset(sim.uow, UNBLINDED_STATISTICIAN, PROTOCOL, by_arm=True)
    codes = arm_codes(PROTOCOL)
    with sim.uow as u:
        trial = u.trial.get()
    for person in by_arm.participants:
        if person.phase != 2 or person.group_id is None:
            continue
        (row,) = _rows(unblinded, "DM", SUBJID=str(person.participant_id))
        assert row["ARMCD"] == codes[person.group_id]
        for dose in _rows(unblinded, "EX", USUBJID=row["USUBJID"]):
            assert dose["EXDOSE"] == arm_daily_dose_particles(PROTOCOL, trial, person.group_id)
            assert dose["EXTRT"] == PROTOCOL.intervention(PROTOCOL.arm(person.group_id).interventions[0]).name


def test_an_unblinded_export_needs_the_lock_and_an_unblinded_role() -> None:
    unlocked = clinical_trial(lock=False, seed=5)
    with pytest.raises(PermissionDeniedError, match="lock") as caught:
        clinical_records(unlocked.uow, UNBLINDED_STATISTICIAN, PROTOCOL, unblinded=True)
    assert not any(word in str(caught.value) for word in arm_words(PROTOCOL))
    assert actor_records(unlocked.uow, UNBLINDED_STATISTICIAN, PROTOCOL).unblinded is False
    with pytest.raises(PermissionDeniedError):
        clinical_records(unlocked.uow, STATISTICIAN, PROTOCOL, unblinded=True)


def test_disposition_agrees_with_the_database(sim: SimulatedTrial, masked: dict[str, Dataset]) -> None:
    def subjects(decod: str) -> list[str]:
        return sorted(str(r["USUBJID"]).removeprefix("MEXARDS-") for r in _rows(masked, "DS", DSDECOD=decod))

    assert subjects("DEATH") == sorted(str(p) for p in sim.died)
    assert subjects("LOST TO FOLLOW-UP") == sorted(str(p) for p in sim.lost)
    assert subjects("COMPLETED") == sorted(str(p) for p in sim.completed)
    assert len(subjects("RANDOMIZED")) == len(sim.phase2)
    consent = _rows(masked, "DS", DSDECOD="INFORMED CONSENT OBTAINED")
    assert consent and {r["DSCAT"] for r in consent} == {"PROTOCOL MILESTONE"}


def test_adverse_events_keep_grade_seriousness_causality_and_body_system(
    sim: SimulatedTrial, masked: dict[str, Dataset]
) -> None:
    with sim.uow as u:
        events = u.adverse_events.list()
    ae = masked["AE"]
    assert len(ae.rows) == len(events)
    by_term = {(r["USUBJID"], r["AESTDTC"], r["AETERM"]): r for r in ae.rows}
    for event in events:
        row = by_term[(f"MEXARDS-{event.participant_id}", event.onset_at.strftime("%Y-%m-%dT%H:%M:%S"), event.term)]
        assert row["AETOXGR"] == str(int(event.ctcae_grade))
        assert row["AESER"] == ("Y" if event.is_serious else "N")
        assert (row["AESHOSP"] == "Y") == ("hospitalisation" in event.seriousness)
    for row in ae.rows:
        soc = system_organ_class(str(row["AETERM"]))
        assert row["AEBODSYS"] == (None if soc == NOT_CODED else soc) and row["AEDECOD"] == row["AETERM"]


def test_visits_vital_signs_and_labs_come_from_the_records(sim: SimulatedTrial, masked: dict[str, Dataset]) -> None:
    missed = _rows(masked, "SV", SVOCCUR="N")
    assert len(missed) == 3 and {r["SVREASOC"] for r in missed} == {"Patient in CT scanner"}
    assert {r["VISITNUM"] for r in missed} == {4}  # Day 3 is the fourth visit of the schedule, as in TV
    pre = _rows(masked, "VS", VSTESTCD="SYSBP")
    assert len(pre) == 3 and all(r["VSTPT"] == "PRE-DOSE" and r["EPOCH"] == "SCREENING" for r in pre)
    assert all(r["VSLOBXFL"] == "Y" for r in pre)
    with sim.uow as u:
        il6 = [r for r in u.crf_records.list() if r.form_id == "labs" and r.values.get("il6_pg_ml") is not None]
    assert len(_rows(masked, "LB", LBTESTCD="IL6")) == len(il6)
    flagged = [(r["USUBJID"], r["LBTESTCD"]) for r in masked["LB"].rows if r["LBLOBXFL"] == "Y"]
    assert len(flagged) == len(set(flagged))


def test_xpt_files_are_read_back_by_pyreadstat_with_the_same_values(
    masked: dict[str, Dataset], tmp_path: Path
) -> None:
    write_datasets(masked, tmp_path)
    for name in SUBJECT_DOMAINS:
        dataset = masked[name]
        frame, labels, member, label = read_xpt(tmp_path / f"{name.lower()}.xpt")
        assert member == name and label == dataset.label
        assert list(frame.columns) == [v.name for v in dataset.variables]
        assert labels == {v.name: v.label for v in dataset.variables}
        for variable in dataset.variables:
            for got, want in zip(frame[variable.name], dataset.column(variable.name), strict=True):
                if variable.kind == "Num":
                    assert (math.isnan(got) and want is None) or got == want, (name, variable.name)
                else:
                    assert got == ("" if want is None else want), (name, variable.name)


@pytest.mark.parametrize(("domain", "variable", "value", "rule"), [
    ("AE", "AESTDTC", "12/03/2025", "SD-ISO8601"),
    ("DM", "SEX", "Male", "SD-CT"),
    ("AE", "AETOXGR", "6", "SD-CT"),
    ("AE", "USUBJID", "MEXARDS-NOBODY", "SD-USUBJID"),
    ("SV", "VISITNUM", 42, "SD-VISITNUM"),
    ("DM", "ARMCD", "P9_UNKNOWN", "DM-TA"),
    ("EX", "EXSEQ", None, "SD-REQ"),
])
def test_a_broken_value_is_found_naming_the_dataset_variable_and_rule(
    masked: dict[str, Dataset], domain: str, variable: str, value: object, rule: str
) -> None:
    dataset = masked[domain]
    rows = [dict(r) for r in dataset.rows]
    rows[0][variable] = value
    broken = {**masked, domain: dataclasses.replace(dataset, rows=tuple(rows))}
    found = [f for f in check_datasets(broken) if f.rule == rule and f.severity == "error"]
    assert found and found[0].dataset == domain and found[0].variable == variable


def test_a_duplicate_sequence_number_within_a_subject_is_found(masked: dict[str, Dataset]) -> None:
    rows = [dict(r) for r in masked["AE"].rows]
    twin = next(i for i in range(1, len(rows)) if rows[i]["USUBJID"] == rows[i - 1]["USUBJID"])
    rows[twin]["AESEQ"] = rows[twin - 1]["AESEQ"]
    broken = {**masked, "AE": dataclasses.replace(masked["AE"], rows=tuple(rows))}
    assert any(f.rule == "SD-KEY" and f.dataset == "AE" for f in check_datasets(broken))


def test_a_masked_set_that_names_an_arm_is_refused_before_anything_is_written(
    sim: SimulatedTrial, tmp_path: Path
) -> None:
    records = clinical_records(sim.uow, STATISTICIAN, PROTOCOL)
    leaking: ClinicalRecords = dataclasses.replace(
        records, phase2_arm={pid: "p2_control" for pid in sim.phase2})
    with pytest.raises(ValidationErrors) as caught:
        write_sdtm(PROTOCOL, tmp_path / "out", records=leaking)
    assert any("BLD-ARM" in e.rule for e in caught.value.errors)
    assert not (tmp_path / "out").exists()
