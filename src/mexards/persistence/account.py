"""Account rows (users, credentials, sessions), the access log, and the account unit of work.

- ``app_user`` is audited like trial data: creation, role, site and name changes and deactivation appear in
  the audit trail with the acting administrator and the reason (AUD-4).
- ``user_credential`` (password hash, lockout counters) and ``auth_session`` (token digests) are not audited
  row by row, so that no password hash or token digest is copied into the audit trail; every event that
  changes them (login, failed login, lockout, unlock, logout, password change) is written to the audit trail
  as a workflow entry of entity ``account_access`` instead, which is also the access log.
- ``login_attempt`` (not audited) holds the login throttle's recent attempts, so that every worker process on
  the database shares one count (:class:`SqlLoginAttempts`). What was counted (a client address, or a user id
  as typed, which is sometimes a password typed into the wrong field) is stored only as a keyed digest; rows
  older than twice the window are deleted as new attempts arrive.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace, TracebackType
from typing import Self, cast

from sqlalchemy import (
    Boolean,
    Engine,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    bindparam,
    delete,
    insert,
    select,
    text,
)
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker

from mexards.domain.identifier import SiteId, UserId
from mexards.domain.role import Actor, Role
from mexards.persistence.audit import AuditContext, AuditRow, record_event
from mexards.persistence.column_type import UTCDateTime
from mexards.persistence.database import Database
from mexards.persistence.repository import read_outside_transaction, reads_outside_transactions
from mexards.persistence.rows import Base
from mexards.services.account import (
    AccessEvent,
    AccessKind,
    AccessLog,
    AuthSession,
    Credential,
    CredentialRepository,
    SessionKind,
    SessionRepository,
    User,
    UserRepository,
)
from mexards.services.port import Clock

ACCESS_ENTITY = "account_access"


class UserRow(Base):
    __tablename__ = "app_user"

    user_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    display_name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(40))
    site_ids: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    active: Mapped[bool] = mapped_column(Boolean)


class CredentialRow(Base):
    __tablename__ = "user_credential"
    __audited__ = False

    user_id: Mapped[str] = mapped_column(ForeignKey("app_user.user_id"), primary_key=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    password_changed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    failed_logins: Mapped[int] = mapped_column(Integer)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class SessionRow(Base):
    __tablename__ = "auth_session"
    __audited__ = False

    token_sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("app_user.user_id"), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    csrf_token: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class LoginAttemptRow(Base):
    """One login attempt counted by the throttle: whose (a keyed digest) and when."""

    __tablename__ = "login_attempt"
    __audited__ = False
    __table_args__ = (Index("ix_login_attempt_subject_attempted_at", "subject", "attempted_at"),)

    attempt_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    subject: Mapped[str] = mapped_column(String(64))
    attempted_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


def _set(row: object, **values: object) -> None:
    for name, value in values.items():
        if getattr(row, name, None) != value:
            setattr(row, name, value)


def _user(row: UserRow) -> User:
    return User(
        UserId(row.user_id),
        row.display_name,
        Role(row.role),
        frozenset(SiteId(s) for s in json.loads(row.site_ids)),
        row.created_at,
        row.active,
    )


def _user_values(user: User) -> dict[str, object]:
    return {
        "display_name": user.display_name,
        "role": user.role.value,
        "site_ids": json.dumps(sorted(s.value for s in user.site_ids)),
        "created_at": user.created_at,
        "active": user.active,
    }


class _AccountRepository:
    """Base of the account repositories: the session of their unit of work, opened on first use."""

    def __init__(self, uow: SqlAccountUnitOfWork) -> None:
        self._uow = uow

    @property
    def _session(self) -> Session:
        return self._uow.session


class SqlUserRepository(_AccountRepository):
    def find(self, user_id: UserId) -> User | None:
        row = self._session.get(UserRow, user_id.value)
        return None if row is None else _user(row)

    def add(self, user: User) -> None:
        row = UserRow(user_id=user.user_id.value)
        _set(row, **_user_values(user))
        self._session.add(row)
        self._session.flush()

    def update(self, user: User) -> None:
        row = self._session.get(UserRow, user.user_id.value)
        if row is None:
            raise LookupError(f"user {user.user_id} is not stored")
        _set(row, **_user_values(user))
        self._session.flush()

    def list(self) -> list[User]:
        return [_user(row) for row in self._session.scalars(select(UserRow).order_by(UserRow.user_id))]


class SqlCredentialRepository(_AccountRepository):
    def find(self, user_id: UserId) -> Credential | None:
        row = self._session.get(CredentialRow, user_id.value)
        if row is None:
            return None
        return Credential(
            UserId(row.user_id),
            row.password_hash,
            row.password_changed_at,
            row.failed_logins,
            row.locked_until,
        )

    def _write(self, row: CredentialRow, credential: Credential) -> None:
        _set(
            row,
            password_hash=credential.password_hash,
            password_changed_at=credential.password_changed_at,
            failed_logins=credential.failed_logins,
            locked_until=credential.locked_until,
        )

    def add(self, credential: Credential) -> None:
        row = CredentialRow(user_id=credential.user_id.value)
        self._write(row, credential)
        self._session.add(row)
        self._session.flush()

    def update(self, credential: Credential) -> None:
        row = self._session.get(CredentialRow, credential.user_id.value)
        if row is None:
            raise LookupError(f"user {credential.user_id} has no stored credential")
        self._write(row, credential)
        self._session.flush()


def _auth_session(row: SessionRow) -> AuthSession:
    return AuthSession(
        row.token_sha256,
        UserId(row.user_id),
        SessionKind(row.kind),
        row.csrf_token,
        row.created_at,
        row.expires_at,
        row.last_seen_at,
        row.revoked_at,
    )


_SESSION_WITH_USER = (
    select(
        *(column.label(f"s_{column.key}") for column in SessionRow.__table__.columns),
        *(column.label(f"u_{column.key}") for column in UserRow.__table__.columns),
    )
    .join_from(SessionRow.__table__, UserRow.__table__, UserRow.__table__.c.user_id == SessionRow.__table__.c.user_id)
    .where(SessionRow.__table__.c.token_sha256 == bindparam("token"))
)
"""Built once: a statement's construction and cache key cost more than running it on a warm connection."""


class SqlSessionRepository(_AccountRepository):
    def find(self, token_sha256: str) -> AuthSession | None:
        row = self._session.get(SessionRow, token_sha256)
        return None if row is None else _auth_session(row)

    def find_with_user(self, token_sha256: str) -> tuple[AuthSession, User] | None:
        """The session and its user in one query of plain rows (every authenticated request asks this)."""
        uow, parameters = self._uow, {"token": token_sha256}
        if uow.in_transaction() or not reads_outside_transactions(uow.bind):
            rows = self._session.execute(_SESSION_WITH_USER, parameters).all()
        else:  # no session is opened for it
            rows = read_outside_transaction(uow.bind, _SESSION_WITH_USER, parameters)
        if not rows:
            return None
        found = rows[0]._mapping
        session_row = SimpleNamespace(**{c.key: found[f"s_{c.key}"] for c in SessionRow.__table__.columns})
        user_row = SimpleNamespace(**{c.key: found[f"u_{c.key}"] for c in UserRow.__table__.columns})
        return _auth_session(cast(SessionRow, session_row)), _user(cast(UserRow, user_row))

    def add(self, session: AuthSession) -> None:
        row = SessionRow(token_sha256=session.token_sha256)
        self._write(row, session)
        self._session.add(row)
        self._session.flush()

    def update(self, session: AuthSession) -> None:
        row = self._session.get(SessionRow, session.token_sha256)
        if row is None:
            raise LookupError("session is not stored")
        self._write(row, session)
        self._session.flush()

    def list(self, user_id: UserId) -> list[AuthSession]:
        query = select(SessionRow).where(SessionRow.user_id == user_id.value).order_by(SessionRow.created_at)
        return [_auth_session(row) for row in self._session.scalars(query)]

    @staticmethod
    def _write(row: SessionRow, session: AuthSession) -> None:
        _set(
            row,
            user_id=session.user_id.value,
            kind=session.kind.value,
            csrf_token=session.csrf_token,
            created_at=session.created_at,
            expires_at=session.expires_at,
            last_seen_at=session.last_seen_at,
            revoked_at=session.revoked_at,
        )


class SqlAccessLog(_AccountRepository):
    """The access log is the audit trail's ``account_access`` entries (one chain, no separate table)."""

    def append(self, event: AccessEvent) -> None:
        record_event(
            self._session,
            event.kind.value,
            ACCESS_ENTITY,
            event.user_id,
            {"event_id": event.event_id, "client": event.client, "occurred_at": event.occurred_at},
        )

    def list(self, user_id: str | None = None, limit: int = 100) -> list[AccessEvent]:
        query = select(AuditRow).where(AuditRow.entity == ACCESS_ENTITY)
        if user_id is not None:
            query = query.where(AuditRow.entity_id == user_id)
        events = []
        for row in self._session.scalars(query.order_by(AuditRow.seq.desc()).limit(limit)):
            details = json.loads(row.changes)
            stamp = details.get("occurred_at") or row.recorded_at
            occurred = datetime.fromisoformat(stamp).replace(tzinfo=UTC)
            events.append(
                AccessEvent(
                    details.get("event_id", f"seq-{row.seq}"),
                    AccessKind(row.action),
                    row.entity_id,
                    occurred,
                    details.get("client", ""),
                )
            )
        return events


class SqlLoginAttempts:
    """The login throttle's attempts in the database: one count for every worker process on it.

    :meth:`attempt` checks and records in one transaction, serialized per subject (PostgreSQL: a transaction
    advisory lock per subject digest, taken in sorted order; SQLite: ``BEGIN IMMEDIATE``), so that concurrent
    workers cannot both pass the last free attempt."""

    def __init__(self, database: Database, key: bytes) -> None:
        self._database = database
        self._key = key

    def _digest(self, subject: str) -> str:
        return hmac.new(self._key, subject.encode("utf-8"), hashlib.sha256).hexdigest()

    @staticmethod
    def _lock_key(digest: str) -> int:
        raw = hashlib.sha256(f"mexards-login-attempt|{digest}".encode()).digest()
        return int.from_bytes(raw[:8], "big", signed=True)

    def attempt(self, subjects: Iterable[str], now: datetime, window: timedelta, limit: int) -> datetime | None:
        """Record one attempt of every subject at ``now``, unless a subject already has ``limit`` attempts in
        the ``window`` before ``now``: then nothing is recorded and the time is returned from which, one
        ``window`` later, that subject may try again."""
        row = LoginAttemptRow
        digests = sorted({self._digest(subject) for subject in subjects})
        with self._database.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                for digest in digests:
                    conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": self._lock_key(digest)})
            for digest in digests:
                recent = list(
                    conn.scalars(
                        select(row.attempted_at)
                        .where(row.subject == digest, row.attempted_at > now - window)
                        .order_by(row.attempted_at)
                    )
                )
                if len(recent) >= limit:
                    oldest: datetime = recent[len(recent) - limit]
                    return oldest
            conn.execute(
                insert(row),
                [{"attempt_id": uuid.uuid4().hex, "subject": digest, "attempted_at": now} for digest in digests],
            )
            conn.execute(delete(row).where(row.attempted_at <= now - 2 * window))
        return None


class _SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class SqlAccountUnitOfWork:
    """One audited transaction over the account tables; leaving ``with`` without commit rolls back."""

    users: UserRepository
    credentials: CredentialRepository
    sessions: SessionRepository
    access_log: AccessLog

    def __init__(self, sessions: sessionmaker[Session], clock: Clock | None = None) -> None:
        self._sessions = sessions
        self.clock: Clock = clock or _SystemClock()
        self._actor: Actor | None = None
        self._reason: str | None = None
        self._open = False
        self._session: Session | None = None

    @property
    def actor(self) -> Actor | None:
        return self._actor

    @actor.setter
    def actor(self, actor: Actor | None) -> None:
        self._actor = actor
        self._context()

    @property
    def reason(self) -> str | None:
        return self._reason

    @reason.setter
    def reason(self, reason: str | None) -> None:
        self._reason = reason
        self._context()

    @property
    def bind(self) -> Engine:
        engine: Engine = self._sessions.kw["bind"]
        return engine

    @property
    def session(self) -> Session:
        """The ORM session, opened on first use (a request that only reads its session never opens one)."""
        if not self._open:
            raise RuntimeError("the unit of work is not open: use it in a `with` block")
        if self._session is None:
            self._session = self._sessions()
            self._context()
        return self._session

    def in_transaction(self) -> bool:
        return self._session is not None and self._session.in_transaction()

    def _context(self) -> None:
        if self._session is None:
            return
        actor = self._actor
        actor_id, role = ("system", "system") if actor is None else (actor.user_id.value, actor.role.value)
        clock: Callable[[], datetime] = self.clock.now
        self._session.info["audit"] = AuditContext(actor_id, role, self._reason, clock)

    def __enter__(self) -> Self:
        self._open = True
        self.users = SqlUserRepository(self)
        self.credentials = SqlCredentialRepository(self)
        self.sessions = SqlSessionRepository(self)
        self.access_log = SqlAccessLog(self)
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        session, self._session, self._open = self._session, None, False
        if session is not None:
            try:
                session.rollback()
            finally:
                session.close()

    def commit(self) -> None:
        if not self._open:
            raise RuntimeError("the unit of work is not open: use it in a `with` block")
        if self._session is not None:
            self._session.commit()

    def rollback(self) -> None:
        if self._session is not None:
            self._session.rollback()


def account_unit_of_work_factory(
    database: Database, clock: Clock | None = None
) -> Callable[[], SqlAccountUnitOfWork]:
    """Fresh account units of work on ``database`` (for the composition root)."""
    return lambda: SqlAccountUnitOfWork(database.sessions, clock)
