"""Unit tests of the outcome-string grammar (dosefinding.md 1.5: escalation's '1NNN 2NTN')."""

from __future__ import annotations

import pytest

from mexards.domain.errors import ValidationError
from mexards.dosefinding.outcome import Cohort, as_cohorts, counts, format_outcomes, parse_outcomes


def test_two_cohorts_parse_into_doses_and_toxicities() -> None:
    cohorts = parse_outcomes("1NNN 2NTN")
    assert cohorts == (Cohort(1, (False, False, False)), Cohort(2, (False, True, False)))


def test_the_empty_string_means_no_patients() -> None:
    assert parse_outcomes("") == ()
    assert parse_outcomes("   ") == ()


def test_cohorts_without_spaces_and_lower_case_letters_are_accepted() -> None:
    assert parse_outcomes("1nnn2ntn") == parse_outcomes("1NNN 2NTN")


def test_multi_digit_dose_levels_are_read_whole() -> None:
    assert parse_outcomes("12TT")[0].dose == 12


def test_a_bad_letter_is_reported_with_its_position() -> None:
    with pytest.raises(ValidationError) as info:
        parse_outcomes("1NNN 2NXN")
    assert info.value.field == "outcomes[7]"
    assert info.value.rule == "expected N or T"


def test_a_dose_without_patients_is_an_error_at_the_end() -> None:
    with pytest.raises(ValidationError) as info:
        parse_outcomes("1NNN 2")
    assert info.value.field == "outcomes[6]"
    assert info.value.rule == "expected N or T"


def test_letters_without_a_dose_are_an_error() -> None:
    with pytest.raises(ValidationError) as info:
        parse_outcomes("NNN")
    assert info.value.field == "outcomes[0]"


def test_dose_zero_is_rejected() -> None:
    with pytest.raises(ValidationError) as info:
        parse_outcomes("0NNN")
    assert "dose level must be >= 1" in info.value.rule


def test_a_dose_above_the_number_of_doses_is_rejected() -> None:
    with pytest.raises(ValidationError) as info:
        parse_outcomes("1NNN 4NNN", num_doses=3)
    assert info.value.field == "outcomes[5]"
    assert "exceeds the 3 doses" in info.value.rule


def test_format_gives_the_canonical_text() -> None:
    assert format_outcomes(parse_outcomes(" 1nnn   2NTn ")) == "1NNN 2NTN"


def test_counts_sum_patients_and_dlts_per_dose() -> None:
    assert counts(parse_outcomes("1NNN 2NTN 2TTN"), 3) == ((3, 6, 0), (0, 3, 0))


def test_cohorts_given_as_objects_are_checked_against_the_number_of_doses() -> None:
    with pytest.raises(ValidationError):
        as_cohorts([Cohort(4, (False,))], 3)
    assert as_cohorts([Cohort(2, (True,))], 3) == (Cohort(2, (True,)),)


def test_a_cohort_needs_a_positive_dose_and_at_least_one_patient() -> None:
    with pytest.raises(ValidationError):
        Cohort(0, (False,))
    with pytest.raises(ValidationError):
        Cohort(1, ())
