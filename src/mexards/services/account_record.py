"""Accounts: the records (user, credential, session, access event), their ports, and the account rules
(password policy after NIST SP 800-63B 5.1.1.2, lockout and session limits after SYS-3).

The use cases are in :mod:`mexards.services.account` (account administration) and
:mod:`mexards.services.authentication` (login, sessions, re-authentication, the access log); this module
imports no framework (the password hash is a port, Argon2id in the entrypoint).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from types import TracebackType
from typing import Protocol, Self

from mexards.domain.errors import MexardsError, ValidationError
from mexards.domain.identifier import SiteId, UserId
from mexards.domain.role import Actor, Role
from mexards.services.port import Clock

ADMINISTRATOR_ID = "admin"
"""The user id of the administrator created on first start."""

SYSTEM_ACTOR = Actor(UserId("system"), Role.ADMINISTRATOR)
"""Who the audit trail names for changes the system makes by itself (first administrator, access log)."""

_WELL_KNOWN_PASSWORDS = frozenset(
    {"password1234", "123456789012", "qwertyuiopas", "changemechangeme", "administrator", "passwordpassword"}
)


class AuthenticationError(MexardsError):
    """The credentials were wrong, the account is locked or inactive, or the session has expired."""


class SessionKind(StrEnum):
    WEB = "web"
    """A browser session (cookie, with a CSRF token)."""
    API = "api"
    """A bearer token for another system."""


class AccessKind(StrEnum):
    LOGIN = "login"
    LOGIN_FAILED = "login_failed"
    ACCOUNT_LOCKED = "account_locked"
    ACCOUNT_UNLOCKED = "account_unlocked"
    LOGOUT = "logout"
    PASSWORD_CHANGED = "password_changed"
    REAUTHENTICATED = "reauthenticated"
    REAUTHENTICATION_FAILED = "reauthentication_failed"


@dataclass(frozen=True, slots=True)
class AccountPolicy:
    """Login, lockout and session limits (defaults follow SYS-3 and NIST SP 800-63B)."""

    max_failed_logins: int = 5
    lockout_minutes: int = 15
    web_idle_minutes: int = 30
    web_lifetime_hours: int = 12
    api_token_hours: int = 8
    min_password_length: int = 12
    max_password_length: int = 128

    def __post_init__(self) -> None:
        for name in (
            "max_failed_logins",
            "lockout_minutes",
            "web_idle_minutes",
            "web_lifetime_hours",
            "api_token_hours",
            "min_password_length",
        ):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValidationError(name, "must be a whole number of at least 1", value)
        if self.max_password_length < self.min_password_length:
            raise ValidationError("max_password_length", "must not be below min_password_length")


@dataclass(eq=False)
class User:
    """A person's account: their role and the sites they work at (trial-wide roles need no site)."""

    user_id: UserId
    display_name: str
    role: Role
    site_ids: frozenset[SiteId]
    created_at: datetime
    active: bool = True

    @property
    def actor(self) -> Actor:
        return Actor(self.user_id, self.role, self.site_ids)


@dataclass(eq=False)
class Credential:
    """A user's password hash and lockout counters (apart from the user, so hashes stay out of the audit)."""

    user_id: UserId
    password_hash: str
    password_changed_at: datetime
    failed_logins: int = 0
    locked_until: datetime | None = None


@dataclass(eq=False)
class AuthSession:
    """A login: a web session or an API token, identified by the SHA-256 of its secret token."""

    token_sha256: str
    user_id: UserId
    kind: SessionKind
    csrf_token: str
    created_at: datetime
    expires_at: datetime
    last_seen_at: datetime
    revoked_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class AccessEvent:
    """One access-log line: who tried what, when and from where (never a password)."""

    event_id: str
    kind: AccessKind
    user_id: str
    occurred_at: datetime
    client: str = ""


@dataclass(frozen=True, slots=True)
class IssuedSession:
    """A new session: the secret token (shown once, never stored) and the stored session."""

    token: str
    session: AuthSession
    user: User


@dataclass(frozen=True, slots=True)
class Principal:
    """The user behind a valid session."""

    user: User
    session: AuthSession

    @property
    def actor(self) -> Actor:
        return self.user.actor


class PasswordHasher(Protocol):
    """A slow, salted password hash (Argon2id in the adapter)."""

    def hash(self, password: str) -> str: ...

    def verify(self, password_hash: str, password: str) -> bool: ...

    def needs_rehash(self, password_hash: str) -> bool: ...


class UserRepository(Protocol):
    def find(self, user_id: UserId) -> User | None: ...

    def add(self, user: User) -> None: ...

    def update(self, user: User) -> None: ...

    def list(self) -> list[User]:
        """All users, by user id."""
        ...


class CredentialRepository(Protocol):
    def find(self, user_id: UserId) -> Credential | None: ...

    def add(self, credential: Credential) -> None: ...

    def update(self, credential: Credential) -> None: ...


class SessionRepository(Protocol):
    def find(self, token_sha256: str) -> AuthSession | None: ...

    def find_with_user(self, token_sha256: str) -> tuple[AuthSession, User] | None: ...

    def add(self, session: AuthSession) -> None: ...

    def update(self, session: AuthSession) -> None: ...

    def list(self, user_id: UserId) -> list[AuthSession]: ...


class AccessLog(Protocol):
    def append(self, event: AccessEvent) -> None: ...

    def list(self, user_id: str | None = None, limit: int = 100) -> list[AccessEvent]:
        """The latest events first."""
        ...


class AccountUnitOfWork(Protocol):
    """One transaction over the account repositories; ``actor`` and ``reason`` go into the audit trail."""

    users: UserRepository
    credentials: CredentialRepository
    sessions: SessionRepository
    access_log: AccessLog
    clock: Clock
    actor: Actor | None
    reason: str | None

    def __enter__(self) -> Self: ...

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None: ...

    def commit(self) -> None: ...

    def rollback(self) -> None: ...


def token_digest(token: str) -> str:
    """The stored form of a session token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def check_password(password: object, user_id: str, policy: AccountPolicy = AccountPolicy()) -> str:
    """Return ``password`` if it meets the policy, else a ValidationError naming the rule."""
    if not isinstance(password, str):
        raise ValidationError("password", "is required")
    if len(password) < policy.min_password_length:
        raise ValidationError("password", f"must have at least {policy.min_password_length} characters")
    if len(password) > policy.max_password_length:
        raise ValidationError("password", f"must have at most {policy.max_password_length} characters")
    lowered = password.lower()
    if user_id.lower() in lowered:
        raise ValidationError("password", "must not contain the user id")
    if len(set(password)) == 1:
        raise ValidationError("password", "must not be one character repeated")
    if lowered in _WELL_KNOWN_PASSWORDS:
        raise ValidationError("password", "is a well-known password")
    return password


def record_access(uow: AccountUnitOfWork, kind: AccessKind, user_id: str, client: str) -> None:
    """Append one access-log line (audited with the unit of work's actor)."""
    uow.access_log.append(
        AccessEvent(f"acc-{secrets.token_hex(10)}", kind, user_id, uow.clock.now(), client[:200])
    )
