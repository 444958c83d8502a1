"""Ports: what the use cases need from the outside world, as typing Protocols.

The persistence layer implements them with SQLAlchemy; the service tests use an in-memory fake. The shape is
the cosmicpython one (a unit of work holding repositories, rolling back unless committed), with explicit
``add`` and ``update`` because rows are mapped to and from the domain by hand.

Conventions every adapter follows:

- ``get`` raises :class:`~mexards.domain.errors.NotFoundError` when nothing matches; ``find`` returns None.
- ``add`` inserts a new record (ConflictError if its key exists); ``update`` writes the current state of a
  record that was read in the same unit of work. Entities are mutable domain objects: a use case changes
  them through their own methods and then calls ``update``.
- Lists come back in a stable order (insertion order unless stated).
- Everything written between ``__enter__`` and ``commit`` is one transaction. Leaving the ``with`` block
  without ``commit`` rolls back. Each write carries ``uow.actor`` and ``uow.reason`` into the audit trail in
  the same transaction (no change without its audit row).
- :meth:`AllocationRepository.next_free_slot` is serialized by the adapter: from that call until the unit of
  work ends, no other unit of work can obtain a slot of the same stratum (row lock, ``SELECT ... FOR UPDATE``
  on PostgreSQL, ``BEGIN IMMEDIATE`` on SQLite), so a slot is never handed out twice and none is skipped.
- Users' credentials and passwords are not here: re-authentication is done by the entrypoint, which passes
  a :class:`Reauthentication` to the use case.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType
from typing import Protocol, Self

from mexards.domain.administration import Administration
from mexards.domain.adverse_event import AdverseEvent
from mexards.domain.cohort import Cohort, DLTAdjudication
from mexards.domain.errors import ValidationError
from mexards.domain.event import DomainEvent
from mexards.domain.identifier import ParticipantId, SiteId, UserId
from mexards.domain.mtd import MTDDeclaration
from mexards.domain.participant import Participant, ParticipantState
from mexards.domain.query import Query, QueryState
from mexards.domain.role import Actor
from mexards.domain.trial import Trial
from mexards.domain.unblinding import Unblinding
from mexards.domain.validation import utc_datetime
from mexards.domain.visit import Visit
from mexards.randomization.allocation_list import AllocationSlot
from mexards.services.record import (
    CRFRecord,
    DoseDecision,
    Notification,
    ScreeningLogEntry,
    SealedList,
    SlotUse,
)


class Clock(Protocol):
    """The current time (tz-aware, UTC)."""

    def now(self) -> datetime: ...


@dataclass(frozen=True, slots=True)
class Reauthentication:
    """Evidence, supplied by the entrypoint, that the user re-entered their credentials just now
    (21 CFR 11.200(a)(1): signing and unblinding need both identification components again)."""

    user_id: UserId
    verified: bool
    verified_at: datetime
    method: str = "password"

    def __post_init__(self) -> None:
        if not isinstance(self.user_id, UserId):
            raise ValidationError("reauthentication.user_id", "must be a UserId", self.user_id)
        if not isinstance(self.verified, bool):
            raise ValidationError("reauthentication.verified", "must be true or false", self.verified)
        object.__setattr__(
            self, "verified_at", utc_datetime("reauthentication.verified_at", self.verified_at)
        )


class TrialRepository(Protocol):
    """The one trial of this database: protocol id and version, phase, status, lock."""

    def find(self) -> Trial | None: ...

    def get(self) -> Trial: ...

    def add(self, trial: Trial) -> None: ...

    def update(self, trial: Trial) -> None: ...


class ParticipantRepository(Protocol):
    def get(self, participant_id: ParticipantId) -> Participant: ...

    def find(self, participant_id: ParticipantId) -> Participant | None: ...

    def add(self, participant: Participant) -> None: ...

    def update(self, participant: Participant) -> None: ...

    def list(
        self,
        site_ids: Collection[SiteId] | None = None,
        states: Collection[ParticipantState] | None = None,
    ) -> list[Participant]:
        """Participants, optionally only of ``site_ids`` and/or in ``states``, ordered by participant id."""
        ...


class ScreeningLogRepository(Protocol):
    """Every screening, eligible or not, with per-criterion reasons."""

    def add(self, entry: ScreeningLogEntry) -> None: ...

    def update(self, entry: ScreeningLogEntry) -> None:
        """Replace the entry of the same participant (a re-screening of a patient still 'screened')."""
        ...

    def find(self, participant_id: ParticipantId) -> ScreeningLogEntry | None: ...

    def list(self, site_ids: Collection[SiteId] | None = None) -> list[ScreeningLogEntry]: ...


class CohortRepository(Protocol):
    def get(self, cohort_number: int) -> Cohort: ...

    def add(self, cohort: Cohort) -> None: ...

    def update(self, cohort: Cohort) -> None: ...

    def list(self) -> list[Cohort]:
        """All cohorts, by cohort number."""
        ...


class DoseDecisionRepository(Protocol):
    """Why each Phase 1 cohort got its dose (design recommendation, override and reason)."""

    def add(self, decision: DoseDecision) -> None: ...

    def list(self) -> list[DoseDecision]: ...


class DLTAdjudicationRepository(Protocol):
    def get(self, adjudication_id: str) -> DLTAdjudication: ...

    def add(self, adjudication: DLTAdjudication) -> None: ...

    def update(self, adjudication: DLTAdjudication) -> None: ...

    def list(
        self, cohort_number: int | None = None, participant_id: ParticipantId | None = None
    ) -> list[DLTAdjudication]: ...


class MTDDeclarationRepository(Protocol):
    """MTD declarations with their signatures (a signature is added with ``update``)."""

    def get(self, declaration_id: str) -> MTDDeclaration: ...

    def add(self, declaration: MTDDeclaration) -> None: ...

    def update(self, declaration: MTDDeclaration) -> None: ...

    def list(self) -> list[MTDDeclaration]: ...


class AllocationRepository(Protocol):
    """The sealed Phase 2 list and the slots used. Unblinded data: the services decide who sees what."""

    def add_list(self, sealed: SealedList) -> None: ...

    def find_list(self) -> SealedList | None:
        """The trial's sealed list (there is at most one), re-read from storage."""
        ...

    def find_seal(self) -> tuple[str, str] | None:
        """(list id, recorded SHA-256) of the stored list, without reading its slots."""
        ...

    def used_count(self, stratum: str) -> int:
        """How many slots of ``stratum`` are used (call after :meth:`next_free_slot`, under its lock)."""
        ...

    def next_free_slot(self, stratum: str) -> AllocationSlot:
        """The first unused slot of ``stratum`` in list order, locking the stratum until the unit of work
        ends (see the module docstring). Raises ``StratumExhaustedError`` when none is left."""
        ...

    def use_slot(self, use: SlotUse) -> None:
        """Mark a slot used (ConflictError if the slot or the participant already has one)."""
        ...

    def used_slots(self, stratum: str | None = None) -> list[SlotUse]:
        """Used slots, by stratum then sequence number."""
        ...

    def slot_of(self, participant_id: ParticipantId) -> AllocationSlot | None:
        """The slot a participant received (with its arm: unblinded roles only)."""
        ...


class AdministrationRepository(Protocol):
    def add(self, administration: Administration) -> None: ...

    def update(self, administration: Administration) -> None: ...

    def list(self, participant_id: ParticipantId | None = None) -> list[Administration]: ...


class VisitRepository(Protocol):
    def get(self, visit_id: str) -> Visit: ...

    def add(self, visit: Visit) -> None: ...

    def update(self, visit: Visit) -> None: ...

    def list(self, participant_id: ParticipantId | None = None) -> list[Visit]: ...


class CRFRepository(Protocol):
    def get(self, record_id: str) -> CRFRecord: ...

    def find(self, participant_id: ParticipantId, form_id: str, visit_code: str) -> CRFRecord | None: ...

    def add(self, record: CRFRecord) -> None: ...

    def update(self, record: CRFRecord) -> None: ...

    def list(self, participant_id: ParticipantId | None = None) -> list[CRFRecord]: ...


class AdverseEventRepository(Protocol):
    def get(self, adverse_event_id: str) -> AdverseEvent: ...

    def add(self, adverse_event: AdverseEvent) -> None: ...

    def update(self, adverse_event: AdverseEvent) -> None: ...

    def list(self, participant_id: ParticipantId | None = None) -> list[AdverseEvent]: ...


class QueryRepository(Protocol):
    def get(self, query_id: str) -> Query: ...

    def add(self, query: Query) -> None: ...

    def update(self, query: Query) -> None: ...

    def list(
        self, participant_id: ParticipantId | None = None, state: QueryState | None = None
    ) -> list[Query]: ...


class UnblindingRepository(Protocol):
    def add(self, unblinding: Unblinding) -> None: ...

    def list(self, participant_id: ParticipantId | None = None) -> list[Unblinding]: ...


class Notifier(Protocol):
    """Notifications recorded in the system (same transaction as the act that caused them)."""

    def notify(self, notification: Notification) -> None: ...

    def list(self, participant_id: ParticipantId | None = None) -> list[Notification]: ...


class EventLog(Protocol):
    """The domain events of each use case, written with the change (an adapter may store them in a table
    or rely on its row-level audit trail; the fake keeps them to check that no change goes unrecorded)."""

    def append(self, event: DomainEvent) -> None: ...



class IdSource(Protocol):
    """Where new record identifiers come from (random by default; seeded for reproducible simulations)."""

    def new_id(self, prefix: str) -> str: ...

class UnitOfWork(Protocol):
    """One transaction over all repositories. ``actor`` and ``reason`` are set by the use case before it
    writes and are carried into every audit row of the transaction."""

    trial: TrialRepository
    participants: ParticipantRepository
    screening_log: ScreeningLogRepository
    cohorts: CohortRepository
    dose_decisions: DoseDecisionRepository
    dlt_adjudications: DLTAdjudicationRepository
    mtd_declarations: MTDDeclarationRepository
    allocation: AllocationRepository
    administrations: AdministrationRepository
    visits: VisitRepository
    crf_records: CRFRepository
    adverse_events: AdverseEventRepository
    queries: QueryRepository
    unblindings: UnblindingRepository
    notifications: Notifier
    events: EventLog
    clock: Clock
    ids: IdSource
    actor: Actor | None
    reason: str | None

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Roll back whatever was not committed."""
        ...

    def commit(self) -> None: ...

    def rollback(self) -> None: ...
