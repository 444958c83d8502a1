"""The application factory: the REST API under ``/api``, the web UI, OpenAPI at ``/openapi.json`` and
``/docs``.

Everything it needs comes from the composition root (:mod:`mexards.bootstrap`): the database, the services'
unit of work, the account unit of work and the login attempts. Nothing happens at import; :func:`create_app`
does the work. ``create_app()`` without arguments reads the settings from the environment, so that uvicorn can
start several worker processes from the import string ``mexards.api.app:create_app`` (``mexards serve
--workers N``); whatever must be shared between workers is in the database (login throttle, sessions).
"""

from __future__ import annotations

import functools
import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio.to_thread
from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from mexards import __version__, bootstrap
from mexards.api import (
    allocation,
    audit,
    authentication,
    crf,
    docs,
    escalation,
    health,
    mtd,
    notification,
    participant,
    query,
    report,
    safety,
    screening,
    treatment,
    trial,
    user,
    visit,
)
from mexards.api.availability import install_availability_handler
from mexards.api.container import Container, SystemClock
from mexards.api.errors import PROBLEM_JSON, install_problem_handlers
from mexards.api.password import Argon2PasswordHasher
from mexards.api.security import BodySizeLimit, SecurityHeaders
from mexards.api.throttle import LoginThrottle
from mexards.config import Settings
from mexards.services.account import AccountPolicy, PasswordHasher
from mexards.services.port import Clock

_log = logging.getLogger("mexards.api")

ROUTERS = tuple(
    module.router
    for module in (
        health,
        authentication,
        user,
        trial,
        screening,
        participant,
        escalation,
        mtd,
        allocation,
        treatment,
        visit,
        crf,
        safety,
        query,
        notification,
        audit,
        report,
    )
)
"""Every API router, one per resource."""


def build_container(
    settings: Settings,
    *,
    clock: Clock | None = None,
    hasher: PasswordHasher | None = None,
    policy: AccountPolicy | None = None,
    throttle: LoginThrottle | None = None,
) -> Container:
    """Open the database of ``settings`` (schema brought up to date) and wire the application's services.

    Without ``throttle``, login attempts are counted in the database (shared by every worker process). The
    connection pool keeps one connection per request thread and two more open: with fewer, the threads' requests
    would open and close connections all the time (a new server process and its caches each)."""
    database = bootstrap.open_database(settings.database_url, pool_size=settings.worker_threads + 2)
    chosen_clock = clock or SystemClock()
    return Container(
        settings=settings,
        unit_of_work=database.unit_of_work_factory(chosen_clock),
        account_unit_of_work=bootstrap.account_unit_of_work_factory(database, chosen_clock),
        hasher=hasher or Argon2PasswordHasher(),
        clock=chosen_clock,
        schema_revision=functools.partial(bootstrap.schema_revision, database),
        head_revision=bootstrap.head_revision(),
        audit_log=functools.partial(bootstrap.audit_log, database),
        policy=policy or AccountPolicy(),
        throttle=throttle
        or LoginThrottle(log=bootstrap.login_attempt_log(database, settings.secret_key), clock=chosen_clock.now),
        close=database.dispose,
    )


WARM_UP_PATH = "/api/-warm-up-"
"""A path no route matches: routing it once makes FastAPI prepare every route."""


async def warm_up(app: Any) -> None:
    """Prepare every route before the first request (FastAPI builds an included router's request handling on
    its first match, about 0.2 s for this application, while the requests that arrive meanwhile queue behind it):
    one request that matches nothing is routed through the whole application, in process."""
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET", "scheme": "http",
        "path": WARM_UP_PATH, "raw_path": WARM_UP_PATH.encode(), "query_string": b"", "root_path": "",
        "headers": [(b"host", b"localhost")], "client": ("127.0.0.1", 0), "server": ("127.0.0.1", 0),
        "state": {},
    }  # fmt: skip

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(_message: dict[str, Any]) -> None:
        return None

    await app(scope, receive, send)


def create_app(settings: Settings | None = None, *, container: Container | None = None) -> FastAPI:
    """The ASGI application. ``Settings()`` refuses to load in production with a default secret or without an
    administrator password, so an unsafe production start fails here."""
    chosen = container or build_container(settings or Settings())

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        try:
            state = chosen.verify_allocation_list()
        except Exception as exc:
            if not bootstrap.database_unavailable(exc):
                raise
            _log.warning("the database is unavailable at start-up: the allocation list is checked later")
        else:
            if state == "seal broken":
                _log.error("the stored allocation list does not match its seal: randomization is refused")
        anyio.to_thread.current_default_thread_limiter().total_tokens = chosen.settings.worker_threads
        await warm_up(_app)
        gc.collect()
        gc.freeze()  # what start-up built stays: full collections need not walk through it on every pass
        yield
        chosen.close()
        gc.unfreeze()  # collectable again once the application is gone (a test process starts many)

    app = FastAPI(
        title="mexards",
        version=__version__,
        summary="Seamless Phase 1/2 dose-finding trial operations (MEXARDS, NCT04602104)",
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.container = chosen
    install_problem_handlers(app)
    install_availability_handler(app)
    app.add_middleware(SecurityHeaders)
    app.add_middleware(BodySizeLimit)
    app.mount("/docs/static", docs.static_files(), name="docs-static")
    app.include_router(docs.router)
    for router in ROUTERS:
        app.include_router(router)
    from mexards.web.app import install_web

    install_web(app)
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app


def _openapi(app: FastAPI) -> dict[str, Any]:
    """The OpenAPI document, with problem responses described under ``application/problem+json``."""
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(title=app.title, version=app.version, summary=app.summary, routes=app.routes)
    for path in schema.get("paths", {}).values():
        for operation in path.values():
            for code, response in operation.get("responses", {}).items():
                content = response.get("content", {})
                if code[0] in "45" and "application/json" in content:
                    content[PROBLEM_JSON] = {"schema": {"$ref": "#/components/schemas/Problem"}}
                    del content["application/json"]
    schema.setdefault("components", {}).setdefault("schemas", {})
    app.openapi_schema = schema
    return schema
