"""Web sessions: login and logout, the session cookie, and CSRF protection of every state-changing request.

- The session token travels in an ``HttpOnly``, ``SameSite=Strict`` cookie (``Secure`` outside development);
  it expires after inactivity and at most a working day after login (:mod:`mexards.services.account`).
- Every POST carries the session's CSRF token (synchronizer token pattern: a hidden ``csrf_token`` field, or the
  ``X-CSRF-Token`` header that HTMX sends from ``hx-headers``); the login form uses a double-submit cookie.
- Logins are throttled per client address and per user id, and accounts lock after repeated failures.
"""

from __future__ import annotations

import hmac
import secrets
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response

from mexards.api.deps import ContainerDep, client_address
from mexards.api.errors import TooManyRequestsError
from mexards.domain.errors import PermissionDeniedError
from mexards.domain.role import Actor
from mexards.services import account
from mexards.services.account import AuthenticationError, Principal, SessionKind
from mexards.web.render import LoginRequired, redirect, render

SESSION_COOKIE = "mexards_session"
LOGIN_CSRF_COOKIE = "mexards_login_csrf"

router = APIRouter(include_in_schema=False)


def web_principal(request: Request, container: ContainerDep) -> Principal:
    """The logged-in user of this browser (LoginRequired sends them to the login page)."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        raise LoginRequired("not logged in")
    try:
        principal = account.resolve_session(
            container.account_unit_of_work(), token, SessionKind.WEB, container.policy
        )
    except AuthenticationError as exc:
        raise LoginRequired(str(exc)) from None
    request.state.principal = principal
    return principal


WebPrincipal = Annotated[Principal, Depends(web_principal)]


async def web_actor(principal: WebPrincipal) -> Actor:
    return principal.actor


WebActor = Annotated[Actor, Depends(web_actor)]


async def csrf_checked(request: Request, principal: WebPrincipal) -> Actor:
    """The actor of a state-changing request whose CSRF token matches the session's."""
    submitted = request.headers.get("X-CSRF-Token")
    if submitted is None:
        form = await request.form()
        value = form.get("csrf_token")
        submitted = value if isinstance(value, str) else None
    account.check_csrf(principal, submitted)
    return principal.actor


CheckedActor = Annotated[Actor, Depends(csrf_checked)]


def _secure(request: Request, container: ContainerDep) -> bool:
    return container.settings.environment == "production" or request.url.scheme == "https"


def _safe_next(target: str | None) -> str:
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


@router.get("/login")
def login_page(request: Request, container: ContainerDep, next: str | None = None) -> Response:
    token = secrets.token_urlsafe(24)
    response = render(request, "login.html", {"login_csrf": token, "next": _safe_next(next)})
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=_secure(request, container),
        path="/login",
    )
    return response


@router.post("/login")
def login(
    request: Request,
    container: ContainerDep,
    user_id: Annotated[str, Form(max_length=200)] = "",
    password: Annotated[str, Form(max_length=1000)] = "",
    csrf_token: Annotated[str, Form(max_length=200)] = "",
    next: Annotated[str, Form(max_length=500)] = "/",
) -> Response:
    cookie = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not cookie or not hmac.compare_digest(cookie.encode(), csrf_token.encode()):
        raise PermissionDeniedError("the login form has expired: reload the page and try again")
    client = client_address(request)
    try:
        container.throttle.check(client, user_id)
        issued = account.login(
            container.account_unit_of_work(),
            container.hasher,
            user_id,
            password,
            SessionKind.WEB,
            client,
            container.policy,
        )
    except (AuthenticationError, TooManyRequestsError) as exc:
        status = 429 if isinstance(exc, TooManyRequestsError) else 401
        context = {"login_csrf": cookie, "next": _safe_next(next), "error": str(exc), "user_id": user_id}
        return render(request, "login.html", context, status_code=status)
    response = redirect(_safe_next(next))
    response.set_cookie(
        SESSION_COOKIE,
        issued.token,
        httponly=True,
        samesite="strict",
        secure=_secure(request, container),
        path="/",
        max_age=container.policy.web_lifetime_hours * 3600,
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return response


@router.post("/logout")
def logout(request: Request, container: ContainerDep, actor: CheckedActor) -> Response:
    del actor
    account.logout(
        container.account_unit_of_work(), request.cookies.get(SESSION_COOKIE, ""), client_address(request)
    )
    response = redirect("/login")
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
