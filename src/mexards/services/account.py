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

This module holds the account administration use cases; the records, ports and rules are in
:mod:`mexards.services.account_record`, login, sessions and re-authentication in
:mod:`mexards.services.authentication`. Every public name of both is also reachable from here.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable

from mexards.domain.errors import ConflictError, NotFoundError, PermissionDeniedError, ValidationError
from mexards.domain.identifier import SiteId, UserId, checked_code
from mexards.domain.role import Actor, Role
from mexards.domain.validation import required_text
from mexards.services.account_record import (
    ADMINISTRATOR_ID,
    SYSTEM_ACTOR,
    AccessEvent,
    AccessKind,
    AccessLog,
    AccountPolicy,
    AccountUnitOfWork,
    AuthenticationError,
    AuthSession,
    Credential,
    CredentialRepository,
    IssuedSession,
    PasswordHasher,
    Principal,
    SessionKind,
    SessionRepository,
    User,
    UserRepository,
    check_password,
    record_access,
    token_digest,
)
from mexards.services.authentication import (
    access_events,
    check_csrf,
    login,
    logout,
    reauthenticate,
    resolve_session,
)

__all__ = [
    "ADMINISTRATOR_ID",
    "SYSTEM_ACTOR",
    "AccessEvent",
    "AccessKind",
    "AccessLog",
    "AccountPolicy",
    "AccountUnitOfWork",
    "AuthSession",
    "AuthenticationError",
    "Credential",
    "CredentialRepository",
    "IssuedSession",
    "PasswordHasher",
    "Principal",
    "SessionKind",
    "SessionRepository",
    "User",
    "UserRepository",
    "access_events",
    "change_password",
    "change_user",
    "check_csrf",
    "check_password",
    "create_user",
    "ensure_administrator",
    "get_user",
    "list_users",
    "login",
    "logout",
    "reauthenticate",
    "record_access",
    "reset_password",
    "resolve_session",
    "token_digest",
    "unlock_user",
]

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
        record_access(uow, AccessKind.ACCOUNT_UNLOCKED, user.user_id.value, f"by {actor.user_id}")
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
        record_access(uow, AccessKind.PASSWORD_CHANGED, user.user_id.value, f"reset by {actor.user_id}")
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
        record_access(uow, AccessKind.PASSWORD_CHANGED, actor.user_id.value, "")
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


