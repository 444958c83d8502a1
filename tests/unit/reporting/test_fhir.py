"""The FHIR R5 bundle: built with fhir.resources and checked against the R5 value sets."""

from __future__ import annotations

import copy
import dataclasses
from datetime import datetime
from typing import Any

import pytest
from fhir.resources.bundle import Bundle
from fhir.resources.group import Group
from fhir.resources.researchstudy import ResearchStudy

from mexards.domain.errors import ValidationError, ValidationErrors
from mexards.protocol.model import Protocol
from mexards.reporting.fhir import ensure_valid_fhir, fhir_bundle, fhir_errors
from mexards.reporting.value_set import PHASE, value_set_errors


def _study(bundle: dict[str, Any]) -> dict[str, Any]:
    resource: dict[str, Any] = bundle["entry"][0]["resource"]
    assert resource["resourceType"] == "ResearchStudy"
    return resource


def test_every_built_in_protocol_gives_a_bundle_fhir_resources_builds_and_our_checks_accept(
    protocol: Protocol, exported_at: datetime
) -> None:
    bundle = fhir_bundle(protocol, created_at=exported_at)
    assert fhir_errors(bundle) == []
    model = Bundle.model_validate(bundle)
    assert model.type == "collection"
    assert isinstance(model.entry[0].resource, ResearchStudy)
    groups = [e.resource for e in model.entry[1:]]
    assert all(isinstance(g, Group) for g in groups) and len(groups) == len(protocol.arms) + 1


def test_the_research_study_carries_the_registry_facts(mexards: Protocol) -> None:
    study = _study(fhir_bundle(mexards))
    assert {"system": "https://clinicaltrials.gov", "value": "NCT04602104", "use": "official"} in study[
        "identifier"
    ]
    assert any(i["value"] == "MEXARDS" for i in study["identifier"])
    assert study["phase"]["coding"][0] == {"system": PHASE, "code": "phase-1-phase-2"}
    assert study["progressStatus"][0]["state"]["coding"][0]["code"] == "completed"
    assert study["recruitment"]["targetNumber"] == 169 and study["recruitment"]["actualNumber"] == 18
    assert study["condition"] == [{"text": "Acute Respiratory Distress Syndrome"}]
    assert study["period"] == {"start": "2020-11-30", "end": "2023-01-11"}
    roles = [(p["name"], p["role"]["coding"][0]["code"]) for p in study["associatedParty"]]
    assert roles == [("Ruijin Hospital", "lead-sponsor"), ("Shanghai AbelZeta Ltd.", "collaborator")]
    assert [g["name"] for g in study["comparisonGroup"]] == [a.label for a in mexards.arms]
    control = study["comparisonGroup"][-1]
    assert control["type"]["coding"][0]["code"] == "placebo-comparator"
    assert [o["type"][0]["coding"][0]["code"] for o in study["outcomeMeasure"]][:3] == [
        "primary",
        "primary",
        "secondary",
    ]
    assert [c["coding"][0]["code"] for c in study["studyDesign"]] == ["SEVCO:01001", "SEVCO:01003"]


def test_arms_and_eligibility_are_groups_the_study_references(mexards: Protocol) -> None:
    bundle = fhir_bundle(mexards)
    urls = {e["fullUrl"]: e["resource"] for e in bundle["entry"]}
    study = _study(bundle)
    eligibility = urls[study["recruitment"]["eligibility"]["reference"]]
    assert eligibility["resourceType"] == "Group" and "Exclusion Criteria:" in eligibility["description"]
    excluded = [c["exclude"] for c in eligibility["characteristic"]]
    assert excluded == [False] * 5 + [True] * 21
    for group in study["comparisonGroup"]:
        arm = urls[group["observedGroup"]["reference"]]
        assert arm["name"] == group["name"] and arm["membership"] == "definitional"


def test_ids_are_stable_so_repeated_exports_differ_only_in_the_timestamp(
    mexards: Protocol, exported_at: datetime
) -> None:
    first, second = fhir_bundle(mexards, created_at=exported_at), fhir_bundle(mexards)
    second["timestamp"] = first["timestamp"]
    assert first == second


def test_a_bogus_study_status_is_rejected_by_our_check_though_fhir_resources_accepts_it(
    mexards: Protocol,
) -> None:
    bundle = fhir_bundle(mexards)
    _study(bundle)["status"] = "bogus"
    Bundle.model_validate(bundle)
    errors = fhir_errors(bundle)
    assert errors == [
        "Bundle.entry[0].ResearchStudy.status: 'bogus' is not in the PublicationStatus value set "
        "(active, draft, retired, unknown)"
    ]
    with pytest.raises(ValidationErrors):
        ensure_valid_fhir(bundle)


@pytest.mark.parametrize(
    ("path", "value", "expected"),
    [
        (("phase", "coding", 0, "code"), "phase-12", "phase-12"),
        (("comparisonGroup", 0, "type", "coding", 0, "code"), "treatment-arm", "treatment-arm"),
        (("associatedParty", 0, "role", "coding", 0, "code"), "owner", "owner"),
        (("progressStatus", 0, "state", "coding", 0, "code"), "finished", "finished"),
        (("phase", "coding", 0, "system"), "http://example.org/phases", "must be coded from"),
    ],
)
def test_bogus_codes_in_bound_elements_are_rejected(
    mexards: Protocol, path: tuple[str | int, ...], value: str, expected: str
) -> None:
    bundle = fhir_bundle(mexards)
    node: Any = _study(bundle)
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = value
    errors = value_set_errors(bundle)
    assert len(errors) == 1 and expected in errors[0]


def test_group_type_membership_and_bundle_type_are_checked(mexards: Protocol) -> None:
    bundle = copy.deepcopy(fhir_bundle(mexards))
    bundle["type"] = "pile"
    bundle["entry"][1]["resource"]["type"] = "people"
    bundle["entry"][2]["resource"]["membership"] = "sometimes"
    errors = value_set_errors(bundle)
    assert len(errors) == 3
    assert errors[0].startswith("Bundle.type: 'pile'")


def test_structural_errors_come_from_fhir_resources(mexards: Protocol) -> None:
    bundle = fhir_bundle(mexards)
    del _study(bundle)["status"]
    errors = fhir_errors(bundle)
    assert errors and all(e.startswith("fhir.resources:") for e in errors)
    assert any("status" in e for e in errors)


def test_a_reference_to_a_resource_outside_the_bundle_is_reported(mexards: Protocol) -> None:
    bundle = fhir_bundle(mexards)
    _study(bundle)["recruitment"]["eligibility"]["reference"] = (
        "urn:uuid:00000000-0000-0000-0000-000000000000"
    )
    assert fhir_errors(bundle) == [
        "bundle.entry[0].resource.recruitment.eligibility: reference "
        "urn:uuid:00000000-0000-0000-0000-000000000000 is not in the bundle"
    ]


def test_unknown_registry_status_gives_no_progress_state_and_a_naive_time_is_refused(
    mexards: Protocol,
) -> None:
    ident = dataclasses.replace(mexards.identification, status="UNKNOWN")
    bundle = fhir_bundle(dataclasses.replace(mexards, identification=ident))
    assert "progressStatus" not in _study(bundle) and fhir_errors(bundle) == []
    with pytest.raises(ValidationError):
        fhir_bundle(mexards, created_at=datetime(2024, 1, 1))
