"""Events of the services layer for changes that have no domain event of their own.

Like the domain events they are facts in the past tense and never carry a Phase 2 treatment arm
(``edc-and-standards.md`` BLD-6): the allocation list is described by its hash and size only.
"""

from __future__ import annotations

from dataclasses import dataclass

from mexards.domain.event import DomainEvent, ParticipantEvent
from mexards.domain.identifier import UserId


@dataclass(frozen=True, slots=True, kw_only=True)
class TrialStarted(DomainEvent):
    protocol_id: str
    protocol_version: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ScreeningLogged(ParticipantEvent):
    verdict: str
    failing: tuple[str, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class DoseDecisionRecorded(DomainEvent):
    cohort_number: int
    dose_level_index: int
    recommended_dose_index: int | None
    overrides_recommendation: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class AllocationListGenerated(DomainEvent):
    list_id: str
    sha256: str
    strata: int
    slots: int
    generated_by: UserId


@dataclass(frozen=True, slots=True, kw_only=True)
class CRFSaved(ParticipantEvent):
    record_id: str
    form_id: str
    visit_code: str
    version: int
    changed_fields: tuple[str, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class AdministrationRecorded(ParticipantEvent):
    administration_id: str
    study_day: int
    status: str


@dataclass(frozen=True, slots=True, kw_only=True)
class VisitScheduled(ParticipantEvent):
    visit_id: str
    visit_code: str
    planned_day: int


@dataclass(frozen=True, slots=True, kw_only=True)
class AdverseEventRecorded(ParticipantEvent):
    adverse_event_id: str
    term: str
    ctcae_grade: int
    serious: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class AdverseEventUpdated(ParticipantEvent):
    adverse_event_id: str
    change: str


@dataclass(frozen=True, slots=True, kw_only=True)
class NotificationRecorded(DomainEvent):
    notification_id: str
    kind: str


@dataclass(frozen=True, slots=True, kw_only=True)
class DataExported(DomainEvent):
    """An export or report was downloaded: which (``document_id``), in which blinding and site scope, how many
    rows (the audit entry adds who and when; AUD-4)."""

    document: str = "data_export"
    document_id: str
    file_format: str
    rows: int
    blinded: bool
    site_ids: tuple[str, ...]
    """The sites the export covers; empty for every site."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ClosedSessionReportPrepared(DomainEvent):
    """Results by treatment group were prepared for the DSMB's closed session (arm-level aggregates only)."""

    document: str = "closed_session_report"
    document_id: str
    locked: bool
    participants: int
