"""Rendering: the Jinja2 environment (autoescaped), display filters, pages and fragments, and error pages.

Doses are shown in particles with a power of ten (``2 × 10⁸ particles``); times in UTC (ICH E6(R3) 4.2.2(d)).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from mexards.api.errors import Problem
from mexards.services.account import AuthenticationError
from mexards.services.policy import PERMISSIONS, Action

TEMPLATES = Path(__file__).with_name("templates")
STATIC = Path(__file__).with_name("static")

_SUPERSCRIPT = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")


def particles(value: object) -> str:
    """``200000000`` -> ``2 × 10⁸ particles`` (exact: the mantissa keeps every significant digit)."""
    if value is None:
        return "—"
    number = int(str(value)) if not isinstance(value, int) else value
    if number == 0:
        return "0 particles"
    digits = str(abs(number)).rstrip("0")
    exponent = len(str(abs(number))) - 1
    mantissa = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
    sign = "-" if number < 0 else ""
    return f"{sign}{mantissa} × 10{str(exponent).translate(_SUPERSCRIPT)} particles"


def utc(value: object) -> str:
    if value is None:
        return "—"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M UTC")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def plain(value: object) -> str:
    """A stored value as text (exact decimals as written)."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def humanize(value: object) -> str:
    return str(value or "").replace("_", " ")


templates = Jinja2Templates(directory=str(TEMPLATES))
templates.env.filters.update(particles=particles, utc=utc, plain=plain, humanize=humanize)
templates.env.globals["is_htmx"] = lambda request: request.headers.get("HX-Request") == "true"
templates.env.globals["allowed"] = lambda user, action: user.role in PERMISSIONS[Action(action)]
"""``allowed(user, "read_audit_trail")``: the services policy, for what a page offers."""


def render(
    request: Request, template: str, context: Mapping[str, Any] | None = None, status_code: int = 200
) -> HTMLResponse:
    """A page (or a fragment) with the caller's session data available to every template."""
    data: dict[str, Any] = {"request": request}
    principal = getattr(request.state, "principal", None)
    if principal is not None:
        data["principal"] = principal
        data["user"] = principal.user
        data["csrf_token"] = principal.session.csrf_token
    data.update(context or {})
    return templates.TemplateResponse(request, template, data, status_code=status_code)


def redirect(url: str, request: Request | None = None) -> Response:
    """See other (303). HTMX requests get ``HX-Redirect`` so the whole page changes."""
    if request is not None and request.headers.get("HX-Request") == "true":
        return Response(status_code=204, headers={"HX-Redirect": url})
    return RedirectResponse(url, status_code=303)


class LoginRequired(AuthenticationError):
    """The page needs a logged-in user (redirects to the login page)."""


def html_error(request: Request, body: Problem, exc: Exception) -> Response:
    """Errors on web pages: the login page when not logged in, else an error page or an HTMX fragment
    with the same field and rule texts as the API."""
    if isinstance(exc, LoginRequired) or body.status == 401:
        target = request.url.path
        query = f"?next={target}" if target.startswith("/") and target != "/login" else ""
        return redirect(f"/login{query}", request)
    template = "partials/error.html" if request.headers.get("HX-Request") == "true" else "error.html"
    response = render(request, template, {"problem": body}, status_code=body.status)
    if request.headers.get("HX-Request") == "true":
        response.headers["HX-Retarget"] = "#messages"
        response.headers["HX-Reswap"] = "innerHTML"
    return response
