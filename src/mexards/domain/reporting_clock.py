"""Serious adverse event reporting clocks.

- Investigator to sponsor: every SAE within 24 hours of the investigator becoming aware (EU CTR 536/2014
  Art. 41(2); 21 CFR 312.64(b) "immediately"), ``edc-and-standards.md`` SAE-1. The clock starts at the
  investigator's *awareness* datetime, not at onset.
- Sponsor to regulators: a SUSAR (serious, suspected = at least possibly related, unexpected) within 7
  calendar days if fatal or life-threatening, otherwise within 15 calendar days, counted from the day the
  sponsor received the information (21 CFR 312.32(c); EU CTR Art. 42; ICH E2A),
  ``edc-and-standards.md`` SAE-2.

Calendar-day limits are applied as elapsed time (7 x 24 h, 15 x 24 h) from the start of the clock, the
conservative reading. When the sponsor's receipt time is not yet recorded, the regulatory clock starts at the
investigator's awareness, which can only make the due time earlier, never later.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from mexards.domain.validation import enum_member, optional_utc_datetime, utc_datetime

SPONSOR_NOTIFICATION_WINDOW = timedelta(hours=24)
FATAL_OR_LIFE_THREATENING_SUSAR_WINDOW = timedelta(days=7)
OTHER_SUSAR_WINDOW = timedelta(days=15)


class ReportKind(StrEnum):
    """Which expedited report an obligation is about."""

    SPONSOR_NOTIFICATION = "sponsor_notification"
    """Investigator -> sponsor, 24 h from awareness (SAE-1)."""
    SUSAR_FATAL_OR_LIFE_THREATENING = "susar_7_day"
    """Sponsor -> regulators and ethics committees, 7 days (SAE-2)."""
    SUSAR_OTHER = "susar_15_day"
    """Sponsor -> regulators and ethics committees, 15 days (SAE-2)."""

    @property
    def window(self) -> timedelta:
        return _WINDOWS[self]


_WINDOWS = {
    ReportKind.SPONSOR_NOTIFICATION: SPONSOR_NOTIFICATION_WINDOW,
    ReportKind.SUSAR_FATAL_OR_LIFE_THREATENING: FATAL_OR_LIFE_THREATENING_SUSAR_WINDOW,
    ReportKind.SUSAR_OTHER: OTHER_SUSAR_WINDOW,
}


@dataclass(frozen=True, slots=True)
class ReportingObligation:
    """One report that must be made by ``due_at``; ``submitted_at`` is set once it has been made."""

    kind: ReportKind
    clock_started_at: datetime
    submitted_at: datetime | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", enum_member(ReportKind, "kind", self.kind))
        object.__setattr__(self, "clock_started_at", utc_datetime("clock_started_at", self.clock_started_at))
        object.__setattr__(self, "submitted_at", optional_utc_datetime("submitted_at", self.submitted_at))

    @property
    def due_at(self) -> datetime:
        """The last moment at which the report is on time (inclusive)."""
        return self.clock_started_at + self.kind.window

    def is_submitted(self, now: datetime) -> bool:
        """True if the report had been submitted at ``now``."""
        return self.submitted_at is not None and self.submitted_at <= utc_datetime("now", now)

    def is_overdue(self, now: datetime) -> bool:
        """True if, at ``now``, the due time has passed and the report had not been submitted."""
        now = utc_datetime("now", now)
        return now > self.due_at and not self.is_submitted(now)

    @property
    def was_late(self) -> bool:
        """True if the report was submitted after its due time."""
        return self.submitted_at is not None and self.submitted_at > self.due_at

    def time_remaining(self, now: datetime) -> timedelta:
        """Time left until the due time (negative once it has passed)."""
        return self.due_at - utc_datetime("now", now)

    def needs_escalation(self, now: datetime, warning: timedelta) -> bool:
        """True if unsubmitted and due within ``warning`` (escalate before breach, SAE-4)."""
        now = utc_datetime("now", now)
        return not self.is_submitted(now) and self.time_remaining(now) <= warning
