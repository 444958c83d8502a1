"""Records the services keep that are not domain entities: the screening log, dose decisions, the sealed
allocation list and its used slots, CRF records and notifications.

Each is a plain dataclass so that a persistence adapter can map it to rows one field at a time. Values kept in
CRF records are JSON-compatible (text, whole numbers, booleans, ``None``); exact decimals are kept as text so
that no digit is lost (``"7.35"``), and dates as ISO text.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Any

from mexards.domain.identifier import ParticipantId, SiteId, UserId
from mexards.randomization.allocation_list import AllocationList

JSONScalar = str | int | bool | None
"""A value stored in a CRF record: text (exact decimals and dates as text), a whole number, a flag or None."""


def _frozen(values: Mapping[str, Any]) -> Mapping[str, Any]:
    return MappingProxyType(dict(values))


@dataclass(frozen=True, slots=True)
class ScreeningCriterion:
    """One criterion's outcome at screening (eligibility engine status and its plain-language reason)."""

    criterion_id: str
    kind: str
    """``inclusion`` or ``exclusion``."""
    status: str
    """``MET``, ``NOT_MET`` or ``MISSING``."""
    reason: str
    fails: bool
    """True when this criterion makes the patient ineligible."""


@dataclass(frozen=True, slots=True)
class ScreeningLogEntry:
    """One screened patient in the screening log (CONSORT 2010 item 13a needs screen failures with reasons)."""

    participant_id: ParticipantId
    site_id: SiteId
    screened_at: datetime
    screened_by: UserId
    protocol_id: str
    protocol_version: str
    verdict: str
    """The eligibility engine's verdict: ``ELIGIBLE``, ``INELIGIBLE`` or ``INCOMPLETE``."""
    criteria: tuple[ScreeningCriterion, ...]
    stratification: Mapping[str, str | None] = field(default_factory=dict)
    """The Phase 2 stratification values found in the screening record (``None`` where not recorded)."""
    warnings: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "stratification", _frozen(self.stratification))
        object.__setattr__(self, "criteria", tuple(self.criteria))
        object.__setattr__(self, "warnings", tuple(self.warnings))

    @property
    def failing(self) -> tuple[ScreeningCriterion, ...]:
        """The criteria that made the patient ineligible, in protocol order."""
        return tuple(c for c in self.criteria if c.fails)

    @property
    def reasons(self) -> tuple[str, ...]:
        """``"<criterion id>: <reason>"`` for every failing criterion."""
        return tuple(f"{c.criterion_id}: {c.reason}" for c in self.failing)


@dataclass(frozen=True, slots=True)
class DoseDecision:
    """Why a Phase 1 cohort was opened at its dose: the design's recommendation, and any override with reason."""

    cohort_number: int
    dose_level_index: int
    recommended_dose_index: int | None
    design: str
    design_reason: str
    decided_by: UserId
    decided_at: datetime
    override_reason: str | None = None
    window_override_reason: str | None = None
    """Set when the protocol allowed opening before the previous cohort's DLT window had closed."""

    @property
    def overrides_recommendation(self) -> bool:
        return self.recommended_dose_index != self.dose_level_index


@dataclass(frozen=True, slots=True, eq=False)
class SealedList:
    """The Phase 2 allocation list as generated: the list itself (with its seed), its SHA-256 seal, who
    generated it and when. Unblinded data: never shown to a blinded role."""

    list_id: str
    allocation_list: AllocationList
    sha256: str
    generated_by: UserId
    generated_at: datetime
    protocol_id: str
    protocol_version: str


@dataclass(frozen=True, slots=True)
class SlotUse:
    """A slot of the sealed list given to a participant (unique per slot and per participant)."""

    stratum: str
    sequence_number: int
    kit_code: str
    participant_id: ParticipantId
    used_at: datetime
    used_by: UserId


@dataclass(eq=False)
class CRFRecord:
    """The data of one case report form of one participant at one visit, with derived values and versioning.

    ``version`` starts at 1 and goes up with each saved change; a change after first entry carries its
    ``change_reason`` (ICH E6(R3) 4.2.2; 21 CFR 11.10(e)); the audit trail keeps the old values.
    """

    record_id: str
    participant_id: ParticipantId
    form_id: str
    form_version: str
    visit_code: str
    values: dict[str, JSONScalar]
    units: dict[str, str]
    derived: dict[str, JSONScalar]
    entered_by: UserId
    entered_at: datetime
    version: int = 1
    changed_by: UserId | None = None
    changed_at: datetime | None = None
    change_reason: str | None = None


@dataclass(frozen=True, slots=True)
class Notification:
    """A message recorded in the system for the people who must act on it (e.g. an emergency unblinding, an
    SAE). Its text never names a treatment arm."""

    notification_id: str
    kind: str
    """``emergency_unblinding``, ``serious_adverse_event``, ``stopping_rule`` ..."""
    subject: str
    message: str
    created_at: datetime
    created_by: UserId
    recipient_roles: tuple[str, ...]
    participant_id: ParticipantId | None = None
