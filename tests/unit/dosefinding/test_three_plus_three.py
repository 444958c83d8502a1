"""Unit tests of the 3+3 rules (dosefinding.md 3.6; Korn et al. 1994)."""

from __future__ import annotations

import pytest

from mexards.domain.errors import ValidationError
from mexards.dosefinding import ThreePlusThree


def test_no_patients_start_at_dose_1() -> None:
    decision = ThreePlusThree(3).fit("")
    assert decision.recommended_dose == 1 and decision.should_continue and decision.mtd is None


def test_one_dlt_in_three_treats_three_more_at_the_same_dose() -> None:
    decision = ThreePlusThree(3).fit("1NNT")
    assert decision.recommended_dose == 1 and decision.should_continue
    assert "treat 3 more" in decision.reason


def test_two_dlts_are_decisive_before_the_cohort_is_complete() -> None:
    decision = ThreePlusThree(3).fit("1NNN 2TT")
    assert not decision.should_continue and decision.mtd == 1


def test_partial_cohorts_stay_until_three_patients() -> None:
    assert ThreePlusThree(3).fit("1N").recommended_dose == 1
    assert ThreePlusThree(3).fit("1NNN 2NNT 2N").recommended_dose == 2


def test_v1_failure_at_dose_1_stops_with_no_dose() -> None:
    decision = ThreePlusThree(3).fit("1TTN")
    assert decision.recommended_dose is None and decision.mtd is None and not decision.should_continue
    assert decision.admissible_doses == ()


def test_v2_walks_down_until_a_dose_has_at_most_one_of_six() -> None:
    design = ThreePlusThree(4, allow_deescalate=True)
    path = "1NNN 2NNN 3NNN 4TTN"
    assert design.fit(path).recommended_dose == 3
    assert design.fit(f"{path} 3TTN").recommended_dose == 2
    final = design.fit(f"{path} 3TTN 2NNT")
    assert not final.should_continue and final.mtd == 2


def test_v2_with_no_qualifying_dose_selects_none() -> None:
    design = ThreePlusThree(2, allow_deescalate=True)
    final = design.fit("1NNN 2TTN 1TTN")
    assert not final.should_continue and final.recommended_dose is None


def test_v2_completes_six_at_a_dose_below_a_failed_one_before_declaring_it() -> None:
    design = ThreePlusThree(3, allow_deescalate=True)
    decision = design.fit("1NNN 2TTN 1NNN")
    assert decision.mtd == 1 and not decision.should_continue


def test_passing_the_top_dose_stops_with_it_as_mtd() -> None:
    decision = ThreePlusThree(2).fit("1NNN 2NNT 2NNN")
    assert not decision.should_continue and decision.mtd == 2 and decision.recommended_dose == 2


def test_more_than_six_patients_at_a_dose_is_an_input_error() -> None:
    with pytest.raises(ValidationError) as info:
        ThreePlusThree(3).fit("1NNN 1NNN 1N")
    assert info.value.field == "outcomes"


def test_num_doses_must_be_positive() -> None:
    with pytest.raises(ValidationError):
        ThreePlusThree(0)


def test_names_say_which_variant() -> None:
    assert ThreePlusThree(3).name == "3+3"
    assert "de-escalation" in ThreePlusThree(3, allow_deescalate=True).name
