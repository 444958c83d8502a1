"""Composition root: settings -> the objects the entrypoints use. The only importer of ``persistence``."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

from mexards.config import Settings
from mexards.domain.errors import NotFoundError, PermissionDeniedError, ValidationError
from mexards.domain.identifier import SiteId, UserId
from mexards.domain.role import Actor, Role
from mexards.persistence import backup as backup_archive
from mexards.persistence import migration
from mexards.persistence.account import SqlLoginAttempts
from mexards.persistence.account import account_unit_of_work_factory as account_unit_of_work_factory
from mexards.persistence.audit import MASK, AuditProblem, AuditRow, is_blinded_field, record_event, verify_audit
from mexards.persistence.database import Database
from mexards.protocol.catalog import builtin_protocol
from mexards.protocol.loader import load_protocol
from mexards.protocol.model import Protocol
from mexards.services.operation import RandomIds
from mexards.services.port import Clock, IdSource, UnitOfWork


def database_url(url_or_path: str | None = None, settings: Settings | None = None) -> str:
    """A URL from an explicit URL, a bare file path (SQLite), or the settings."""
    if not url_or_path:
        return (settings or Settings()).database_url
    if "://" in url_or_path:
        return url_or_path
    return f"sqlite:///{Path(url_or_path)}"


def open_database(
    url_or_path: str | None = None, *, upgrade: bool = True, pool_size: int | None = None
) -> Database:
    """Open a database, bringing its schema up to date unless told not to; ``pool_size``: connections kept
    open for reuse."""
    db = Database(database_url(url_or_path), pool_size=pool_size)
    if upgrade:
        migration.upgrade(db.engine)
    return db


@dataclass(frozen=True)
class SchemaStatus:
    current: str | None
    head: str | None
    differences: list[str]

    @property
    def ok(self) -> bool:
        return self.current == self.head and not self.differences


def schema_status(db: Database) -> SchemaStatus:
    return SchemaStatus(
        migration.current_revision(db.engine), migration.head_revision(), migration.schema_differences(db.engine)
    )


def schema_revision(db: Database) -> str | None:
    """The database's migration revision: one small query (the cheap liveness probe of the health check)."""
    return migration.current_revision(db.engine)


def head_revision() -> str | None:
    """The newest migration revision this software ships."""
    return migration.head_revision()


DatabaseError = DBAPIError
"""What a failure of the database driver raises (SQLAlchemy wraps every DB-API error in it)."""

_UNAVAILABLE_SQLSTATE_CLASSES = ("08", "53", "57P")
"""PostgreSQL SQLSTATEs of an unavailable server: connection exceptions (08), insufficient resources such as
too many connections (53), and operator intervention such as an administrator or crash shutdown or a server
still starting (57P) (PostgreSQL documentation, Appendix A, "PostgreSQL Error Codes")."""

_UNAVAILABLE_SQLITE_ERRORS = ("SQLITE_BUSY", "SQLITE_LOCKED", "SQLITE_CANTOPEN", "SQLITE_IOERR", "SQLITE_FULL")


def database_unavailable(exc: BaseException) -> bool:
    """True when ``exc`` means the database cannot be used right now (server down, connection refused or lost,
    server shutting down or starting, no connection left, SQLite file locked or unreadable): worth a retry
    later, unlike an error in a statement."""
    if not isinstance(exc, DBAPIError):
        return False
    if exc.connection_invalidated:
        return True
    if not isinstance(exc, OperationalError | InterfaceError):
        return False
    sqlite_error = getattr(exc.orig, "sqlite_errorname", None)
    if isinstance(sqlite_error, str):
        return sqlite_error.startswith(_UNAVAILABLE_SQLITE_ERRORS)
    sqlstate = getattr(exc.orig, "sqlstate", None)
    if isinstance(sqlstate, str) and sqlstate:
        return sqlstate.startswith(_UNAVAILABLE_SQLSTATE_CLASSES)
    return True  # psycopg reports a refused, failed or closed connection without a SQLSTATE


def login_attempt_log(db: Database, key: str) -> SqlLoginAttempts:
    """The login attempts counted in the database (shared by every worker process on it); subjects are stored
    as HMAC-SHA-256 digests under ``key``."""
    return SqlLoginAttempts(db, key.encode("utf-8"))


def upgrade_schema(db: Database) -> None:
    migration.upgrade(db.engine)


def audit_problems(db: Database) -> list[AuditProblem]:
    with db.sessions() as session:
        return verify_audit(session)


def backup_database(url_or_path: str | None, out: Path) -> backup_archive.BackupManifest:
    """Back up the database (SQLite online backup; ``pg_dump`` on PostgreSQL) into the new archive ``out``."""
    db = open_database(url_or_path, upgrade=False)
    try:
        return backup_archive.backup(db, out)
    finally:
        db.dispose()


def restore_database(
    url_or_path: str | None, source: Path, *, replace: bool = False
) -> backup_archive.RestoreReport:
    """Restore the archive ``source`` into the database and verify it (row counts, audit head and chain)."""
    db = open_database(url_or_path, upgrade=False)
    try:
        return backup_archive.restore(db, source, replace=replace)
    finally:
        db.dispose()


class SystemClock:
    """The services' clock: now, in UTC."""

    def now(self) -> datetime:
        return datetime.now(UTC)


@dataclass(frozen=True)
class Container:
    """What entrypoints use: the database and a fresh unit of work per use case."""

    database: Database
    clock: Clock
    ids: IdSource = field(default_factory=RandomIds)

    def unit_of_work(self) -> UnitOfWork:
        return self.database.unit_of_work_factory(self.clock, self.ids)()

    def dispose(self) -> None:
        self.database.dispose()


def build_container(
    url_or_path: str | None = None, *, upgrade: bool = True, clock: Clock | None = None, ids: IdSource | None = None
) -> Container:
    """The container for a database URL (or SQLite path, or the settings), schema brought up to date."""
    return Container(open_database(url_or_path, upgrade=upgrade), clock or SystemClock(), ids or RandomIds())


def cli_actor(user_id: str, role: str, site_ids: Iterable[str] = ()) -> Actor:
    """The actor of an administrator's script (user and role given on the command line)."""
    return Actor(UserId(user_id), Role.parse(role), frozenset(SiteId(s) for s in site_ids))


def trial_protocol(container: Container, protocol: str | None = None) -> Protocol:
    """The protocol named (built-in id or file), else the one of the trial started in this database."""
    if protocol:
        return load_protocol(protocol) if Path(protocol).exists() else builtin_protocol(protocol)
    with container.unit_of_work() as uow:
        trial = uow.trial.find()
    if trial is None:
        raise NotFoundError("no trial has been started in this database")
    return builtin_protocol(trial.protocol_id)


@dataclass(frozen=True)
class AuditEntry:
    """One audit entry as shown to an administrator (blinded fields masked unless shown unblinded)."""

    seq: int
    recorded_at: str
    actor_id: str
    actor_role: str
    action: str
    entity: str
    entity_id: str
    changes: dict[str, Any]
    reason: str | None
    software_version: str


def _shown(row: AuditRow, unblinded: bool) -> AuditEntry:
    changes = json.loads(row.changes)
    if not unblinded:
        for name in changes:
            if is_blinded_field(row.entity, name, row.action):
                changes[name] = [MASK, MASK] if isinstance(changes[name], list) else MASK
    return AuditEntry(
        row.seq, row.recorded_at, row.actor_id, row.actor_role, row.action, row.entity, row.entity_id, changes,
        row.reason, row.software_version,
    )  # fmt: skip


def audit_log(
    db: Database,
    *,
    entity: str | None = None,
    entity_id: str | None = None,
    limit: int = 50,
    viewer: Actor | None = None,
) -> list[AuditEntry]:
    """The newest ``limit`` entries (oldest first), optionally of one entity (and id).

    Blinded fields (a slot's arm, block structure, the list's seed) are masked unless ``viewer`` is given
    with an unblinded role; such an unblinded view is itself recorded in the trail (BLD-5)."""
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        raise ValidationError("limit", "must be a whole number, at least 1", limit)
    if viewer is not None and viewer.is_blinded:
        raise PermissionDeniedError(f"role {viewer.role.value} may not see unblinded audit entries")
    statement = select(AuditRow).order_by(AuditRow.seq.desc()).limit(limit)
    if entity:
        statement = statement.where(AuditRow.entity == entity)
    if entity_id:
        statement = statement.where(AuditRow.entity_id == entity_id)
    with db.sessions() as session:
        rows = list(reversed(session.scalars(statement).all()))
    entries = [_shown(row, unblinded=viewer is not None) for row in rows]
    if viewer is not None:
        with db.unit_of_work(viewer.user_id.value, viewer.role.value) as uow:
            details = {"entity": entity, "entity_id": entity_id, "entries": len(entries)}
            record_event(uow.session, "unblinded_audit_view", "audit_log", entity or "all", details)
            uow.commit()
    return entries
