"""An in-memory unit of work implementing the services' ports, for service tests only.

Writes go to a per-transaction overlay; ``commit`` applies the overlay to the shared :class:`FakeStore`,
leaving the ``with`` block without ``commit`` discards it. Reads see the committed state plus the
transaction's own writes and return copies, so a use case that changes an entity without calling ``update``
loses the change, as it would with a real database. ``next_free_slot`` takes a store-wide lock held until the
unit of work ends (the adapter's serialization) and reads the committed slot uses afresh under it.
Every committed transaction is kept with its writes, events, actor and reason for the audit-intent checks.
"""

from __future__ import annotations

import copy
import dataclasses
import threading
from collections.abc import Callable, Collection, Hashable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Any, Self

from mexards.domain.errors import ConflictError, NotFoundError
from mexards.domain.event import DomainEvent
from mexards.domain.identifier import ParticipantId
from mexards.domain.role import Actor
from mexards.randomization.allocation_list import AllocationSlot
from mexards.randomization.allocator import StratumExhaustedError
from mexards.services.operation import RandomIds

_ABSENT = object()


class InjectedFailure(RuntimeError):
    """Raised by the fake where a test asked for a failure."""


def _copy(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and type(value).__dataclass_params__.frozen:
        return value
    return copy.deepcopy(value)


@dataclass(frozen=True)
class Write:
    table: str
    key: Hashable
    kind: str  # add | update


@dataclass(frozen=True)
class Transaction:
    writes: tuple[Write, ...]
    events: tuple[DomainEvent, ...]
    actor: Actor | None
    reason: str | None


@dataclass
class FakeStore:
    """The committed state shared by every FakeUnitOfWork made on it."""

    tables: dict[str, dict[Hashable, Any]] = field(default_factory=dict)
    transactions: list[Transaction] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    allocation_lock: threading.Lock = field(default_factory=threading.Lock)

    def table(self, name: str) -> dict[Hashable, Any]:
        return self.tables.setdefault(name, {})

    def snapshot(self) -> dict[str, dict[Hashable, Any]]:
        """A deep copy of the committed data (for 'nothing changed' checks)."""
        with self.lock:
            return {name: {k: _copy(v) for k, v in rows.items()} for name, rows in self.tables.items() if rows}


class FakeClock:
    def __init__(self, start: datetime | None = None) -> None:
        self.current = start or datetime(2025, 3, 1, 8, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self.current

    def advance(self, **delta: float) -> datetime:
        self.current = self.current + timedelta(**delta)
        return self.current


class _Table:
    def __init__(self, uow: FakeUnitOfWork, name: str) -> None:
        self.uow, self.name = uow, name

    def _rows(self) -> dict[Hashable, Any]:
        committed = self.uow.store.table(self.name)
        overlay = self.uow.overlay.get(self.name, {})
        with self.uow.store.lock:
            merged = dict(committed)
        merged.update(overlay)
        return merged

    def _find(self, key: Hashable) -> Any:
        self.uow.check_open()
        overlay = self.uow.overlay.get(self.name, {})
        if key in overlay:
            return _copy(overlay[key])
        with self.uow.store.lock:
            value = self.uow.store.table(self.name).get(key, _ABSENT)
        return None if value is _ABSENT else _copy(value)

    def _get(self, key: Hashable, what: str) -> Any:
        found = self._find(key)
        if found is None:
            raise NotFoundError(f"{what} {key} not found")
        return found

    def _write(self, key: Hashable, value: Any, kind: str) -> None:
        self.uow.check_open()
        self.uow.maybe_fail(f"{self.name}.{kind}")
        exists = self._find(key) is not None
        if kind == "add" and exists:
            raise ConflictError(f"{self.name} {key} already exists")
        if kind == "update" and not exists:
            raise NotFoundError(f"{self.name} {key} not found")
        self.uow.overlay.setdefault(self.name, {})[key] = _copy(value)
        self.uow.writes.append(Write(self.name, key, kind))

    def _all(
        self, keep: Callable[[Any], bool] = lambda _: True, order: Callable[[Any], Any] | None = None
    ) -> list[Any]:
        self.uow.check_open()
        rows = [_copy(v) for v in self._rows().values() if keep(v)]
        return sorted(rows, key=order) if order else rows


class _Trials(_Table):
    def find(self) -> Any:
        return self._find("trial")

    def get(self) -> Any:
        return self._get("trial", "trial")

    def add(self, trial: Any) -> None:
        self._write("trial", trial, "add")

    def update(self, trial: Any) -> None:
        self._write("trial", trial, "update")


class _Keyed(_Table):
    key_field = ""
    order_field: str | None = None

    def _key(self, item: Any) -> Hashable:
        return getattr(item, self.key_field)  # type: ignore[no-any-return]

    def get(self, key: Hashable) -> Any:
        return self._get(key, self.name)

    def find(self, key: Hashable) -> Any:
        return self._find(key)

    def add(self, item: Any) -> None:
        self._write(self._key(item), item, "add")

    def update(self, item: Any) -> None:
        self._write(self._key(item), item, "update")

    def _ordered(self, keep: Callable[[Any], bool] = lambda _: True) -> list[Any]:
        order_field = self.order_field
        return self._all(keep, (lambda v: getattr(v, order_field)) if order_field else None)


class _Participants(_Keyed):
    key_field, order_field = "participant_id", "participant_id"

    def list(self, site_ids: Collection[Any] | None = None, states: Collection[Any] | None = None) -> list[Any]:
        return self._ordered(
            lambda p: (site_ids is None or p.site_id in site_ids) and (states is None or p.state in states)
        )


class _ScreeningLog(_Keyed):
    key_field = "participant_id"

    def list(self, site_ids: Collection[Any] | None = None) -> list[Any]:
        return self._ordered(lambda e: site_ids is None or e.site_id in site_ids)


class _Cohorts(_Keyed):
    key_field, order_field = "cohort_number", "cohort_number"

    def list(self) -> list[Any]:
        return self._ordered()


class _DoseDecisions(_Keyed):
    key_field, order_field = "cohort_number", "cohort_number"

    def list(self) -> list[Any]:
        return self._ordered()


class _Adjudications(_Keyed):
    key_field = "adjudication_id"

    def list(self, cohort_number: int | None = None, participant_id: ParticipantId | None = None) -> list[Any]:
        return self._ordered(
            lambda a: (cohort_number is None or a.cohort_number == cohort_number)
            and (participant_id is None or a.participant_id == participant_id)
        )


class _Declarations(_Keyed):
    key_field = "declaration_id"

    def list(self) -> list[Any]:
        return self._ordered()


class _ByParticipant(_Keyed):
    def list(self, participant_id: ParticipantId | None = None) -> list[Any]:
        return self._ordered(lambda x: participant_id is None or x.participant_id == participant_id)


class _Administrations(_ByParticipant):
    key_field = "administration_id"


class _Visits(_ByParticipant):
    key_field = "visit_id"


class _AdverseEvents(_ByParticipant):
    key_field = "adverse_event_id"


class _Unblindings(_ByParticipant):
    key_field = "unblinding_id"


class _CRFs(_ByParticipant):
    key_field = "record_id"

    def find(self, participant_id: ParticipantId, form_id: str, visit_code: str) -> Any:  # type: ignore[override]
        for item in self.list(participant_id):
            if item.form_id == form_id and item.visit_code == visit_code:
                return item
        return None


class _Queries(_Keyed):
    key_field = "query_id"

    def list(self, participant_id: ParticipantId | None = None, state: Any = None) -> list[Any]:
        return self._ordered(
            lambda q: (participant_id is None or q.participant_id == participant_id)
            and (state is None or q.state == state)
        )


class _Notifications(_Keyed):
    key_field = "notification_id"

    def notify(self, notification: Any) -> None:
        self.add(notification)

    def list(self, participant_id: ParticipantId | None = None) -> list[Any]:
        return self._ordered(lambda n: participant_id is None or n.participant_id == participant_id)


class _Allocation(_Table):
    def add_list(self, sealed: Any) -> None:
        self._write("list", sealed, "add")

    def find_list(self) -> Any:
        return self._find("list")

    def find_seal(self) -> tuple[str, str] | None:
        sealed = self._find("list")
        return None if sealed is None else (sealed.list_id, sealed.sha256)

    def used_count(self, stratum: str) -> int:
        return sum(1 for key in self._uses() if isinstance(key, tuple) and key[0] == stratum)

    def _uses(self) -> dict[Hashable, Any]:
        return {k: v for k, v in self._rows().items() if k != "list"}

    def next_free_slot(self, stratum: str) -> AllocationSlot:
        self.uow.check_open()
        if not self.uow.holds_allocation_lock:
            self.uow.store.allocation_lock.acquire()
            self.uow.holds_allocation_lock = True
        sealed = self._find("list")
        if sealed is None:
            raise NotFoundError("no allocation list has been generated")
        used = {key[1] for key in self._uses() if isinstance(key, tuple) and key[0] == stratum}
        for slot in sealed.allocation_list.slots(stratum):
            if slot.sequence_number not in used:
                return slot  # type: ignore[no-any-return]
        raise StratumExhaustedError(stratum)

    def use_slot(self, use: Any) -> None:
        if any(u.participant_id == use.participant_id for u in self._uses().values()):
            raise ConflictError(f"participant {use.participant_id} already has a slot")
        self._write((use.stratum, use.sequence_number), use, "add")

    def used_slots(self, stratum: str | None = None) -> list[Any]:
        rows = [v for v in self._uses().values() if stratum is None or v.stratum == stratum]
        return sorted(rows, key=lambda u: (u.stratum, u.sequence_number))

    def slot_of(self, participant_id: ParticipantId) -> AllocationSlot | None:
        sealed = self._find("list")
        for use in self._uses().values():
            if use.participant_id == participant_id:
                for slot in sealed.allocation_list.slots(use.stratum):
                    if slot.sequence_number == use.sequence_number:
                        return slot  # type: ignore[no-any-return]
        return None


class _Events:
    def __init__(self, uow: FakeUnitOfWork) -> None:
        self.uow = uow

    def append(self, event: DomainEvent) -> None:
        self.uow.check_open()
        self.uow.maybe_fail("events.append")
        self.uow.pending_events.append(event)


class FakeUnitOfWork:
    """The in-memory unit of work. ``fail_at`` names a write (``"participants.update"``) that raises."""

    def __init__(self, store: FakeStore | None = None, clock: FakeClock | None = None) -> None:
        self.store = store or FakeStore()
        self.clock = clock or FakeClock()
        self.ids = RandomIds()
        self.actor: Actor | None = None
        self.reason: str | None = None
        self.fail_at: set[str] = set()
        self.overlay: dict[str, dict[Hashable, Any]] = {}
        self.writes: list[Write] = []
        self.pending_events: list[DomainEvent] = []
        self.open = False
        self.committed = False
        self.holds_allocation_lock = False
        self.trial = _Trials(self, "trial")
        self.participants = _Participants(self, "participants")
        self.screening_log = _ScreeningLog(self, "screening_log")
        self.cohorts = _Cohorts(self, "cohorts")
        self.dose_decisions = _DoseDecisions(self, "dose_decisions")
        self.dlt_adjudications = _Adjudications(self, "dlt_adjudications")
        self.mtd_declarations = _Declarations(self, "mtd_declarations")
        self.allocation = _Allocation(self, "allocation")
        self.administrations = _Administrations(self, "administrations")
        self.visits = _Visits(self, "visits")
        self.crf_records = _CRFs(self, "crf_records")
        self.adverse_events = _AdverseEvents(self, "adverse_events")
        self.queries = _Queries(self, "queries")
        self.unblindings = _Unblindings(self, "unblindings")
        self.notifications = _Notifications(self, "notifications")
        self.events = _Events(self)

    def check_open(self) -> None:
        if not self.open:
            raise RuntimeError("unit of work used outside 'with'")

    def maybe_fail(self, where: str) -> None:
        if where in self.fail_at:
            raise InjectedFailure(where)

    def __enter__(self) -> Self:
        if self.open:
            raise RuntimeError("unit of work entered twice")
        self.open, self.committed = True, False
        self.overlay, self.writes, self.pending_events = {}, [], []
        self.actor, self.reason = None, None
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.rollback()
        self.open = False

    def commit(self) -> None:
        self.check_open()
        self.maybe_fail("commit")
        with self.store.lock:
            for name, rows in self.overlay.items():
                self.store.table(name).update(rows)
            self.store.transactions.append(
                Transaction(tuple(self.writes), tuple(self.pending_events), self.actor, self.reason)
            )
        self.committed = True
        self._end()

    def rollback(self) -> None:
        self._end()

    def _end(self) -> None:
        self.overlay, self.writes, self.pending_events = {}, [], []
        if self.holds_allocation_lock:
            self.holds_allocation_lock = False
            self.store.allocation_lock.release()
