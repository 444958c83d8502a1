"""A database: engine, audited session factory, schema creation and the unit of work."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import Engine
from sqlalchemy.orm import sessionmaker

from mexards.persistence.audit import AuditContext, install_audit, make_audit_immutable
from mexards.persistence.engine import make_engine
from mexards.persistence.rows import Base
from mexards.persistence.unit_of_work import FunctionClock, SqlUnitOfWork, UTCClock
from mexards.services.operation import RandomIds
from mexards.services.port import Clock, IdSource

__all__ = ["Database", "SqlUnitOfWork"]


class Database:
    """Everything that talks to one database URL. Sessions it makes audit every change automatically."""

    def __init__(self, url: str, *, engine: Engine | None = None, pool_size: int | None = None) -> None:
        """``pool_size``: connections kept open for reuse (more are opened when needed, and closed after use);
        the engine's default without it."""
        self.url = url
        self.engine = engine or make_engine(url, **({} if pool_size is None else {"pool_size": pool_size}))
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
        return SqlUnitOfWork(self.sessions, ctx, FunctionClock(ctx.now))

    def unit_of_work_factory(
        self, clock: Clock | None = None, ids: IdSource | None = None
    ) -> Callable[[], SqlUnitOfWork]:
        """A factory of fresh units of work for the use cases (each sets its own actor and reason)."""
        chosen = clock if clock is not None else UTCClock()
        source = ids if ids is not None else RandomIds()
        return lambda: SqlUnitOfWork(self.sessions, clock=chosen, ids=source)

    def dispose(self) -> None:
        self.engine.dispose()
