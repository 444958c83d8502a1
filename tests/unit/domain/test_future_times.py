"""Clinical times may not lie in the future of the unit of work's clock (a few minutes of skew allowed), and
numbers entered as text are plain decimals in the digits 0-9 (``domain/validation.py``)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mexards.domain.errors import ValidationError, ValidationErrors
from mexards.domain.validation import (
    ASCII_DIGITS_RULE,
    CLOCK_SKEW_TOLERANCE,
    DATE_TOLERANCE,
    FUTURE_RULE,
    date_not_in_future,
    decimal_text,
    latest_date,
    not_in_future,
    times_not_in_future,
)

NOW = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)
NOWS = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2090, 1, 1), timezones=st.just(UTC))
OFFSETS = st.integers(-14 * 60, 14 * 60).map(lambda minutes: timezone(timedelta(minutes=minutes)))
LATER = st.timedeltas(min_value=timedelta(microseconds=1), max_value=timedelta(days=3650))
EARLIER = st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=3650))


def test_the_tolerances_are_five_minutes_and_one_day() -> None:
    assert timedelta(minutes=5) == CLOCK_SKEW_TOLERANCE
    assert timedelta(days=1) == DATE_TOLERANCE


@given(now=NOWS, later=LATER, zone=OFFSETS)
def test_a_time_later_than_now_plus_the_tolerance_is_always_refused(
    now: datetime, later: timedelta, zone: timezone
) -> None:
    moment = (now + CLOCK_SKEW_TOLERANCE + later).astimezone(zone)
    with pytest.raises(ValidationError) as caught:
        not_in_future("onset_at", moment, now)
    assert (caught.value.field, caught.value.rule) == ("onset_at", FUTURE_RULE)


@given(now=NOWS, earlier=EARLIER, zone=OFFSETS)
def test_a_time_not_later_than_now_plus_the_tolerance_is_always_accepted_unchanged(
    now: datetime, earlier: timedelta, zone: timezone
) -> None:
    moment = (now + CLOCK_SKEW_TOLERANCE - earlier).astimezone(zone)
    assert not_in_future("onset_at", moment, now) is moment


@given(now=NOWS, days=st.integers(1, 3650))
def test_a_date_after_the_next_utc_date_is_always_refused(now: datetime, days: int) -> None:
    with pytest.raises(ValidationError) as caught:
        date_not_in_future("assessed_on", now.date() + DATE_TOLERANCE + timedelta(days=days), now)
    assert (caught.value.field, caught.value.rule) == ("assessed_on", FUTURE_RULE)


@given(now=NOWS, days=st.integers(-3650, 1))
def test_a_date_up_to_the_next_utc_date_is_always_accepted(now: datetime, days: int) -> None:
    day = now.date() + timedelta(days=days)
    assert date_not_in_future("assessed_on", day, now) == day
    assert day <= latest_date(now)


def test_the_boundary_is_exactly_now_plus_five_minutes() -> None:
    assert not_in_future("t", NOW + CLOCK_SKEW_TOLERANCE, NOW) == NOW + CLOCK_SKEW_TOLERANCE
    with pytest.raises(ValidationError):
        not_in_future("t", NOW + CLOCK_SKEW_TOLERANCE + timedelta(microseconds=1), NOW)


def test_the_check_runs_against_the_now_given_not_the_wall_clock() -> None:
    long_ago = datetime(2001, 1, 1, tzinfo=UTC)
    with pytest.raises(ValidationError):
        not_in_future("t", datetime(2002, 1, 1, tzinfo=UTC), long_ago)
    far_ahead = datetime.now(UTC) + timedelta(days=3650)
    assert not_in_future("t", far_ahead - timedelta(days=1), far_ahead)


def test_a_naive_time_is_refused_naming_the_field() -> None:
    with pytest.raises(ValidationError) as caught:
        not_in_future("onset_at", datetime(2025, 1, 1), NOW)
    assert caught.value.field == "onset_at" and "timezone" in caught.value.rule


def test_several_times_in_the_future_are_reported_together_and_none_is_skipped() -> None:
    ahead = NOW + timedelta(days=2)
    with pytest.raises(ValidationErrors) as caught:
        times_not_in_future(
            [("onset_at", ahead), ("resolved_at", None), ("last_contact_on", ahead.date() + timedelta(days=1)),
             ("measured_at", NOW)],
            NOW,
        )  # fmt: skip
    assert [e.field for e in caught.value.errors] == ["onset_at", "last_contact_on"]
    times_not_in_future([("onset_at", NOW), ("assessed_on", NOW.date()), ("resolved_at", None)], NOW)


# --- numbers written in text ------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["82", " 82 ", "-0.5", "+5", "7.5e1", "1E-3", ".5", "5.", "-0", "1e999999999"])
def test_plain_decimal_text_is_read_exactly(text: str) -> None:
    assert decimal_text("pao2_mmhg", text) == Decimal(text.strip())


@pytest.mark.parametrize("text", ["１２３", "٨٢", "８2.5", "۸۲", "८२", "1２"])
def test_digits_other_than_ascii_are_refused_naming_the_field(text: str) -> None:
    with pytest.raises(ValidationError) as caught:
        decimal_text("pao2_mmhg", text)
    assert (caught.value.field, caught.value.rule) == ("pao2_mmhg", ASCII_DIGITS_RULE)


@pytest.mark.parametrize("text", ["NaN", "Infinity", "-inf", "1_000", "0x10", "1,5", "", ".", "1e", "e5", "--5"])
def test_text_that_is_not_a_plain_decimal_is_refused_naming_the_field(text: str) -> None:
    with pytest.raises(ValidationError) as caught:
        decimal_text("pao2_mmhg", text)
    assert (caught.value.field, caught.value.rule) == ("pao2_mmhg", "must be a number")


@given(st.decimals(allow_nan=False, allow_infinity=False))
def test_every_finite_decimal_written_out_reads_back_equal(number: Decimal) -> None:
    assert decimal_text("x", str(number)) == number


@given(st.text(min_size=1, max_size=12))
def test_text_with_a_digit_outside_ascii_is_never_a_number(text: str) -> None:
    if any(ch.isdigit() and not ch.isascii() for ch in text):
        with pytest.raises(ValidationError):
            decimal_text("x", text)


def test_a_calendar_date_is_checked_as_a_date_and_a_datetime_as_a_time() -> None:
    tomorrow = NOW.date() + timedelta(days=1)
    times_not_in_future([("d", tomorrow), ("t", NOW)], NOW)
    with pytest.raises(ValidationError):
        times_not_in_future([("t", NOW + timedelta(days=1))], NOW)  # a time a day ahead is in the future
    assert isinstance(tomorrow, date)
