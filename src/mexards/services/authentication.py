"""Authentication: login with lockout, web sessions and API tokens with expiry, CSRF check, logout,
re-authentication for signatures and unblinding, and the access log (21 CFR 11.10(d), 11.200(a)(1),
11.300(d); ``edc-and-standards.md`` SYS-3).

- the account locks after ``max_failed_logins`` consecutive failures for ``lockout_minutes``;
- web sessions expire after ``web_idle_minutes`` of inactivity and at most ``web_lifetime_hours`` after login;
  API tokens after ``api_token_hours``; tokens are random (256 bits) and stored only as their SHA-256;
- logins, failed logins, lockouts, logouts and re-authentications go to the access log, which is audited.
"""

from __future__ import annotations

import hmac
import secrets
from datetime import timedelta

from mexards.domain.errors import PermissionDeniedError, ValidationError
from mexards.domain.identifier import UserId, checked_code
from mexards.domain.role import Actor, Role
from mexards.domain.validation import enum_member
from mexards.services.account_record import (
    SYSTEM_ACTOR,
    AccessEvent,
    AccessKind,
    AccountPolicy,
    AccountUnitOfWork,
    AuthenticationError,
    AuthSession,
    IssuedSession,
    PasswordHasher,
    Principal,
    SessionKind,
    User,
    record_access,
    token_digest,
)
from mexards.services.port import Reauthentication

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
        record_access(uow, failed_kind, uid[:64] or "-", client)
        return "invalid user id or password"
    if credential.locked_until is not None and credential.locked_until > now:
        record_access(uow, failed_kind, uid, client)
        return f"account locked after {policy.max_failed_logins} failed logins; try again later"
    if not hasher.verify(credential.password_hash, password):
        credential.failed_logins += 1
        message = "invalid user id or password"
        if credential.failed_logins >= policy.max_failed_logins:
            credential.locked_until = now + timedelta(minutes=policy.lockout_minutes)
            credential.failed_logins = 0
            record_access(uow, AccessKind.ACCOUNT_LOCKED, uid, client)
            message = f"account locked after {policy.max_failed_logins} failed logins; try again later"
        uow.credentials.update(credential)
        record_access(uow, failed_kind, uid, client)
        return message
    if not user.active:
        record_access(uow, failed_kind, uid, client)
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
        record_access(uow, AccessKind.LOGIN, user.user_id.value, client)
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
        found = uow.sessions.find_with_user(token_digest(token))
        if found is None or found[0].kind is not session_kind or found[0].revoked_at is not None:
            raise AuthenticationError("not logged in")
        session, user = found
        now = uow.clock.now()
        idle_limit = session.last_seen_at + timedelta(minutes=policy.web_idle_minutes)
        if now >= session.expires_at or (session_kind is SessionKind.WEB and now >= idle_limit):
            raise AuthenticationError("session expired: log in again")
        if not user.active:
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
        record_access(uow, AccessKind.LOGOUT, session.user_id.value, client)
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
        record_access(uow, AccessKind.REAUTHENTICATED, actor.user_id.value, client)
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
