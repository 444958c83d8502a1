"""Accounts: users, roles and sites, passwords, login with lockout, sessions and API tokens.

Requirements (``edc-and-standards.md`` 2.2-2.3, 21 CFR 11.10(d)(g), 11.100, 11.200, 11.300; ICH E6(R3) 4.3.8):

- accounts are unique per person (11.100): the user id is never reused; a user is deactivated, never deleted;
- passwords are stored only as slow salted hashes; the hashing is a port (:class:`PasswordHasher`) implemented
  with Argon2id by the entrypoint, so this module imports no framework;
- password policy after NIST SP 800-63B 5.1.1.2: at least 12 characters, at most 128, not the user id, not a
  single repeated character, not one of a few well-known passwords; no composition rules;
- the account locks after ``max_failed_logins`` consecutive failures for ``lockout_minutes``
  (11.300(d), SYS-3);
- web sessions expire after ``web_idle_minutes`` of inactivity and at most ``web_lifetime_hours`` after login
  (inactivity auto-logout, SYS-3); API tokens after ``api_token_hours``; tokens are random (256 bits) and
  stored only as their SHA-256;
- account creation, role and site changes, deactivation and unlocking are audited with the acting
  administrator and a reason; logins, failed logins, lockouts, logouts and password changes go to the access
  log, which is audited too (AUD-4, ICH E6(R3) 4.2.2(a)(i));
- signing and emergency unblinding need the password again (11.200(a)(1)): :func:`reauthenticate` checks it
  and returns the :class:`~mexards.services.port.Reauthentication` evidence the use cases require.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from types import TracebackType
from typing import Protocol, Self

from mexards.domain.errors import (
    ConflictError,
    MexardsError,
    NotFoundError,
    PermissionDeniedError,
    ValidationError,
)
from mexards.domain.identifier import SiteId, UserId, checked_code
from mexards.domain.role import Actor, Role
from mexards.domain.validation import enum_member, required_text
from mexards.services.port import Clock, Reauthentication

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


def _site_ids(role: Role, site_ids: Iterable[object]) -> frozenset[SiteId]:
    if isinstance(site_ids, str):
        raise ValidationError("site_ids", "must be a list of site ids", site_ids)
    sites = frozenset(site if isinstance(site, SiteId) else SiteId(str(site)) for site in site_ids)
    if not role.is_trial_wide and not sites:
        raise ValidationError("site_ids", f"role {role.value} works at sites: give at least one site")
    return sites


def _require_administrator(actor: Actor) -> None:
    if actor.role is not Role.ADMINISTRATOR:
        raise PermissionDeniedError(f"role {actor.role.value} may not manage accounts")


def _user(uow: AccountUnitOfWork, user_id: UserId | str) -> User:
    uid = user_id if isinstance(user_id, UserId) else UserId(checked_code("user_id", user_id))
    user = uow.users.find(uid)
    if user is None:
        raise NotFoundError(f"user {uid} not found")
    return user


def _event(uow: AccountUnitOfWork, kind: AccessKind, user_id: str, client: str) -> None:
    uow.access_log.append(
        AccessEvent(f"acc-{secrets.token_hex(10)}", kind, user_id, uow.clock.now(), client[:200])
    )


def create_user(
    uow: AccountUnitOfWork,
    hasher: PasswordHasher,
    actor: Actor,
    user_id: str,
    display_name: str,
    role: Role | str,
    site_ids: Collection[str | SiteId],
    password: str,
    policy: AccountPolicy = AccountPolicy(),
) -> User:
    """Create an account (administrator only). The user id is unique for ever (11.100)."""
    _require_administrator(actor)
    uid = UserId(checked_code("user_id", user_id))
    name = required_text("display_name", display_name, 200)
    parsed_role = Role.parse(role)
    sites = _site_ids(parsed_role, site_ids)
    check_password(password, uid.value, policy)
    with uow:
        uow.actor, uow.reason = actor, "account created"
        if uow.users.find(uid) is not None:
            raise ConflictError(f"user {uid} already exists")
        now = uow.clock.now()
        user = User(uid, name, parsed_role, sites, now)
        uow.users.add(user)
        uow.credentials.add(Credential(uid, hasher.hash(password), now))
        uow.commit()
    return user


def ensure_administrator(uow: AccountUnitOfWork, hasher: PasswordHasher, password: str) -> User | None:
    """On first start (no user at all) create the administrator ``admin`` and return it; else None."""
    check_password(password, ADMINISTRATOR_ID)
    with uow:
        uow.actor, uow.reason = SYSTEM_ACTOR, "first administrator created on first start"
        if uow.users.list():
            return None
        now = uow.clock.now()
        user = User(UserId(ADMINISTRATOR_ID), "Administrator", Role.ADMINISTRATOR, frozenset(), now)
        uow.users.add(user)
        uow.credentials.add(Credential(user.user_id, hasher.hash(password), now))
        uow.commit()
    return user


def list_users(uow: AccountUnitOfWork, actor: Actor) -> list[User]:
    _require_administrator(actor)
    with uow:
        return uow.users.list()


def get_user(uow: AccountUnitOfWork, actor: Actor, user_id: str) -> User:
    """A user's account: administrators see anyone, others only themselves."""
    if actor.role is not Role.ADMINISTRATOR and actor.user_id.value != user_id:
        raise PermissionDeniedError(f"role {actor.role.value} may not read other accounts")
    with uow:
        return _user(uow, user_id)


def change_user(
    uow: AccountUnitOfWork,
    actor: Actor,
    user_id: str,
    reason: str,
    *,
    role: Role | str | None = None,
    site_ids: Collection[str | SiteId] | None = None,
    display_name: str | None = None,
    active: bool | None = None,
) -> User:
    """Change a user's role, sites, name or active flag (administrator only, reason required, audited).
    Deactivating a user revokes every session of theirs."""
    _require_administrator(actor)
    why = required_text("reason", reason, 1000)
    with uow:
        uow.actor, uow.reason = actor, why
        user = _user(uow, user_id)
        if user.user_id == actor.user_id and (active is False or (role is not None and role != actor.role)):
            raise ConflictError("an administrator may not demote or deactivate their own account")
        new_role = Role.parse(role) if role is not None else user.role
        sites = _site_ids(new_role, site_ids if site_ids is not None else user.site_ids)
        user.role, user.site_ids = new_role, sites
        if display_name is not None:
            user.display_name = required_text("display_name", display_name, 200)
        if active is not None:
            if not isinstance(active, bool):
                raise ValidationError("active", "must be true or false", active)
            user.active = active
        uow.users.update(user)
        if active is False or role is not None or site_ids is not None:
            _revoke_all(uow, user.user_id)
        uow.commit()
    return user


def unlock_user(uow: AccountUnitOfWork, actor: Actor, user_id: str, reason: str) -> User:
    """Clear a lockout before it runs out (administrator, reason required)."""
    _require_administrator(actor)
    why = required_text("reason", reason, 1000)
    with uow:
        uow.actor, uow.reason = actor, why
        user = _user(uow, user_id)
        credential = _credential(uow, user.user_id)
        credential.failed_logins, credential.locked_until = 0, None
        uow.credentials.update(credential)
        _event(uow, AccessKind.ACCOUNT_UNLOCKED, user.user_id.value, f"by {actor.user_id}")
        uow.commit()
    return user


def reset_password(
    uow: AccountUnitOfWork,
    hasher: PasswordHasher,
    actor: Actor,
    user_id: str,
    new_password: str,
    reason: str,
    policy: AccountPolicy = AccountPolicy(),
) -> None:
    """Set a new password for someone (administrator, reason required); their sessions end."""
    _require_administrator(actor)
    why = required_text("reason", reason, 1000)
    with uow:
        uow.actor, uow.reason = actor, why
        user = _user(uow, user_id)
        check_password(new_password, user.user_id.value, policy)
        _set_password(uow, hasher, user.user_id, new_password)
        _event(uow, AccessKind.PASSWORD_CHANGED, user.user_id.value, f"reset by {actor.user_id}")
        _revoke_all(uow, user.user_id)
        uow.commit()


def change_password(
    uow: AccountUnitOfWork,
    hasher: PasswordHasher,
    actor: Actor,
    current_password: str,
    new_password: str,
    policy: AccountPolicy = AccountPolicy(),
) -> None:
    """A user changes their own password (the current one is required)."""
    with uow:
        uow.actor, uow.reason = actor, "password changed by its owner"
        credential = _credential(uow, actor.user_id)
        current = current_password if isinstance(current_password, str) else ""
        if not current or not hasher.verify(credential.password_hash, current):
            raise ValidationError("current_password", "is not the current password")
        check_password(new_password, actor.user_id.value, policy)
        if new_password == current_password:
            raise ValidationError("new_password", "must differ from the current password")
        _set_password(uow, hasher, actor.user_id, new_password)
        _event(uow, AccessKind.PASSWORD_CHANGED, actor.user_id.value, "")
        uow.commit()


def _credential(uow: AccountUnitOfWork, user_id: UserId) -> Credential:
    credential = uow.credentials.find(user_id)
    if credential is None:
        raise NotFoundError(f"user {user_id} has no password")
    return credential


def _set_password(uow: AccountUnitOfWork, hasher: PasswordHasher, user_id: UserId, password: str) -> None:
    credential = _credential(uow, user_id)
    credential.password_hash = hasher.hash(password)
    credential.password_changed_at = uow.clock.now()
    credential.failed_logins, credential.locked_until = 0, None
    uow.credentials.update(credential)


def _revoke_all(uow: AccountUnitOfWork, user_id: UserId) -> None:
    now = uow.clock.now()
    for session in uow.sessions.list(user_id):
        if session.revoked_at is None:
            session.revoked_at = now
            uow.sessions.update(session)


_DUMMY_HASH: dict[int, str] = {}


def _check_credentials(
    uow: AccountUnitOfWork,
    hasher: PasswordHasher,
    user_id: str,
    password: str,
    client: str,
    policy: AccountPolicy,
    failed_kind: AccessKind,
) -> User | str:
    """The user if the password is right and the account usable; else the failure message (after recording
    the failure and locking the account when the limit is reached)."""
    now = uow.clock.now()
    uid = user_id if isinstance(user_id, str) else ""
    user = uow.users.find(UserId(uid)) if _valid_code(uid) else None
    credential = uow.credentials.find(user.user_id) if user is not None else None
    if user is None or credential is None or not isinstance(password, str):
        # spend the same time as a real check so that response times do not reveal which accounts exist
        dummy = _DUMMY_HASH.setdefault(id(hasher), hasher.hash(secrets.token_hex(16)))
        hasher.verify(dummy, password if isinstance(password, str) else "")
        _event(uow, failed_kind, uid[:64] or "-", client)
        return "invalid user id or password"
    if credential.locked_until is not None and credential.locked_until > now:
        _event(uow, failed_kind, uid, client)
        return f"account locked after {policy.max_failed_logins} failed logins; try again later"
    if not hasher.verify(credential.password_hash, password):
        credential.failed_logins += 1
        message = "invalid user id or password"
        if credential.failed_logins >= policy.max_failed_logins:
            credential.locked_until = now + timedelta(minutes=policy.lockout_minutes)
            credential.failed_logins = 0
            _event(uow, AccessKind.ACCOUNT_LOCKED, uid, client)
            message = f"account locked after {policy.max_failed_logins} failed logins; try again later"
        uow.credentials.update(credential)
        _event(uow, failed_kind, uid, client)
        return message
    if not user.active:
        _event(uow, failed_kind, uid, client)
        return "account deactivated"
    if (
        credential.failed_logins
        or credential.locked_until is not None
        or hasher.needs_rehash(credential.password_hash)
    ):
        if hasher.needs_rehash(credential.password_hash):
            credential.password_hash = hasher.hash(password)
        credential.failed_logins, credential.locked_until = 0, None
        uow.credentials.update(credential)
    return user


def _valid_code(value: str) -> bool:
    try:
        checked_code("user_id", value)
    except ValidationError:
        return False
    return True


def login(
    uow: AccountUnitOfWork,
    hasher: PasswordHasher,
    user_id: str,
    password: str,
    kind: SessionKind | str,
    client: str = "",
    policy: AccountPolicy = AccountPolicy(),
) -> IssuedSession:
    """Check the credentials and open a session (web) or issue a token (API). A failure is recorded (and may
    lock the account) before AuthenticationError is raised."""
    session_kind = enum_member(SessionKind, "kind", kind)
    with uow:
        uow.actor, uow.reason = SYSTEM_ACTOR, "login"
        outcome = _check_credentials(uow, hasher, user_id, password, client, policy, AccessKind.LOGIN_FAILED)
        if isinstance(outcome, str):
            uow.commit()
            raise AuthenticationError(outcome)
        user = outcome
        uow.actor = user.actor
        now = uow.clock.now()
        token = secrets.token_urlsafe(32)
        lifetime = (
            timedelta(hours=policy.web_lifetime_hours)
            if session_kind is SessionKind.WEB
            else timedelta(hours=policy.api_token_hours)
        )
        session = AuthSession(
            token_digest(token),
            user.user_id,
            session_kind,
            secrets.token_urlsafe(32),
            now,
            now + lifetime,
            now,
        )
        uow.sessions.add(session)
        _event(uow, AccessKind.LOGIN, user.user_id.value, client)
        uow.commit()
    return IssuedSession(token, session, user)


_TOUCH_EVERY = timedelta(seconds=60)


def resolve_session(
    uow: AccountUnitOfWork,
    token: str,
    kind: SessionKind | str,
    policy: AccountPolicy = AccountPolicy(),
) -> Principal:
    """The user behind ``token`` if the session is valid; AuthenticationError otherwise. Web sessions end
    after ``web_idle_minutes`` without a request (inactivity auto-logout)."""
    session_kind = enum_member(SessionKind, "kind", kind)
    if not isinstance(token, str) or not token or len(token) > 200:
        raise AuthenticationError("not logged in")
    with uow:
        uow.actor, uow.reason = SYSTEM_ACTOR, None
        session = uow.sessions.find(token_digest(token))
        if session is None or session.kind is not session_kind or session.revoked_at is not None:
            raise AuthenticationError("not logged in")
        now = uow.clock.now()
        idle_limit = session.last_seen_at + timedelta(minutes=policy.web_idle_minutes)
        if now >= session.expires_at or (session_kind is SessionKind.WEB and now >= idle_limit):
            raise AuthenticationError("session expired: log in again")
        user = uow.users.find(session.user_id)
        if user is None or not user.active:
            raise AuthenticationError("account deactivated")
        if now - session.last_seen_at >= _TOUCH_EVERY:
            session.last_seen_at = now
            uow.sessions.update(session)
            uow.commit()
    return Principal(user, session)


def check_csrf(principal: Principal, submitted: object) -> None:
    """A state-changing web request must carry the session's CSRF token (synchronizer token pattern)."""
    if not isinstance(submitted, str) or not hmac.compare_digest(
        submitted.encode("utf-8"), principal.session.csrf_token.encode("utf-8")
    ):
        raise PermissionDeniedError("the form has expired or came from another site: reload and try again")


def logout(uow: AccountUnitOfWork, token: str, client: str = "") -> None:
    """End the session of ``token`` (nothing happens for an unknown token)."""
    if not isinstance(token, str) or not token:
        return
    with uow:
        uow.actor, uow.reason = SYSTEM_ACTOR, "logout"
        session = uow.sessions.find(token_digest(token))
        if session is None or session.revoked_at is not None:
            return
        session.revoked_at = uow.clock.now()
        uow.sessions.update(session)
        _event(uow, AccessKind.LOGOUT, session.user_id.value, client)
        uow.commit()


def reauthenticate(
    uow: AccountUnitOfWork,
    hasher: PasswordHasher,
    actor: Actor,
    password: str,
    client: str = "",
    policy: AccountPolicy = AccountPolicy(),
) -> Reauthentication:
    """Check the acting user's password again before a signature or an emergency unblinding (11.200(a)(1)).
    A wrong password counts towards the lockout and raises AuthenticationError."""
    with uow:
        uow.actor, uow.reason = actor, "re-authentication"
        outcome = _check_credentials(
            uow, hasher, actor.user_id.value, password, client, policy, AccessKind.REAUTHENTICATION_FAILED
        )
        if isinstance(outcome, str):
            uow.commit()
            raise AuthenticationError(f"re-authentication failed: {outcome}")
        _event(uow, AccessKind.REAUTHENTICATED, actor.user_id.value, client)
        now = uow.clock.now()
        uow.commit()
    return Reauthentication(actor.user_id, True, now)


def access_events(
    uow: AccountUnitOfWork, actor: Actor, user_id: str | None = None, limit: int = 100
) -> list[AccessEvent]:
    """The access log, latest first (administrators; others see their own)."""
    if actor.role is not Role.ADMINISTRATOR:
        if user_id is not None and user_id != actor.user_id.value:
            raise PermissionDeniedError(f"role {actor.role.value} may not read other users' access log")
        user_id = actor.user_id.value
    if not isinstance(limit, int) or not 1 <= limit <= 1000:
        raise ValidationError("limit", "must be between 1 and 1000", limit)
    with uow:
        return uow.access_log.list(user_id, limit)
