"""Errors as RFC 9457 problem details (``application/problem+json``) naming the field and the rule.

``mexards.domain.errors`` map to status codes here and nowhere else: ``ValidationError`` 422 (each error with
``field`` and ``rule``), ``NotFoundError`` 404, ``ConflictError`` and ``InvalidTransitionError`` 409,
``PermissionDeniedError`` 403, ``AuthenticationError`` 401. The request-body validation of FastAPI is
reported the same way (422, one entry per field): pydantic names each member of a union type after the field
(``values.pao2_mmhg.str``, ``values.pao2_mmhg.int``), so those labels are dropped and the members' rules are
joined into one entry for the field (``values.pao2_mmhg``). No message is invented here: the texts come from the
domain and services, which never name a treatment arm (BLD-6); unexpected exceptions give a 500 without
any detail.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from mexards.domain.errors import (
    ConflictError,
    InvalidTransitionError,
    MexardsError,
    NotFoundError,
    PermissionDeniedError,
    ValidationError,
    ValidationErrors,
)
from mexards.services.account import AuthenticationError

PROBLEM_JSON = "application/problem+json"
_TYPE_BASE = "https://mexards.invalid/problems/"
_log = logging.getLogger("mexards.api")


class FieldProblem(BaseModel):
    """One invalid field: where it is and which rule it broke."""

    field: str = Field(description="the field, a dotted path where nested")
    rule: str = Field(description="the rule the value broke")


class Problem(BaseModel):
    """RFC 9457 problem details."""

    type: str = Field(description="a URI naming the kind of problem")
    title: str
    status: int
    detail: str
    instance: str | None = None
    errors: list[FieldProblem] = Field(default_factory=list)


class TooManyRequestsError(MexardsError):
    """Too many attempts from one client in a short time (login throttling)."""

    def __init__(self, retry_after_seconds: int) -> None:
        self.retry_after_seconds = retry_after_seconds
        super().__init__(f"too many attempts: try again in {retry_after_seconds} seconds")


_KINDS: list[tuple[type[Exception], int, str, str]] = [
    (ValidationError, 422, "validation", "Invalid input"),
    (NotFoundError, 404, "not-found", "Not found"),
    (InvalidTransitionError, 409, "invalid-transition", "Not allowed in the current state"),
    (ConflictError, 409, "conflict", "Conflict with the current state"),
    (AuthenticationError, 401, "authentication", "Not authenticated"),
    (PermissionDeniedError, 403, "forbidden", "Forbidden"),
    (TooManyRequestsError, 429, "too-many-requests", "Too many requests"),
]


def classify(exc: MexardsError) -> tuple[int, str, str]:
    """Status code, problem type slug and title of a mexards error."""
    for kind, status, slug, title in _KINDS:
        if isinstance(exc, kind):
            return status, slug, title
    return 400, "bad-request", "Bad request"


def field_problems(exc: ValidationError) -> list[FieldProblem]:
    errors = exc.errors if isinstance(exc, ValidationErrors) else [exc]
    return [FieldProblem(field=e.field, rule=e.rule) for e in errors]


def problem(
    status: int,
    slug: str,
    title: str,
    detail: str,
    instance: str | None = None,
    errors: list[FieldProblem] | None = None,
) -> Problem:
    return Problem(
        type=_TYPE_BASE + slug,
        title=title,
        status=status,
        detail=detail,
        instance=instance,
        errors=errors or [],
    )


def problem_of(exc: MexardsError, instance: str | None = None) -> Problem:
    """The problem document of a mexards error (the web UI shows the same texts)."""
    status, slug, title = classify(exc)
    errors = field_problems(exc) if isinstance(exc, ValidationError) else []
    return problem(status, slug, title, str(exc), instance, errors)


def problem_response(body: Problem, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(
        body.model_dump(mode="json"), status_code=body.status, media_type=PROBLEM_JSON, headers=headers
    )


HTMLErrorRenderer = Callable[[Request, Problem, Exception], Response]
"""Renders an error as an HTML page or fragment for the web UI (registered as ``app.state.html_errors``)."""


def _respond(
    request: Request, body: Problem, exc: Exception, headers: dict[str, str] | None = None
) -> Response:
    renderer: HTMLErrorRenderer | None = getattr(request.app.state, "html_errors", None)
    path = request.url.path
    if renderer is not None and not path.startswith(("/api", "/openapi", "/docs")):
        return renderer(request, body, exc)
    return problem_response(body, headers)


_UNION_MEMBER = re.compile(
    r"(?:str|int|float|bool|bytes|none|decimal|date|datetime|time|timedelta|uuid|url|any|constrained-[a-z]+"
    r"|[a-z]+(?:-[a-z]+)*\[.*\])",
    re.DOTALL,
)
"""The labels pydantic-core gives the members of a union in an error location (``str``, ``int``,
``list[int]``, ``function-after[...]``, ``constrained-str``...): the type's, never a field's."""


def _location(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] in ("body", "query", "path", "header", "cookie"):
        parts = parts[1:] or parts
    if len(parts) > 1:  # the first part is always a field: a body, query or path parameter
        parts = parts[:1] + [p for p in parts[1:] if not _UNION_MEMBER.fullmatch(p)]
    return ".".join(parts) or "request"


def request_problems(exc: RequestValidationError) -> list[FieldProblem]:
    """One problem per invalid request field, named by its dotted location without pydantic's union-member
    labels; a field refused by every member of a union gets their rules joined with "or"."""
    rules: dict[str, list[str]] = {}
    for e in exc.errors():
        rule = str(e.get("msg", "invalid"))
        kept = rules.setdefault(_location(e.get("loc", ())), [])
        if rule not in kept:
            kept.append(rule)
    return [FieldProblem(field=field, rule=" or ".join(kept)) for field, kept in rules.items()]


async def _mexards_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, MexardsError)
    body = problem_of(exc, request.url.path)
    headers = {}
    if isinstance(exc, AuthenticationError):
        headers["WWW-Authenticate"] = "Bearer"
    if isinstance(exc, TooManyRequestsError):
        headers["Retry-After"] = str(exc.retry_after_seconds)
    return _respond(request, body, exc, headers)


async def _request_validation(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = request_problems(exc)
    detail = "; ".join(f"{e.field}: {e.rule}" for e in errors)
    return _respond(
        request, problem(422, "validation", "Invalid input", detail, request.url.path, errors), exc
    )


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    slug = {404: "not-found", 405: "method-not-allowed", 401: "authentication", 403: "forbidden"}.get(
        exc.status_code, "http"
    )
    detail = exc.detail if isinstance(exc.detail, str) else "request refused"
    body = problem(exc.status_code, slug, detail, detail, request.url.path)
    return _respond(request, body, exc, dict(exc.headers or {}))


async def _unexpected(request: Request, exc: Exception) -> Response:
    _log.exception("unexpected error on %s %s", request.method, request.url.path)
    return _respond(request, problem(500, "internal", "Internal error", "an unexpected error occurred"), exc)


def install_problem_handlers(app: FastAPI) -> None:
    """Make every error of ``app`` a problem+json response (the web UI installs its own for HTML pages)."""
    app.add_exception_handler(MexardsError, _mexards_error)
    app.add_exception_handler(RequestValidationError, _request_validation)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)


PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": Problem, "content": {PROBLEM_JSON: {}}, "description": title}
    for status, title in (
        (401, "Not authenticated (or the session expired)"),
        (403, "The role or site does not allow this"),
        (404, "Not found (or not visible to this user)"),
        (409, "Conflicts with the current state"),
        (422, "Invalid input: each error names the field and the rule"),
        (429, "Too many attempts"),
    )
}
"""The error responses every API route documents (so that the OpenAPI schema describes them)."""
