"""The SQL unit of work: one transaction over every repository, audited, rolled back unless committed.

It implements :class:`mexards.services.port.UnitOfWork`. Every change reaches the database inside the
transaction with its audit entries (:mod:`mexards.persistence.audit`): who (``uow.actor``: user and role),
when (``uow.clock``, UTC), what (row, field, old and new value) and why. The why is ``uow.reason`` when the
caller gives one (a correction of entered data must); a workflow step without a typed reason is explained by
the domain events the use case records (``uow.events.append``), e.g. ``workflow: ParticipantRandomized``.
Updates are therefore written when an event is recorded or at commit, never before their reason is known;
inserts (first entry, which needs no reason) are written at once so that later reads in the same unit of
work see them. Each domain event is also appended to the audit chain as an entry of its own.

Leaving the ``with`` block without :meth:`SqlUnitOfWork.commit` rolls back data and audit together.
A duplicate key or a second use of a unique value (slot, kit, participant) is a ConflictError.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Self

from sqlalchemy import insert, inspect
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from mexards.domain.errors import ConflictError
from mexards.domain.event import DomainEvent
from mexards.domain.role import Actor
from mexards.domain.signature import canonical_value
from mexards.persistence.administration import SqlAdministrationRepository
from mexards.persistence.adverse_event import SqlAdverseEventRepository
from mexards.persistence.allocation import SqlAllocationRepository
from mexards.persistence.audit import AuditContext, append_entries, insert_entry
from mexards.persistence.cohort import SqlCohortRepository, SqlDLTAdjudicationRepository, SqlDoseDecisionRepository
from mexards.persistence.mtd import SqlMTDDeclarationRepository
from mexards.persistence.participant import SqlParticipantRepository, SqlScreeningLogRepository
from mexards.persistence.query import SqlQueryRepository
from mexards.persistence.trial import SqlTrialRepository
from mexards.persistence.unblinding import SqlNotifier, SqlUnblindingRepository
from mexards.persistence.visit import SqlCRFRepository, SqlVisitRepository
from mexards.services import port
from mexards.services.operation import RandomIds


class UTCClock:
    """The system clock, in UTC."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class FunctionClock:
    """A clock that asks a function for the time (tests pass a fixed or stepping time)."""

    def __init__(self, now: Callable[[], datetime]) -> None:
        self._now = now

    def now(self) -> datetime:
        return self._now()


_EVENT_ENTITIES = (
    ("participant_id", "participant"),
    ("query_id", "data_query"),
    ("adverse_event_id", "adverse_event"),
    ("declaration_id", "mtd_declaration"),
    ("cohort_number", "cohort"),
    ("list_id", "allocation_list"),
    ("notification_id", "notification"),
    ("protocol_id", "trial"),
)


def event_entity(event: DomainEvent) -> tuple[str, str]:
    """The entity an event is about (table name and id) for its audit entry."""
    document = getattr(event, "document", None)
    if isinstance(document, str) and hasattr(event, "document_id"):
        return document, str(event.document_id)
    for attribute, entity in _EVENT_ENTITIES:
        value = getattr(event, attribute, None)
        if value is not None:
            return entity, str(value)
    return "event", event.name


def event_details(event: DomainEvent) -> dict[str, Any]:
    """The event's fields as canonical JSON values (events never carry a Phase 2 arm)."""
    return {f.name: canonical_value(getattr(event, f.name)) for f in dataclasses.fields(event)}


class SqlEventLog:
    """Domain events go into the audit chain, after the changes they explain."""

    def __init__(self, uow: SqlUnitOfWork) -> None:
        self._uow = uow

    def append(self, event: DomainEvent) -> None:
        self._uow.record(event)


@contextmanager
def _conflicts_refused() -> Iterator[None]:
    """A write the database refuses for a duplicate key or unique value becomes a ConflictError."""
    try:
        yield
    except IntegrityError as error:
        raise ConflictError(
            "the change conflicts with a stored record (a key or a unique value is already used)"
        ) from error


class SqlUnitOfWork:
    """``with uow:`` opens a transaction; ``uow.commit()`` commits it; leaving without commit rolls back.

    ``context`` fixes the audit actor for callers that work on ``uow.session`` directly (administration
    scripts, tests); use cases set ``uow.actor`` and ``uow.reason`` instead.
    """

    trial: port.TrialRepository
    participants: port.ParticipantRepository
    screening_log: port.ScreeningLogRepository
    cohorts: port.CohortRepository
    dose_decisions: port.DoseDecisionRepository
    dlt_adjudications: port.DLTAdjudicationRepository
    mtd_declarations: port.MTDDeclarationRepository
    allocation: port.AllocationRepository
    administrations: port.AdministrationRepository
    visits: port.VisitRepository
    crf_records: port.CRFRepository
    adverse_events: port.AdverseEventRepository
    queries: port.QueryRepository
    unblindings: port.UnblindingRepository
    notifications: port.Notifier
    events: port.EventLog
    clock: port.Clock
    ids: port.IdSource

    def __init__(
        self,
        sessions: sessionmaker[Session],
        context: AuditContext | None = None,
        clock: port.Clock | None = None,
        ids: port.IdSource | None = None,
    ) -> None:
        self._sessions = sessions
        self.context = context
        self.clock = clock if clock is not None else (FunctionClock(context.now) if context else UTCClock())
        self.ids: port.IdSource = ids if ids is not None else RandomIds()
        self.actor: Actor | None = None
        self.reason: str | None = None
        self._session: Session | None = None
        self._events: list[str] = []

    @property
    def session(self) -> Session:
        if self._session is None:
            raise RuntimeError("the unit of work is not open: use it in a `with` block")
        return self._session

    def __enter__(self) -> Self:
        session = self._sessions()
        session.autoflush = False
        self._session = session
        self._events = []
        if self.context is not None:
            session.info["audit"] = self.context
        self.trial = SqlTrialRepository(self)
        self.participants = SqlParticipantRepository(self)
        self.screening_log = SqlScreeningLogRepository(self)
        self.cohorts = SqlCohortRepository(self)
        self.dose_decisions = SqlDoseDecisionRepository(self)
        self.dlt_adjudications = SqlDLTAdjudicationRepository(self)
        self.mtd_declarations = SqlMTDDeclarationRepository(self)
        self.allocation = SqlAllocationRepository(self)
        self.administrations = SqlAdministrationRepository(self)
        self.visits = SqlVisitRepository(self)
        self.crf_records = SqlCRFRepository(self)
        self.adverse_events = SqlAdverseEventRepository(self)
        self.queries = SqlQueryRepository(self)
        self.unblindings = SqlUnblindingRepository(self)
        self.notifications = SqlNotifier(self)
        self.events = SqlEventLog(self)
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        session = self.session
        try:
            session.rollback()
        finally:
            session.close()
            self._session = None
            self.actor, self.reason, self._events = None, None, []

    # -- audit context and flushing -----------------------------------------------------------------------

    def _reason(self) -> str | None:
        if self.reason and self.reason.strip():
            return self.reason
        if self._events:
            return "workflow: " + ", ".join(dict.fromkeys(self._events))
        return self.context.reason if self.context is not None else None

    def _set_audit_context(self) -> None:
        if self.actor is not None:
            self.session.info["audit"] = AuditContext(
                self.actor.user_id.value, self.actor.role.value, self._reason(), self.clock.now
            )
        elif self.context is not None:
            self.session.info["audit"] = self.context
        else:
            self.session.info.pop("audit", None)

    def _changes_need_reason(self) -> bool:
        session = self.session
        audited = [o for o in session.dirty if getattr(type(o), "__audited__", False) and session.is_modified(o)]
        return bool(audited) or any(getattr(type(o), "__audited__", False) for o in session.deleted)

    def flush(self) -> None:
        """Write pending changes and their audit entries now (a ConflictError for a duplicate key)."""
        self._set_audit_context()
        with _conflicts_refused():
            self.session.flush()

    def insert_now(self, row: Any) -> bool:
        """Insert the new ``row`` with one statement and queue its audit entry, as a flush would but without the
        ORM's bookkeeping (most of a single insert's CPU); later reads in this unit of work find it in the
        database. False (nothing done) if a flush could not write it now: changes waiting for their reason, or a
        key the database generates; the caller then adds it to the session."""
        mapper = inspect(row).mapper
        if any(getattr(row, mapper.get_property_by_column(column).key) is None for column in mapper.primary_key):
            return False
        if self._reason() is None and self._changes_need_reason():
            return False
        self.flush()  # what is pending goes first (a parent row before this one)
        values = {attr.columns[0].key: getattr(row, attr.key) for attr in mapper.column_attrs}
        with _conflicts_refused():
            self.session.connection().execute(insert(mapper.local_table), values)
        if getattr(type(row), "__audited__", False):
            append_entries(self.session, [insert_entry(row)])
        return True

    def flush_inserts(self) -> None:
        """Write new records now, unless updates whose reason is not yet known are pending."""
        if self._reason() is not None or not self._changes_need_reason():
            self.flush()

    def flush_for_read(self) -> None:
        """Let a read see this unit of work's writes (those that can be written yet)."""
        self.flush_inserts()

    def record(self, event: DomainEvent) -> None:
        """Write the changes the event explains, then the event itself, to the audit chain."""
        if not isinstance(event, DomainEvent):
            raise TypeError(f"{event!r} is not a domain event")
        self._events.append(event.name)
        self.flush()
        entity, entity_id = event_entity(event)
        append_entries(self.session, [(event.name, entity, entity_id, event_details(event))])

    def commit(self) -> None:
        self.flush()
        self.session.commit()
        self._events = []

    def rollback(self) -> None:
        self.session.rollback()
        self._events = []
