"""The append-only, hash-chained audit trail (21 CFR 11.10(e); ICH E6(R3) 4.2.2).

Every insert, update and delete of an audited row is recorded automatically, in the same transaction and flush as
the change, with who (actor id and role), when (UTC), what (entity, id, field, old and new value), why (a reason is
mandatory for any change after first entry) and the software version. Entries are chained: each stores the
SHA-256 of the previous one, so editing, deleting or reordering an entry breaks the chain. ``verify_audit`` also
replays the trail and compares the result with the data tables, which reveals data rows edited, inserted or
deleted behind the system's back.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from sqlalchemy import BigInteger, Integer, String, Text, event, func, insert, inspect, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from mexards import __version__
from mexards.domain.errors import ValidationError
from mexards.persistence.rows import Base

GENESIS_HASH = "0" * 64
_PG_AUDIT_LOCK = 5_114_210_402  # advisory lock key that serializes appends to the chain on PostgreSQL


class AuditRow(Base):
    """One audit entry. Never updated or deleted (database triggers refuse it)."""

    __tablename__ = "audit_log"
    __audited__ = False

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    recorded_at: Mapped[str] = mapped_column(String(40))
    actor_id: Mapped[str] = mapped_column(String(64))
    actor_role: Mapped[str] = mapped_column(String(40))
    action: Mapped[str] = mapped_column(String(40))
    entity: Mapped[str] = mapped_column(String(64), index=True)
    entity_id: Mapped[str] = mapped_column(String(700), index=True)
    changes: Mapped[str] = mapped_column(Text)
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    software_version: Mapped[str] = mapped_column(String(40))
    prev_hash: Mapped[str] = mapped_column(String(64))
    row_hash: Mapped[str] = mapped_column(String(64), unique=True)


class AuditPendingRow(Base):
    """Entries of an open PostgreSQL transaction, waiting for its commit to chain them into ``audit_log``.

    Always empty outside a transaction: the commit-time trigger moves each row into the chain. The hash input is
    kept as the canonical JSON around the two values only the commit knows (the predecessor's hash and the
    sequence number), so that the database computes exactly the hash :func:`entry_hash` checks.
    """

    __tablename__ = "audit_pending"
    __audited__ = False

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    recorded_at: Mapped[str] = mapped_column(String(40))
    actor_id: Mapped[str] = mapped_column(String(64))
    actor_role: Mapped[str] = mapped_column(String(40))
    action: Mapped[str] = mapped_column(String(40))
    entity: Mapped[str] = mapped_column(String(64))
    entity_id: Mapped[str] = mapped_column(String(700))
    changes: Mapped[str] = mapped_column(Text)
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    software_version: Mapped[str] = mapped_column(String(40))
    hash_head: Mapped[str] = mapped_column(Text)
    hash_middle: Mapped[str] = mapped_column(Text)
    hash_tail: Mapped[str] = mapped_column(Text)


IMMUTABLE_AUDIT_SQL = {
    "postgresql": [
        """CREATE OR REPLACE FUNCTION mexards_audit_append_only() RETURNS trigger AS $$
           BEGIN RAISE EXCEPTION 'audit_log is append-only'; END; $$ LANGUAGE plpgsql""",
        "DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log",
        """CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
           FOR EACH ROW EXECUTE FUNCTION mexards_audit_append_only()""",
        "DROP TRIGGER IF EXISTS audit_log_no_truncate ON audit_log",
        """CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
           FOR EACH STATEMENT EXECUTE FUNCTION mexards_audit_append_only()""",
    ],
    "sqlite": [
        """CREATE TRIGGER IF NOT EXISTS audit_log_no_update BEFORE UPDATE ON audit_log
           BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END""",
        """CREATE TRIGGER IF NOT EXISTS audit_log_no_delete BEFORE DELETE ON audit_log
           BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END""",
    ],
}


CHAIN_AT_COMMIT_SQL = {
    "postgresql": [
        f"""CREATE OR REPLACE FUNCTION mexards_audit_chain() RETURNS trigger AS $$
           DECLARE head_seq integer; head_hash text; next_hash text;
           BEGIN
             PERFORM pg_advisory_xact_lock({_PG_AUDIT_LOCK});
             SELECT seq, row_hash INTO head_seq, head_hash FROM audit_log ORDER BY seq DESC LIMIT 1;
             IF NOT FOUND THEN head_seq := 0; head_hash := '{GENESIS_HASH}'; END IF;
             head_seq := head_seq + 1;
             next_hash := encode(sha256(convert_to(
               NEW.hash_head || head_hash || NEW.hash_middle || head_seq::text || NEW.hash_tail, 'UTF8')), 'hex');
             INSERT INTO audit_log (seq, recorded_at, actor_id, actor_role, action, entity, entity_id, changes,
                                    reason, software_version, prev_hash, row_hash)
             VALUES (head_seq, NEW.recorded_at, NEW.actor_id, NEW.actor_role, NEW.action, NEW.entity,
                     NEW.entity_id, NEW.changes, NEW.reason, NEW.software_version, head_hash, next_hash);
             DELETE FROM audit_pending WHERE id = NEW.id;
             RETURN NULL;
           END; $$ LANGUAGE plpgsql""",
        "DROP TRIGGER IF EXISTS audit_pending_chain ON audit_pending",
        """CREATE CONSTRAINT TRIGGER audit_pending_chain AFTER INSERT ON audit_pending
           DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION mexards_audit_chain()""",
    ],
}
"""PostgreSQL chains a transaction's entries as it commits, inside the server: the chain's lock is held from
the first entry's chaining to the end of the commit, with no round trip to the application in between, so that
concurrent writers queue for microseconds instead of for the application's network round trips (each of which
may also wait for a worker's interpreter lock). Entries are chained in the order they were queued."""


BLINDED_FIELDS = frozenset(
    {
        ("allocation_slot", "arm_code"),
        ("allocation_slot", "block_size"),
        ("allocation_slot", "block_number"),
        ("allocation_list", "scheme"),
        ("allocation_list", "seed_entropy"),
    }
)
"""Columns whose values blinded roles never see, in the trail or in verification reports: the arm of a slot,
the block structure (block sizes are not disclosed, ICH E9 2.3.2) and the seed that reproduces the list."""
BLINDED_EVENT_FIELDS = frozenset({"seed_entropy"})
"""Fields of recorded workflow events hidden from blinded roles."""
MASK = "[blinded]"


def is_blinded_field(entity: str, field: str, action: str = "update") -> bool:
    """True if ``field`` of ``entity`` in an entry of ``action`` is hidden from blinded roles."""
    if action in ("insert", "update", "delete"):
        return (entity, field) in BLINDED_FIELDS
    return field in BLINDED_EVENT_FIELDS


@dataclass(frozen=True)
class AuditContext:
    """Who is changing data and why; set on the session by the unit of work."""

    actor_id: str
    actor_role: str
    reason: str | None = None
    now: Callable[[], datetime] = lambda: datetime.now(UTC)


def canonical(value: Any) -> Any:
    """A JSON value that compares equal however the database hands the column back."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Enum):
        return canonical(value.value)
    if isinstance(value, bytes):
        return value.hex()
    return str(value)


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def entry_hash(fields: dict[str, Any]) -> str:
    """SHA-256 over the canonical JSON of an entry's content and its predecessor's hash."""
    return hashlib.sha256(canonical_json(fields).encode("utf-8")).hexdigest()


_HASHED = (
    "seq",
    "recorded_at",
    "actor_id",
    "actor_role",
    "action",
    "entity",
    "entity_id",
    "changes",
    "reason",
    "software_version",
    "prev_hash",
)


def _entry_fields(row: AuditRow | dict[str, Any]) -> dict[str, Any]:
    get = row.get if isinstance(row, dict) else lambda k: getattr(row, k)
    return {k: get(k) for k in _HASHED}


def _entity_id(obj: Any) -> str:
    identity = inspect(obj).identity
    if identity is None:
        mapper = inspect(obj).mapper
        identity = tuple(getattr(obj, c.key) for c in mapper.primary_key)
    return "/".join(str(canonical(v)) for v in identity)


def _snapshot(obj: Any) -> dict[str, Any]:
    mapper = inspect(obj).mapper
    return {attr.key: canonical(getattr(obj, attr.key)) for attr in mapper.column_attrs}


def insert_entry(obj: Any) -> tuple[str, str, str, dict[str, Any]]:
    """The audit entry (action, entity, entity id, changes) of inserting the row ``obj``: every column, from
    nothing to its value."""
    return "insert", obj.__tablename__, _entity_id(obj), {k: [None, v] for k, v in _snapshot(obj).items()}


def _changes(obj: Any) -> dict[str, list[Any]]:
    state = inspect(obj)
    out: dict[str, list[Any]] = {}
    for attr in state.mapper.column_attrs:
        hist = state.attrs[attr.key].history
        if hist.has_changes():
            old = hist.deleted[0] if hist.deleted else None
            new = hist.added[0] if hist.added else None
            if canonical(old) != canonical(new):
                out[attr.key] = [canonical(old), canonical(new)]
    return out


def _audited(obj: Any) -> bool:
    return bool(getattr(type(obj), "__audited__", False))


def _context(session: Session) -> AuditContext:
    ctx = session.info.get("audit")
    if not isinstance(ctx, AuditContext):
        raise ValidationError("actor", "every change to trial data needs an actor (no audit context on the session)")
    return ctx


def _before_flush(session: Session, _ctx: Any, _instances: Any) -> None:
    audited_dirty = [o for o in session.dirty if _audited(o) and session.is_modified(o)]
    audited_deleted = [o for o in session.deleted if _audited(o)]
    if not (audited_dirty or audited_deleted or any(_audited(o) for o in session.new)):
        return
    ctx = _context(session)
    if (audited_dirty or audited_deleted) and not (ctx.reason and ctx.reason.strip()):
        raise ValidationError("reason", "a reason is required to change or delete data after first entry")


def _after_flush(session: Session, _ctx: Any) -> None:
    pending: list[tuple[str, str, str, dict[str, Any]]] = []
    for obj in sorted((o for o in session.new if _audited(o)), key=_sort_key):
        pending.append(insert_entry(obj))
    for obj in sorted((o for o in session.dirty if _audited(o)), key=_sort_key):
        changes = _changes(obj)
        if changes:
            pending.append(("update", obj.__tablename__, _entity_id(obj), changes))
    for obj in sorted((o for o in session.deleted if _audited(o)), key=_sort_key):
        old = {k: [v, None] for k, v in _snapshot(obj).items()}
        pending.append(("delete", obj.__tablename__, _entity_id(obj), old))
    if pending:
        append_entries(session, pending)


def _sort_key(obj: Any) -> tuple[str, str]:
    return (obj.__tablename__, _entity_id(obj))


_PENDING = "audit_pending"


def append_entries(session: Session, entries: Iterable[tuple[str, str, str, dict[str, Any]]]) -> None:
    """Add entries (action, entity, entity id, changes) to the chain as part of the session's transaction.

    They are queued with who, when and why as of now, and chained when the transaction commits
    (:func:`write_pending`; on PostgreSQL inside the database's own commit): the chain is held only while they
    are appended, not for the whole transaction. A rollback discards them with the data they describe.
    """
    ctx = _context(session)
    recorded_at = canonical(ctx.now())
    queue: list[dict[str, Any]] = session.info.setdefault(_PENDING, [])
    for action, entity, entity_id, changes in entries:
        queue.append(
            {
                "recorded_at": recorded_at,
                "actor_id": ctx.actor_id,
                "actor_role": ctx.actor_role,
                "action": action,
                "entity": entity,
                "entity_id": entity_id,
                "changes": canonical_json(changes),
                "reason": ctx.reason,
                "software_version": __version__,
            }
        )


def hash_template(fields: dict[str, Any]) -> dict[str, str]:
    """The canonical JSON of an entry's hash input, cut around the values of ``prev_hash`` and ``seq``:
    ``hash_head + prev_hash + hash_middle + str(seq) + hash_tail == canonical_json(...)`` of the whole entry."""
    whole = canonical_json({**{k: fields[k] for k in _HASHED if k not in ("seq", "prev_hash")}, "prev_hash": "",
                            "seq": 0})  # fmt: skip
    head, _, rest = whole.partition('"prev_hash":""')
    middle, _, tail = rest.partition('"seq":0')
    return {"hash_head": head + '"prev_hash":"', "hash_middle": '"' + middle + '"seq":', "hash_tail": tail}


def write_pending(session: Session) -> None:
    """Chain and insert the queued entries now, inside the session's transaction (called at commit).

    On PostgreSQL they are handed to the database, which chains them as the transaction commits
    (:data:`CHAIN_AT_COMMIT_SQL`); elsewhere they are chained here, the transaction already being the only writer.
    """
    queue = session.info.pop(_PENDING, None)
    if not queue:
        return
    conn = session.connection()
    if conn.dialect.name == "postgresql":
        conn.execute(insert(AuditPendingRow), [{**queued, **hash_template(queued)} for queued in queue])
        return
    # SQLite transactions are BEGIN IMMEDIATE: this one is the only writer, the head cannot move under it.
    head = conn.execute(select(AuditRow.seq, AuditRow.row_hash).order_by(AuditRow.seq.desc()).limit(1)).first()
    seq, prev = (head[0], head[1]) if head else (0, GENESIS_HASH)
    rows = []
    for queued in queue:
        seq += 1
        fields = {**queued, "seq": seq, "prev_hash": prev}
        prev = entry_hash(fields)
        rows.append({**fields, "row_hash": prev})
    conn.execute(insert(AuditRow), rows)


def _before_commit(session: Session) -> None:
    session.flush()
    write_pending(session)


def _discard_pending(session: Session, transaction: Any) -> None:
    """Entries still queued when the outermost transaction ends belong to a rollback: they go with it."""
    if transaction.parent is None:
        session.info.pop(_PENDING, None)


def record_event(session: Session, action: str, entity: str, entity_id: str, details: dict[str, Any]) -> None:
    """Record a workflow event that changes no row (login, export, unblinded view, signature...)."""
    append_entries(session, [(action, entity, entity_id, {k: canonical(v) for k, v in details.items()})])


def install_audit(target: Any) -> None:
    """Attach automatic auditing to a ``sessionmaker`` (or ``Session`` class); a second call does nothing.

    The mark is kept on the session class itself. ``event.contains`` is not used: it keys on ``id(target)``,
    and a new sessionmaker that reuses the address of a collected one would be taken as already audited
    and write no audit entries at all.
    """
    cls = getattr(target, "class_", target)
    if cls.__dict__.get("_mexards_audited", False):
        return
    event.listen(cls, "before_flush", _before_flush)
    event.listen(cls, "after_flush", _after_flush)
    event.listen(cls, "before_commit", _before_commit)
    event.listen(cls, "after_transaction_end", _discard_pending)
    cls._mexards_audited = True


def make_audit_immutable(connection: Any) -> None:
    """Install database triggers that refuse UPDATE/DELETE (and TRUNCATE) on the audit table, and those that
    chain entries at commit (:data:`CHAIN_AT_COMMIT_SQL`)."""
    dialect = connection.dialect.name
    for statement in IMMUTABLE_AUDIT_SQL.get(dialect, []) + CHAIN_AT_COMMIT_SQL.get(dialect, []):
        connection.exec_driver_sql(statement)


@dataclass(frozen=True)
class AuditProblem:
    """One finding of ``verify_audit``: where (audit seq and/or entity row) and what is wrong."""

    problem: str
    seq: int | None = None
    entity: str | None = None
    entity_id: str | None = None
    field: str | None = None

    def __str__(self) -> str:
        where = []
        if self.seq is not None:
            where.append(f"audit seq {self.seq}")
        if self.entity is not None:
            where.append(f"{self.entity} {self.entity_id}" + (f" field {self.field}" if self.field else ""))
        return f"{', '.join(where)}: {self.problem}"


def _chain(session: Session) -> Iterator[AuditRow]:
    yield from session.scalars(select(AuditRow).order_by(AuditRow.seq).execution_options(yield_per=2000))


def audited_row_classes() -> list[type[Any]]:
    """Every audited row class of the application's tables."""
    return [m.class_ for m in Base.registry.mappers if getattr(m.class_, "__audited__", False)]


def verify_audit(session: Session, row_classes: Iterable[type[Any]] | None = None) -> list[AuditProblem]:
    """Check the chain and replay it against the data tables. An empty list means the trail is intact.

    ``row_classes`` are the audited tables to compare with the replayed trail (default: all of the application's).
    """
    problems: list[AuditProblem] = []
    expected: dict[tuple[str, str], dict[str, Any]] = {}
    prev_hash, prev_seq = GENESIS_HASH, 0
    for row in _chain(session):
        if row.seq != prev_seq + 1:
            problems.append(
                AuditProblem(f"entries {prev_seq + 1}..{row.seq - 1} are missing (deleted or reordered)", seq=row.seq)
            )
        if row.prev_hash != prev_hash:
            problems.append(
                AuditProblem("does not follow its predecessor (entry deleted, inserted or reordered)", seq=row.seq)
            )
        if entry_hash(_entry_fields(row)) != row.row_hash:
            problems.append(
                AuditProblem(
                    "content does not match its hash (entry edited)",
                    seq=row.seq,
                    entity=row.entity,
                    entity_id=row.entity_id,
                )
            )
        prev_hash, prev_seq = row.row_hash, row.seq
        _replay(expected, row)
    classes = audited_row_classes() if row_classes is None else list(row_classes)
    problems.extend(_compare_tables(session, expected, classes))
    return problems


def _replay(expected: dict[tuple[str, str], dict[str, Any]], row: AuditRow) -> None:
    if row.action not in ("insert", "update", "delete"):
        return
    key = (row.entity, row.entity_id)
    changes = json.loads(row.changes)
    if row.action == "delete":
        expected.pop(key, None)
        return
    current = expected.setdefault(key, {})
    for field, (_old, new) in changes.items():
        current[field] = new


def _compare_tables(
    session: Session, expected: dict[tuple[str, str], dict[str, Any]], classes: list[type[Any]]
) -> list[AuditProblem]:
    problems: list[AuditProblem] = []
    seen: set[tuple[str, str]] = set()
    for cls in classes:
        for obj in session.scalars(select(cls).execution_options(yield_per=2000)):
            key = (cls.__tablename__, _entity_id(obj))
            seen.add(key)
            want = expected.get(key)
            if want is None:
                problems.append(
                    AuditProblem(
                        "row has no audit history (inserted behind the system's back)", entity=key[0], entity_id=key[1]
                    )
                )
                continue
            for field, value in _snapshot(obj).items():
                if want.get(field) != value:
                    shown = "" if is_blinded_field(key[0], field) else f": audited {want.get(field)!r}, found {value!r}"
                    problems.append(
                        AuditProblem(
                            f"value differs from the audit trail (edited behind the system's back){shown}",
                            entity=key[0],
                            entity_id=key[1],
                            field=field,
                        )
                    )
        session.expunge_all()
    audited_tables = {cls.__tablename__ for cls in classes}
    for key in expected.keys() - seen:
        if key[0] in audited_tables:
            problems.append(
                AuditProblem(
                    "row in the audit trail is missing from the table (deleted behind the system's back)",
                    entity=key[0],
                    entity_id=key[1],
                )
            )
    return problems


def audit_count(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(AuditRow)) or 0)
