"""Study days follow the SDTMIG --DY convention: Day 1 is the first inhalation and there is no Day 0."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from mexards.domain.errors import ValidationError
from mexards.domain.study_day import StudyDay

FIRST_DOSE = date(2025, 3, 1)


@pytest.mark.parametrize(
    ("on", "day"),
    [(date(2025, 3, 1), 1), (date(2025, 3, 7), 7), (date(2025, 2, 28), -1), (date(2025, 2, 27), -2)],
)
def test_the_study_day_of_a_date_skips_day_zero(on: date, day: int) -> None:
    assert StudyDay.of(on, FIRST_DOSE) == StudyDay(day)
    assert StudyDay(day).to_date(FIRST_DOSE) == on


def test_day_zero_is_not_a_study_day() -> None:
    with pytest.raises(ValidationError, match="study_day"):
        StudyDay(0)


def test_a_datetime_is_not_accepted_where_a_calendar_date_is_needed() -> None:
    with pytest.raises(ValidationError, match="date"):
        StudyDay.of(datetime(2025, 3, 1), FIRST_DOSE)
