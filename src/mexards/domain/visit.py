"""Scheduled visits with windows.

Each visit has a planned study day and a window of days before and after it; the MEXARDS schedule proposal
uses ±0 days for D1-D7, ±1 for D14, ±2 for D28 and ±3 for D60 (``clinical.md`` 4). Windows are counted in
calendar days around the target date (clinicedc ``edc_visit_schedule`` window: base ± lower/upper bounds). A
visit done outside its window is still recorded, flagged as out of window so that it can be reported as a
protocol deviation (``edc-and-standards.md`` 1.2, events row). A visit date may be at most one day after the
UTC date of recording, to allow for site time zones ahead of UTC.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from mexards.domain.errors import InvalidTransitionError, ValidationError
from mexards.domain.event import VisitMissed, VisitRecorded
from mexards.domain.identifier import ParticipantId, checked_code
from mexards.domain.study_day import StudyDay
from mexards.domain.validation import calendar_date, enum_member, required_text, utc_datetime


@dataclass(frozen=True, slots=True)
class VisitWindow:
    """Allowed calendar days before and after the target date (both inclusive)."""

    days_before: int = 0
    days_after: int = 0

    def __post_init__(self) -> None:
        for name in ("days_before", "days_after"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValidationError(f"window.{name}", "must be a whole number of days, at least 0", value)


class VisitStatus(StrEnum):
    PLANNED = "planned"
    DONE = "done"
    MISSED = "missed"


@dataclass(eq=False)
class Visit:
    """One planned visit of one participant."""

    visit_id: str
    participant_id: ParticipantId
    visit_code: str
    planned_day: StudyDay
    window: VisitWindow = VisitWindow()
    status: VisitStatus = VisitStatus.PLANNED
    actual_date: date | None = None
    within_window: bool | None = None
    missed_reason: str | None = None

    def __post_init__(self) -> None:
        self.visit_id = checked_code("visit_id", self.visit_id)
        if not isinstance(self.participant_id, ParticipantId):
            raise ValidationError("participant_id", "must be a ParticipantId", self.participant_id)
        self.visit_code = checked_code("visit_code", self.visit_code)
        if not isinstance(self.planned_day, StudyDay):
            self.planned_day = StudyDay(self.planned_day)
        if not isinstance(self.window, VisitWindow):
            raise ValidationError("window", "must be a VisitWindow", self.window)
        self.status = enum_member(VisitStatus, "status", self.status)

    def target_date(self, first_dose_on: date) -> date:
        """The calendar date of the planned study day."""
        return self.planned_day.to_date(first_dose_on)

    def window_dates(self, first_dose_on: date) -> tuple[date, date]:
        """The first and last calendar dates of the window (inclusive)."""
        target = self.target_date(first_dose_on)
        return target - timedelta(days=self.window.days_before), target + timedelta(
            days=self.window.days_after
        )

    def is_within_window(self, on: date, first_dose_on: date) -> bool:
        """True if a visit on ``on`` falls inside the window."""
        earliest, latest = self.window_dates(first_dose_on)
        return earliest <= calendar_date("actual_date", on) <= latest

    def record_done(self, actual_date: date, first_dose_on: date, recorded_at: datetime) -> VisitRecorded:
        """The visit took place on ``actual_date``; an out-of-window date is kept and flagged."""
        if self.status is not VisitStatus.PLANNED:
            raise InvalidTransitionError(self.status.value, "record_done")
        within = self.is_within_window(actual_date, first_dose_on)
        at = utc_datetime("recorded_at", recorded_at)
        if actual_date > at.date() + timedelta(days=1):
            raise ValidationError("actual_date", "must not be in the future", actual_date)
        self.status, self.actual_date, self.within_window = VisitStatus.DONE, actual_date, within
        return VisitRecorded(
            participant_id=self.participant_id,
            visit_id=self.visit_id,
            visit_code=self.visit_code,
            actual_date=actual_date,
            within_window=within,
            occurred_at=at,
        )

    def record_missed(self, reason: str, recorded_at: datetime) -> VisitMissed:
        if self.status is not VisitStatus.PLANNED:
            raise InvalidTransitionError(self.status.value, "record_missed")
        reason = required_text("missed_reason", reason, 500)
        at = utc_datetime("recorded_at", recorded_at)
        self.status, self.missed_reason = VisitStatus.MISSED, reason
        return VisitMissed(
            participant_id=self.participant_id,
            visit_id=self.visit_id,
            visit_code=self.visit_code,
            reason=reason,
            occurred_at=at,
        )

    @property
    def is_out_of_window(self) -> bool:
        """True if the visit was done outside its window (a protocol deviation)."""
        return self.within_window is False
