"""Domain events: immutable facts in the past tense, returned by entity methods for the audit trail.

Events never carry a Phase 2 treatment arm: a randomization is recorded by stratum, sequence number and kit
code, and the arm is looked up in the sealed list only by unblinded roles (``edc-and-standards.md`` BLD-6,
RND-6).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from mexards.domain.dose import DoseLevel
from mexards.domain.identifier import ParticipantId, SiteId, UserId


@dataclass(frozen=True, slots=True, kw_only=True)
class DomainEvent:
    """Something that happened, and when (UTC)."""

    occurred_at: datetime

    @property
    def name(self) -> str:
        return type(self).__name__


@dataclass(frozen=True, slots=True, kw_only=True)
class ParticipantEvent(DomainEvent):
    participant_id: ParticipantId


@dataclass(frozen=True, slots=True, kw_only=True)
class ParticipantScreened(ParticipantEvent):
    site_id: SiteId


@dataclass(frozen=True, slots=True, kw_only=True)
class ParticipantFoundEligible(ParticipantEvent):
    pass


@dataclass(frozen=True, slots=True, kw_only=True)
class ParticipantScreenFailed(ParticipantEvent):
    reasons: tuple[str, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class ParticipantConsented(ParticipantEvent):
    signed_by: str
    representative_relationship: str | None
    consent_version: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ParticipantEnrolled(ParticipantEvent):
    pass


@dataclass(frozen=True, slots=True, kw_only=True)
class ParticipantAssignedToCohort(ParticipantEvent):
    cohort_number: int
    dose_level: DoseLevel


@dataclass(frozen=True, slots=True, kw_only=True)
class ParticipantRandomized(ParticipantEvent):
    stratum: str
    sequence_number: int
    kit_code: str


@dataclass(frozen=True, slots=True, kw_only=True)
class DoseAdministered(ParticipantEvent):
    study_day: int


@dataclass(frozen=True, slots=True, kw_only=True)
class FollowUpStarted(ParticipantEvent):
    doses_received: int


@dataclass(frozen=True, slots=True, kw_only=True)
class ParticipantCompleted(ParticipantEvent):
    pass


@dataclass(frozen=True, slots=True, kw_only=True)
class ParticipantWithdrawn(ParticipantEvent):
    reason: str
    from_state: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ParticipantDied(ParticipantEvent):
    died_on: date
    from_state: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ParticipantLostToFollowUp(ParticipantEvent):
    from_state: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ParticipantUnblinded(ParticipantEvent):
    unblinding_id: str
    kind: str
    reason: str
    unblinded_by: UserId


@dataclass(frozen=True, slots=True, kw_only=True)
class CohortOpened(DomainEvent):
    cohort_number: int
    dose_level: DoseLevel


@dataclass(frozen=True, slots=True, kw_only=True)
class CohortClosed(DomainEvent):
    cohort_number: int
    participants: int


@dataclass(frozen=True, slots=True, kw_only=True)
class CohortReviewed(DomainEvent):
    cohort_number: int
    dose_level: DoseLevel
    evaluable_participants: int
    dlt_participants: int


@dataclass(frozen=True, slots=True, kw_only=True)
class DLTProposed(ParticipantEvent):
    adjudication_id: str
    proposed_is_dlt: bool
    rule: str


@dataclass(frozen=True, slots=True, kw_only=True)
class DLTConfirmed(ParticipantEvent):
    adjudication_id: str
    is_dlt: bool
    evaluable: bool
    confirmed_by: UserId
    overrides_rule: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class DocumentSigned(DomainEvent):
    document: str
    document_id: str
    signer: UserId
    meaning: str
    content_sha256: str


@dataclass(frozen=True, slots=True, kw_only=True)
class MTDDeclared(DomainEvent):
    declaration_id: str
    mtd: DoseLevel | None


@dataclass(frozen=True, slots=True, kw_only=True)
class TrialStatusChanged(DomainEvent):
    protocol_id: str
    from_status: str
    to_status: str


@dataclass(frozen=True, slots=True, kw_only=True)
class TrialPhaseAdvanced(DomainEvent):
    protocol_id: str
    mtd_dose_particles: int
    declaration_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class TrialLocked(DomainEvent):
    protocol_id: str
    locked_by: UserId


@dataclass(frozen=True, slots=True, kw_only=True)
class TrialUnlocked(DomainEvent):
    protocol_id: str
    unlocked_by: UserId
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class VisitRecorded(ParticipantEvent):
    visit_id: str
    visit_code: str
    actual_date: date
    within_window: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class VisitMissed(ParticipantEvent):
    visit_id: str
    visit_code: str
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class QueryEvent(ParticipantEvent):
    query_id: str
    actor: UserId


@dataclass(frozen=True, slots=True, kw_only=True)
class QueryOpened(QueryEvent):
    field_path: str
    text: str


@dataclass(frozen=True, slots=True, kw_only=True)
class QueryAnswered(QueryEvent):
    answer: str


@dataclass(frozen=True, slots=True, kw_only=True)
class QueryClosed(QueryEvent):
    pass


@dataclass(frozen=True, slots=True, kw_only=True)
class QueryReopened(QueryEvent):
    reason: str
