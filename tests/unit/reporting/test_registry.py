"""The registry protocol section and its JSON schema."""

from __future__ import annotations

import dataclasses

import pytest

from mexards.domain.errors import ValidationErrors
from mexards.protocol.model import Protocol
from mexards.reporting.registry import (
    eligibility_text,
    ensure_valid_registry,
    intervention_label,
    registry_errors,
    registry_phases,
    registry_protocol_section,
    standard_ages,
)

MODULES = [
    "identificationModule",
    "statusModule",
    "sponsorCollaboratorsModule",
    "descriptionModule",
    "conditionsModule",
    "designModule",
    "armsInterventionsModule",
    "outcomesModule",
    "eligibilityModule",
    "contactsLocationsModule",
]


def test_every_built_in_protocol_gives_all_ten_modules_and_passes_the_schema(protocol: Protocol) -> None:
    section = registry_protocol_section(protocol)
    assert list(section) == MODULES
    assert registry_errors(section) == []


def test_mexards_section_matches_the_registry_record(mexards: Protocol) -> None:
    section = registry_protocol_section(mexards)
    assert section["identificationModule"]["orgStudyIdInfo"] == {"id": "MEXARDS"}
    assert section["statusModule"]["overallStatus"] == "COMPLETED"
    assert section["statusModule"]["startDateStruct"] == {"date": "2020-11-30", "type": "ACTUAL"}
    design = section["designModule"]
    assert design["phases"] == ["PHASE1", "PHASE2"]
    assert design["designInfo"] == {
        "allocation": "RANDOMIZED",
        "interventionModel": "PARALLEL",
        "primaryPurpose": "TREATMENT",
        "maskingInfo": {"masking": "DOUBLE", "whoMasked": ["PARTICIPANT", "INVESTIGATOR"]},
    }
    assert design["enrollmentInfo"] == {"count": 18, "type": "ACTUAL"}
    eligibility = section["eligibilityModule"]
    assert eligibility["minimumAge"] == "18 Years" and eligibility["maximumAge"] == "70 Years"
    assert eligibility["stdAges"] == ["ADULT", "OLDER_ADULT"] and eligibility["healthyVolunteers"] is False
    arms = section["armsInterventionsModule"]
    assert arms["armGroups"][-1]["type"] == "PLACEBO_COMPARATOR"
    assert arms["armGroups"][0]["interventionNames"] == ["Biological: low dose hMSC-Exos"]
    assert arms["interventions"][-1]["armGroupLabels"] == ["Phase 2: control group"]
    assert [o["measure"] for o in section["outcomesModule"]["otherOutcomes"]] == [
        "60-day all-cause mortality"
    ]
    assert section["contactsLocationsModule"]["locations"] == [
        {
            "facility": "Ruijin Hospital, Medical School of Shanghai Jiaotong University",
            "city": "Shanghai",
            "state": "Shanghai Municipality",
            "country": "China",
        }
    ]
    collaborators = section["sponsorCollaboratorsModule"]["collaborators"]
    assert collaborators == [{"name": "Shanghai AbelZeta Ltd.", "class": "INDUSTRY"}]


def test_eligibility_text_has_the_registry_headings_and_numbering(mexards: Protocol) -> None:
    text = eligibility_text(mexards)
    assert text.startswith("Inclusion Criteria:\n\n1. The subjects themselves")
    assert "\n\nExclusion Criteria:\n\n1. Patients with severe allergic constitution." in text
    assert text.endswith("not receiving relevant supportive treatment).")


def test_planned_enrollment_is_estimated_when_no_actual_count_is_known(all_protocols: list[Protocol]) -> None:
    adipose = next(p for p in all_protocols if p.registry_id == "NCT01902082")
    section = registry_protocol_section(adipose)
    assert section["designModule"]["enrollmentInfo"] == {"count": 20, "type": "ESTIMATED"}
    assert "maskingInfo" not in section["designModule"]["designInfo"]
    assert "maximumAge" not in section["eligibilityModule"]


def test_an_ongoing_study_has_actual_start_and_estimated_completion(mexards: Protocol) -> None:
    ident = dataclasses.replace(mexards.identification, status="RECRUITING")
    status = registry_protocol_section(dataclasses.replace(mexards, identification=ident))["statusModule"]
    assert status["startDateStruct"]["type"] == "ACTUAL"
    assert status["completionDateStruct"]["type"] == "ESTIMATED"


@pytest.mark.parametrize(
    ("low", "high", "groups"),
    [
        (18, 70, ["ADULT", "OLDER_ADULT"]),
        (18, 45, ["ADULT"]),
        (18, None, ["ADULT", "OLDER_ADULT"]),
        (None, 17, ["CHILD"]),
        (12, 64, ["CHILD", "ADULT"]),
        (65, None, ["OLDER_ADULT"]),
        (17, 18, ["CHILD", "ADULT"]),
    ],
)
def test_standard_age_groups_are_those_the_age_range_overlaps(
    low: int | None, high: int | None, groups: list[str]
) -> None:
    assert standard_ages(low, high) == groups


def test_phases_and_intervention_labels_use_the_registry_words() -> None:
    assert registry_phases("PHASE2/PHASE3") == ["PHASE2", "PHASE3"] and registry_phases("NA") == ["NA"]
    assert intervention_label("DRUG", "Placebo") == "Drug: Placebo"


def test_the_schema_rejects_a_wrong_enum_word_and_a_string_count(mexards: Protocol) -> None:
    section = registry_protocol_section(mexards)
    section["designModule"]["designInfo"]["allocation"] = "RANDOMISED"
    section["designModule"]["enrollmentInfo"]["count"] = "18"
    errors = registry_errors(section)
    assert len(errors) == 2 and errors[0].startswith("designModule.designInfo.allocation:")
    with pytest.raises(ValidationErrors) as caught:
        ensure_valid_registry(section)
    assert {e.field for e in caught.value.errors} == {
        "protocolSection.designModule.designInfo.allocation",
        "protocolSection.designModule.enrollmentInfo.count",
    }


def test_the_schema_requires_every_emitted_module(mexards: Protocol) -> None:
    section = registry_protocol_section(mexards)
    del section["eligibilityModule"]
    assert registry_errors(section) == ["(root): 'eligibilityModule' is a required property"]
