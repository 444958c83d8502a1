"""A lost database answers 503 Service Unavailable with ``Retry-After`` and a plain problem document (RFC 9110
15.6.4, 10.2.3), never a 500: no stack trace, no statement, no connection string.

Which driver errors mean "unavailable" (server down, connection refused or lost, shutting down or starting, no
connection left, SQLite file locked) is decided by the composition root
(:func:`mexards.bootstrap.database_unavailable`); any other database error goes on to the generic 500 handler
of :mod:`mexards.api.errors`. Web pages get the web UI's error page with the same text.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.responses import Response

from mexards import bootstrap
from mexards.api.errors import HTMLErrorRenderer, Problem, problem, problem_response

RETRY_AFTER_SECONDS = 5
"""What ``Retry-After`` asks for: a restarting PostgreSQL server or a busy SQLite file is back within seconds."""

_log = logging.getLogger("mexards.api")


def unavailable_problem(instance: str | None = None) -> Problem:
    return problem(
        503,
        "service-unavailable",
        "Service unavailable",
        "the database is unavailable: try again in a few seconds",
        instance,
    )


def unavailable_response(instance: str | None = None) -> Response:
    return problem_response(unavailable_problem(instance), {"Retry-After": str(RETRY_AFTER_SECONDS)})


async def _database_error(request: Request, exc: Exception) -> Response:
    if not bootstrap.database_unavailable(exc):
        raise exc  # the generic handler answers 500 and logs it
    cause = type(getattr(exc, "orig", None) or exc).__name__
    _log.warning("database unavailable on %s %s (%s)", request.method, request.url.path, cause)
    body = unavailable_problem(request.url.path)
    renderer: HTMLErrorRenderer | None = getattr(request.app.state, "html_errors", None)
    if renderer is not None and not request.url.path.startswith(("/api", "/openapi", "/docs")):
        response = renderer(request, body, exc)
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
    return unavailable_response(request.url.path)


def install_availability_handler(app: FastAPI) -> None:
    """Answer 503 for database driver errors that mean the database is unavailable (after
    :func:`mexards.api.errors.install_problem_handlers`)."""
    app.add_exception_handler(bootstrap.DatabaseError, _database_error)
