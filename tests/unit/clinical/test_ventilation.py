"""Ventilator-free days to Day 28 (Schoenfeld & Bernard 2002; clinical.md 3.7)."""

import pytest

from mexards.clinical.ventilation import icu_free_days, ventilator_free_days
from mexards.domain.errors import ValidationError


def test_never_ventilated_and_alive_is_28_under_both_conventions() -> None:
    result = ventilator_free_days([])
    assert (result.total, result.ardsnet) == (28, 28)


@pytest.mark.parametrize("death", [0, 5, 27, 28])
def test_death_on_or_before_day_28_is_zero(death: int) -> None:
    result = ventilator_free_days([d for d in (0, 1) if d <= death], death_day=death)
    assert (result.total, result.ardsnet, result.value) == (0, 0, 0)


def test_death_after_day_28_does_not_change_the_count() -> None:
    assert ventilator_free_days([0, 1], death_day=29).total == 26


def test_still_ventilated_on_day_28_is_zero() -> None:
    result = ventilator_free_days(range(29))
    assert result.value == 0
    assert "Day 28" in result.reason


def test_extubated_on_day_28_is_zero_under_both() -> None:
    result = ventilator_free_days(range(28))
    assert (result.total, result.ardsnet) == (0, 0)


def test_reintubation_counts_under_total_but_resets_under_ardsnet() -> None:
    result = ventilator_free_days([0, 1, 2, 20])
    assert result.total == 24
    assert result.ardsnet == 7
    assert result.last_unassisted_start_day == 21


def test_the_convention_picks_the_value() -> None:
    assert ventilator_free_days([0, 20], convention="total").value == 26
    assert ventilator_free_days([0, 20], convention="ardsnet").value == 7


def test_follow_up_ending_before_day_28_alive_is_undetermined() -> None:
    result = ventilator_free_days([0, 1], follow_up_end_day=20)
    assert result.value is None
    assert not result.complete
    assert result.missing


def test_days_before_randomisation_are_ignored_and_duplicates_count_once() -> None:
    assert ventilator_free_days([-2, -1, 0, 0, 1]).total == 26


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"ventilated_days": [0, 1.5]}, "ventilated_days"),
        ({"ventilated_days": [0, 10], "death_day": 5}, "ventilated_days"),
        ({"ventilated_days": [0, 25], "follow_up_end_day": 20}, "ventilated_days"),
        ({"ventilated_days": "0-9"}, "ventilated_days"),
        ({"ventilated_days": [], "convention": "median"}, "convention"),
        ({"ventilated_days": [], "death_day": -1}, "death_day"),
    ],
)
def test_bad_inputs_are_rejected_naming_the_field(kwargs: dict[str, object], field: str) -> None:
    days = kwargs.pop("ventilated_days")
    with pytest.raises(ValidationError) as info:
        ventilator_free_days(days, **kwargs)  # type: ignore[arg-type]
    assert info.value.field == field


def test_icu_free_days_follow_the_same_rule() -> None:
    assert icu_free_days(range(5)).value == 23
