"""Visit windows (clinical.md 4: ±0 for D1-D7, ±1 for D14, ±2 for D28, ±3 for D60)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from mexards.domain.errors import InvalidTransitionError, ValidationError
from mexards.domain.identifier import ParticipantId
from mexards.domain.study_day import StudyDay
from mexards.domain.visit import Visit, VisitStatus, VisitWindow

FIRST_DOSE = date(2025, 3, 1)
RECORDED = datetime(2025, 6, 1, tzinfo=UTC)


def visit(day: int, before: int, after: int) -> Visit:
    return Visit("V-1", ParticipantId("MEX-001"), f"D{day}", StudyDay(day), VisitWindow(before, after))


@pytest.mark.parametrize(
    ("day", "width", "earliest", "latest"),
    [
        (7, 0, date(2025, 3, 7), date(2025, 3, 7)),
        (14, 1, date(2025, 3, 13), date(2025, 3, 15)),
        (28, 2, date(2025, 3, 26), date(2025, 3, 30)),
        (60, 3, date(2025, 4, 26), date(2025, 5, 2)),
    ],
)
def test_the_window_spans_the_target_date_plus_or_minus_its_width(
    day: int, width: int, earliest: date, latest: date
) -> None:
    v = visit(day, width, width)
    assert v.window_dates(FIRST_DOSE) == (earliest, latest)
    assert v.is_within_window(earliest, FIRST_DOSE) and v.is_within_window(latest, FIRST_DOSE)
    assert not v.is_within_window(date.fromordinal(earliest.toordinal() - 1), FIRST_DOSE)
    assert not v.is_within_window(date.fromordinal(latest.toordinal() + 1), FIRST_DOSE)


def test_an_out_of_window_visit_is_recorded_and_flagged() -> None:
    v = visit(14, 1, 1)
    event = v.record_done(date(2025, 3, 17), FIRST_DOSE, RECORDED)
    assert v.status is VisitStatus.DONE and v.is_out_of_window and not event.within_window


def test_a_visit_is_recorded_once_and_a_missed_visit_needs_a_reason() -> None:
    v = visit(28, 2, 2)
    with pytest.raises(ValidationError, match="missed_reason"):
        v.record_missed("", RECORDED)
    v.record_missed("participant transferred", RECORDED)
    with pytest.raises(InvalidTransitionError):
        v.record_done(date(2025, 3, 28), FIRST_DOSE, RECORDED)


def test_a_visit_date_in_the_future_is_refused() -> None:
    with pytest.raises(ValidationError, match="actual_date"):
        visit(14, 1, 1).record_done(date(2025, 3, 14), FIRST_DOSE, datetime(2025, 3, 10, tzinfo=UTC))


def test_a_negative_window_is_refused() -> None:
    with pytest.raises(ValidationError, match=r"window.days_before"):
        VisitWindow(-1, 0)
