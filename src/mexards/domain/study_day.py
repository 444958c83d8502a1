"""Study days: Day 1 is the day of the first inhalation, and there is no Day 0.

This is the CDISC SDTMIG --DY convention (day of reference start = Day 1; the day before it = Day -1), used by
the MEXARDS schedule of assessments (``clinical.md`` 4: "Day 1 = first nebulisation").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from mexards.domain.errors import ValidationError
from mexards.domain.validation import calendar_date


@dataclass(frozen=True, slots=True, order=True)
class StudyDay:
    """A study day number (never 0)."""

    value: int

    def __post_init__(self) -> None:
        if isinstance(self.value, bool) or not isinstance(self.value, int) or self.value == 0:
            raise ValidationError(
                "study_day", "must be a whole number other than 0 (Day 1 = first dose)", self.value
            )

    @classmethod
    def of(cls, on: date, first_dose_on: date) -> StudyDay:
        """The study day of calendar date ``on`` given the date of the first inhalation (SDTMIG --DY)."""
        on = calendar_date("date", on)
        first_dose_on = calendar_date("first_dose_date", first_dose_on)
        offset = (on - first_dose_on).days
        return cls(offset + 1 if offset >= 0 else offset)

    def to_date(self, first_dose_on: date) -> date:
        """The calendar date of this study day, given the date of the first inhalation."""
        first_dose_on = calendar_date("first_dose_date", first_dose_on)
        offset = self.value - 1 if self.value > 0 else self.value
        return first_dose_on + timedelta(days=offset)

    def __int__(self) -> int:
        return self.value

    def __str__(self) -> str:
        return f"Day {self.value}"
