"""Scenarios: validation naming the field, the true MTD and the doses above it."""

from __future__ import annotations

import pytest

from mexards.domain.errors import ValidationError, ValidationErrors
from mexards.dosefinding import BOIN, ThreePlusThree
from mexards.simulation.scenario import DoseFindingScenario, for_design, parse_probabilities


def test_the_true_mtd_is_the_highest_dose_at_or_below_the_target() -> None:
    scenario = DoseFindingScenario((0.10, 0.25, 0.40), 3, 6, target=0.25)
    assert scenario.true_mtd == 2
    assert scenario.above_mtd == (False, False, True)
    assert scenario.max_patients == 18


def test_every_dose_is_above_the_mtd_when_all_are_too_toxic() -> None:
    scenario = DoseFindingScenario((0.50, 0.60, 0.70), 3, 6, target=0.25)
    assert scenario.true_mtd is None
    assert scenario.above_mtd == (True, True, True)


def test_without_a_target_there_is_no_true_mtd() -> None:
    scenario = DoseFindingScenario((0.1, 0.2), 3, 2)
    assert scenario.true_mtd is None and scenario.above_mtd is None


def test_all_bad_fields_are_reported_together() -> None:
    with pytest.raises(ValidationErrors) as info:
        DoseFindingScenario((0.1, 1.5), 0, 0, start_dose=3, target=1.0)
    fields = {e.field for e in info.value.errors}
    assert fields == {"true_tox[1]", "cohort_size", "num_cohorts", "start_dose", "target"}


def test_a_scenario_needs_at_least_one_dose() -> None:
    with pytest.raises(ValidationErrors) as info:
        DoseFindingScenario((), 3, 2)
    assert info.value.errors[0].field == "true_tox"


def test_the_scenario_takes_the_target_of_the_design_when_it_has_none() -> None:
    scenario = for_design(DoseFindingScenario((0.1, 0.2, 0.3), 3, 4), BOIN(3, 0.3))
    assert scenario.target == 0.3
    assert for_design(DoseFindingScenario((0.1, 0.2, 0.3), 3, 4), ThreePlusThree(3)).target is None


def test_the_scenario_must_have_one_probability_per_dose_of_the_design() -> None:
    with pytest.raises(ValidationError) as info:
        for_design(DoseFindingScenario((0.1, 0.2), 3, 4), BOIN(3, 0.3))
    assert info.value.field == "true_tox"
    assert "design has 3" in info.value.rule


def test_probabilities_are_parsed_from_comma_separated_text() -> None:
    assert parse_probabilities("0.10, 0.25,0.4", "true_tox") == (0.10, 0.25, 0.4)


@pytest.mark.parametrize(
    ("text", "field"),
    [("0.1,abc", "true_tox[1]"), ("0.1,,0.3", "true_tox"), ("", "true_tox"), ("0.2,1.2", "true_tox[1]")],
)
def test_bad_probability_text_names_the_position(text: str, field: str) -> None:
    with pytest.raises(ValidationError) as info:
        parse_probabilities(text, "true_tox")
    assert info.value.field == field
