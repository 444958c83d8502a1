"""A database: engine, audited session factory, schema creation and the unit of work."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from types import TracebackType
from typing import Self

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from mexards.persistence.audit import AuditContext, install_audit, make_audit_immutable
from mexards.persistence.engine import make_engine
from mexards.persistence.rows import Base


class Database:
    """Everything that talks to one database URL. Sessions it makes audit every change automatically."""

    def __init__(self, url: str, *, engine: Engine | None = None) -> None:
        self.url = url
        self.engine = engine or make_engine(url)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        install_audit(self.sessions)

    def create_schema(self) -> None:
        """Create every table (idempotent) and make the audit table append-only."""
        with self.engine.begin() as conn:
            Base.metadata.create_all(conn)
            make_audit_immutable(conn)

    def unit_of_work(
        self, actor_id: str, actor_role: str, reason: str | None = None, now: Callable[[], datetime] | None = None
    ) -> SqlUnitOfWork:
        ctx = AuditContext(actor_id, actor_role, reason, now or (lambda: datetime.now(UTC)))
        return SqlUnitOfWork(self.sessions, ctx)

    def dispose(self) -> None:
        self.engine.dispose()


class SqlUnitOfWork:
    """``with uow:`` opens a transaction; ``uow.commit()`` commits it; leaving without commit rolls back."""

    def __init__(self, sessions: sessionmaker[Session], context: AuditContext) -> None:
        self._sessions = sessions
        self.context = context
        self._session: Session | None = None

    @property
    def session(self) -> Session:
        if self._session is None:
            raise RuntimeError("the unit of work is not open: use it in a `with` block")
        return self._session

    def __enter__(self) -> Self:
        self._session = self._sessions()
        self._session.info["audit"] = self.context
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

    def commit(self) -> None:
        self.session.commit()

    def rollback(self) -> None:
        self.session.rollback()
