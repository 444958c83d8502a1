"""Adverse events: CTCAE grade, seriousness, relatedness, expectedness, and the SAE reporting clocks.

Definitions:
- CTCAE v5.0 grades 1-5 (NCI, 27 Nov 2017; ``clinical.md`` 3.8). Grade 5 is death related to the AE, so a
  grade 5 event must carry the ``death`` seriousness criterion.
- Seriousness criteria of ICH E2A II.B (death, life-threatening, in-patient hospitalisation or its
  prolongation, persistent or significant disability, congenital anomaly, important medical event), the
  CDISC AESDTH/AESLIFE/AESHOSP/AESDISAB/AESCONG/AESMIE flags (``edc-and-standards.md`` 3.2).
- Relatedness on the five-point scale; "possible" or stronger is a suspected adverse reaction (ICH E2A II.A.1;
  21 CFR 312.32(a) "reasonable possibility"), the threshold the DLT definition uses (``clinical.md`` 3.9).
  Site staff may record an event before the investigator's causality assessment: its relatedness is then
  ``not_assessed`` (not suspected, and not a SUSAR, until an investigator assesses it).
- SUSAR = serious + suspected + unexpected (ICH E2A; 21 CFR 312.32(c)); clocks in
  :mod:`mexards.domain.reporting_clock`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from enum import IntEnum, StrEnum

from mexards.domain.errors import ValidationError
from mexards.domain.identifier import ParticipantId, checked_code
from mexards.domain.reporting_clock import ReportingObligation, ReportKind
from mexards.domain.validation import (
    enum_member,
    not_before,
    optional_utc_datetime,
    required_text,
    utc_datetime,
)


class CTCAEGrade(IntEnum):
    """CTCAE v5.0 severity grade."""

    MILD = 1
    MODERATE = 2
    SEVERE = 3
    LIFE_THREATENING = 4
    DEATH = 5

    @classmethod
    def parse(cls, value: object) -> CTCAEGrade:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValidationError("ctcae_grade", "must be a whole number from 1 to 5", value)
        try:
            return cls(value)
        except ValueError:
            raise ValidationError("ctcae_grade", "must be a whole number from 1 to 5", value) from None


class SeriousnessCriterion(StrEnum):
    """ICH E2A seriousness criteria (an AE meeting any of them is serious)."""

    DEATH = "death"
    LIFE_THREATENING = "life_threatening"
    HOSPITALISATION = "hospitalisation"
    DISABILITY = "disability"
    CONGENITAL_ANOMALY = "congenital_anomaly"
    IMPORTANT_MEDICAL_EVENT = "important_medical_event"


class Relatedness(StrEnum):
    """Causal relationship to the study product, as judged by the investigator."""

    NOT_RELATED = "not_related"
    UNLIKELY = "unlikely"
    POSSIBLE = "possible"
    PROBABLE = "probable"
    DEFINITE = "definite"
    NOT_ASSESSED = "not_assessed"
    """Recorded by site staff; the investigator has not assessed causality yet."""

    @property
    def is_assessed(self) -> bool:
        """True once an investigator has judged the causal relationship."""
        return self is not Relatedness.NOT_ASSESSED

    @property
    def is_suspected(self) -> bool:
        """Possible, probable or definite: a suspected adverse reaction (ICH E2A II.A.1)."""
        return self in (Relatedness.POSSIBLE, Relatedness.PROBABLE, Relatedness.DEFINITE)


class Expectedness(StrEnum):
    """Whether the event is listed in the reference safety information (investigator's brochure)."""

    EXPECTED = "expected"
    UNEXPECTED = "unexpected"


def _criteria(value: object) -> frozenset[SeriousnessCriterion]:
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise ValidationError("seriousness", "must be a collection of seriousness criteria", value)
    return frozenset(enum_member(SeriousnessCriterion, "seriousness", item) for item in value)


@dataclass(eq=False)
class AdverseEvent:
    """An adverse event of one participant, with the times that drive the reporting clocks.

    ``investigator_aware_at`` starts the 24 h sponsor clock; ``sponsor_received_at`` starts the regulatory
    SUSAR clock; ``sponsor_reported_at`` and ``regulatory_reported_at`` record when the reports were made.
    """

    adverse_event_id: str
    participant_id: ParticipantId
    term: str
    ctcae_grade: CTCAEGrade
    onset_at: datetime
    investigator_aware_at: datetime
    relatedness: Relatedness
    expectedness: Expectedness
    seriousness: frozenset[SeriousnessCriterion] = field(default_factory=frozenset)
    resolved_at: datetime | None = None
    sponsor_received_at: datetime | None = None
    sponsor_reported_at: datetime | None = None
    regulatory_reported_at: datetime | None = None

    def __post_init__(self) -> None:
        self.adverse_event_id = checked_code("adverse_event_id", self.adverse_event_id)
        if not isinstance(self.participant_id, ParticipantId):
            raise ValidationError("participant_id", "must be a ParticipantId", self.participant_id)
        self.term = required_text("term", self.term, 200)
        self.ctcae_grade = CTCAEGrade.parse(self.ctcae_grade)
        self.relatedness = enum_member(Relatedness, "relatedness", self.relatedness)
        self.expectedness = enum_member(Expectedness, "expectedness", self.expectedness)
        self.seriousness = _criteria(self.seriousness)
        if self.ctcae_grade is CTCAEGrade.DEATH and SeriousnessCriterion.DEATH not in self.seriousness:
            raise ValidationError(
                "seriousness", "must include death for a CTCAE grade 5 event", self.seriousness
            )
        self.onset_at = utc_datetime("onset_at", self.onset_at)
        self.investigator_aware_at = utc_datetime("investigator_aware_at", self.investigator_aware_at)
        not_before("investigator_aware_at", self.investigator_aware_at, self.onset_at, "onset_at")
        self.resolved_at = optional_utc_datetime("resolved_at", self.resolved_at)
        if self.resolved_at is not None:
            not_before("resolved_at", self.resolved_at, self.onset_at, "onset_at")
        for name in ("sponsor_received_at", "sponsor_reported_at", "regulatory_reported_at"):
            value = optional_utc_datetime(name, getattr(self, name))
            if value is not None:
                not_before(name, value, self.investigator_aware_at, "investigator_aware_at")
            setattr(self, name, value)

    @property
    def is_serious(self) -> bool:
        """True if any seriousness criterion is met (ICH E2A II.B)."""
        return bool(self.seriousness)

    @property
    def is_fatal_or_life_threatening(self) -> bool:
        return bool(self.seriousness & {SeriousnessCriterion.DEATH, SeriousnessCriterion.LIFE_THREATENING})

    @property
    def is_susar(self) -> bool:
        """Serious, suspected (at least possibly related) and unexpected."""
        return (
            self.is_serious and self.relatedness.is_suspected and self.expectedness is Expectedness.UNEXPECTED
        )

    def reporting_obligations(self) -> list[ReportingObligation]:
        """The expedited reports this event requires, with due times (empty for a non-serious AE)."""
        obligations: list[ReportingObligation] = []
        if not self.is_serious:
            return obligations
        obligations.append(
            ReportingObligation(
                ReportKind.SPONSOR_NOTIFICATION, self.investigator_aware_at, self.sponsor_reported_at
            )
        )
        if self.is_susar:
            kind = (
                ReportKind.SUSAR_FATAL_OR_LIFE_THREATENING
                if self.is_fatal_or_life_threatening
                else ReportKind.SUSAR_OTHER
            )
            started = self.sponsor_received_at or self.investigator_aware_at
            obligations.append(ReportingObligation(kind, started, self.regulatory_reported_at))
        return obligations

    def is_overdue(self, now: datetime) -> bool:
        """True if any required report is past due and unsubmitted at ``now``."""
        return any(obligation.is_overdue(now) for obligation in self.reporting_obligations())

    def record_sponsor_report(self, reported_at: datetime) -> None:
        """The investigator reported the SAE to the sponsor at ``reported_at``."""
        reported_at = utc_datetime("sponsor_reported_at", reported_at)
        not_before("sponsor_reported_at", reported_at, self.investigator_aware_at, "investigator_aware_at")
        self.sponsor_reported_at = reported_at
        if self.sponsor_received_at is None:
            self.sponsor_received_at = reported_at

    def record_regulatory_report(self, reported_at: datetime) -> None:
        """The sponsor submitted the expedited SUSAR report at ``reported_at``."""
        reported_at = utc_datetime("regulatory_reported_at", reported_at)
        not_before("regulatory_reported_at", reported_at, self.investigator_aware_at, "investigator_aware_at")
        self.regulatory_reported_at = reported_at

    def resolve(self, resolved_at: datetime) -> None:
        """The event resolved at ``resolved_at``."""
        resolved_at = utc_datetime("resolved_at", resolved_at)
        not_before("resolved_at", resolved_at, self.onset_at, "onset_at")
        self.resolved_at = resolved_at
