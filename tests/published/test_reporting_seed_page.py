"""The study page and registry export against the public registry page of NCT04602104.

Source: /work/shared/seeds/NCT04602104-MEXARDS.txt (the registry record as shown on the public study page,
last updated 2024-07-22): its section headings, the values it shows and the related trials it lists. Text
matches are exact.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mexards.protocol import builtin_protocol, list_builtin_protocols
from mexards.reporting.page import render_study_page
from mexards.reporting.registry import registry_protocol_section

SEED = Path("/work/shared/seeds/NCT04602104-MEXARDS.txt")

HEADINGS = (
    "Study Results",
    "Basic Information",
    "Brief Summary",
    "Related Clinical Trials",
    "Detailed Description",
    "Conditions",
    "Study Design",
    "Study Groups",
    "Interventions",
    "Eligibility Criteria",
    "Inclusion Criteria",
    "Exclusion Criteria",
    "Sponsors",
    "Responsible Party",
    "Locations",
    "Countries",
    "Other Identifiers",
    "More Related Trials",
)
"""The section headings of the seed page, in order."""

pytestmark = pytest.mark.skipif(not SEED.exists(), reason="seed record not present")


@pytest.fixture(scope="module")
def page() -> str:
    candidates = [builtin_protocol(p) for p in list_builtin_protocols()]
    return render_study_page(builtin_protocol("NCT04602104"), candidates)


def test_the_seed_has_these_headings_in_this_order() -> None:
    lines = SEED.read_text(encoding="utf-8").splitlines()
    positions = [lines.index(heading) for heading in HEADINGS]
    assert positions == sorted(positions)


def test_the_page_has_every_seed_section_heading_in_the_seed_order(page: str) -> None:
    positions = [page.index(f">{heading}</h") for heading in HEADINGS]
    assert positions == sorted(positions)


@pytest.mark.parametrize(
    "shown",
    [
        "NCT04602104",
        "COMPLETED",
        "PHASE1/PHASE2",
        "18 participants",
        "INTERVENTIONAL",
        "2020-11-30",
        "2023-01-11",
        "18 Years",
        "70 Years",
        "Shanghai AbelZeta Ltd.",
        "INDUSTRY",
        "Ruijin Hospital",
        "Ruijin Hospital, Medical School of Shanghai Jiaotong University",
        "Shanghai, Shanghai Municipality, China",
        "MEXARDS",
        "org_study_id",
        "Last Updated: 2024-07-22",
    ],
)
def test_the_page_shows_the_values_of_the_seed(page: str, shown: str) -> None:
    assert shown in SEED.read_text(encoding="utf-8")
    assert shown in page


def test_the_page_lists_the_seed_arms_and_their_interventions(page: str) -> None:
    for label in (
        "Phase 1: hMSC-Exos low dose",
        "Phase 1: hMSC-Exos medium dose",
        "Phase 1: hMSC-Exos high dose",
        "Phase 2: hMSC-Exos dosage 1",
        "Phase 2: hMSC-Exos dosage 2",
        "Phase 2: control group",
        "low dose hMSC-Exos",
        "No hMSC-derived exosomes",
    ):
        assert label in page


def test_the_related_trials_the_seed_lists_among_our_protocols_are_found(page: str) -> None:
    seed = SEED.read_text(encoding="utf-8")
    related = page[page.index(">Related Clinical Trials</h2>") : page.index(">Detailed Description</h2>")]
    for registry_id in list_builtin_protocols():
        if registry_id != "NCT04602104":
            assert registry_id in seed and registry_id in related


def test_the_registry_export_has_the_seed_design_and_eligibility_words() -> None:
    section = registry_protocol_section(builtin_protocol("NCT04602104"))
    design = section["designModule"]["designInfo"]
    assert [
        design["allocation"],
        design["interventionModel"],
        design["primaryPurpose"],
        design["maskingInfo"]["masking"],
    ] == ["RANDOMIZED", "PARALLEL", "TREATMENT", "DOUBLE"]
    eligibility = section["eligibilityModule"]
    assert (eligibility["minimumAge"], eligibility["maximumAge"], eligibility["sex"]) == (
        "18 Years",
        "70 Years",
        "ALL",
    )
    assert eligibility["healthyVolunteers"] is False
    assert section["sponsorCollaboratorsModule"]["collaborators"][0] == {
        "name": "Shanghai AbelZeta Ltd.",
        "class": "INDUSTRY",
    }
