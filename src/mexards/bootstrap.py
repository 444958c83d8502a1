"""Composition root: settings -> the objects the entrypoints use. The only importer of ``persistence``."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from mexards.config import Settings
from mexards.persistence import migration
from mexards.persistence.account import account_unit_of_work_factory as account_unit_of_work_factory
from mexards.persistence.audit import AuditProblem, verify_audit
from mexards.persistence.database import Database


def database_url(url_or_path: str | None = None, settings: Settings | None = None) -> str:
    """A URL from an explicit URL, a bare file path (SQLite), or the settings."""
    if not url_or_path:
        return (settings or Settings()).database_url
    if "://" in url_or_path:
        return url_or_path
    return f"sqlite:///{Path(url_or_path)}"


def open_database(url_or_path: str | None = None, *, upgrade: bool = True) -> Database:
    """Open a database, bringing its schema up to date unless told not to."""
    db = Database(database_url(url_or_path))
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


def upgrade_schema(db: Database) -> None:
    migration.upgrade(db.engine)


def audit_problems(db: Database) -> list[AuditProblem]:
    with db.sessions() as session:
        return verify_audit(session)
