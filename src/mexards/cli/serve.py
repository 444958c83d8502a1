"""``mexards serve``: the web UI and the REST API on one server (uvicorn).

On first start (a database without any account) an administrator ``admin`` is created; its password is
``MEXARDS_ADMIN_PASSWORD`` or, if that is not set, a random one printed once. With ``--protocol`` the trial is
started under that built-in protocol if the database has none yet. In production the settings refuse to load
with the default secret or without an administrator password (``mexards.config.Settings``).

``--workers N`` (N > 1) runs N worker processes under uvicorn, each building the application from the import
string ``mexards.api.app:create_app`` with the same settings (the database URL is handed on in
``MEXARDS_DATABASE_URL``). The administrator and the trial are prepared once, before the workers start; what the
workers must share (sessions, the login throttle's count) is in the database. The command then becomes
``python -m uvicorn --factory ...`` (``os.execve``, same process id): uvicorn starts its workers with
``multiprocessing``'s spawn method, which would otherwise import this whole command line in every worker before
it can answer the supervisor's health check.
"""

from __future__ import annotations

import os
import secrets
import sys
from dataclasses import dataclass
from typing import Any

import typer
from pydantic import ValidationError as SettingsError

from mexards.cli.database import DB_OPTION
from mexards.cli.failure import EXIT_INVALID, reported_errors
from mexards.cli.lazy import lazy_module
from mexards.config import Settings
from mexards.domain.errors import ConflictError
from mexards.protocol.catalog import builtin_protocol
from mexards.services import account, trial

bootstrap = lazy_module("mexards.bootstrap")
web_app = lazy_module("mexards.api.app")
uvicorn = lazy_module("uvicorn")

APP_FACTORY = "mexards.api.app:create_app"
"""The import string of the application factory (what each worker process of ``--workers N`` calls)."""
LOG_LEVELS = ("critical", "error", "warning", "info", "debug")
WORKER_START_SECONDS = 60
"""How long uvicorn's supervisor waits for a worker to answer its health check (start-up on a busy machine)."""


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)


@dataclass(frozen=True)
class Prepared:
    app: Any
    generated_password: str | None
    """The administrator's password if it was generated now (to print once)."""
    administrator_created: bool
    trial_started: bool


def load_settings(db: str | None) -> Settings:
    """Settings from the environment, with ``--db`` taking precedence; refusals become ``field: rule``."""
    try:
        return Settings(database_url=bootstrap.database_url(db)) if db else Settings()
    except SettingsError as exc:
        for error in exc.errors():
            message = str(error.get("msg", "invalid")).removeprefix("Value error, ")
            field = ".".join(str(part) for part in error.get("loc", ())) or "settings"
            typer.echo(message if ":" in message else f"{field}: {message}", err=True)
        raise typer.Exit(EXIT_INVALID) from None


def generated_password() -> str:
    """A random administrator password that meets the password policy (20 URL-safe characters)."""
    while True:
        candidate = secrets.token_urlsafe(15)
        try:
            account.check_password(candidate, account.ADMINISTRATOR_ID)
        except Exception:
            continue
        return candidate


def prepare(
    settings: Settings, protocol_id: str | None = None, protocol_version: str = "1.0", *, build_app: bool = True
) -> Prepared:
    """Open the database, create the first administrator if there is no account, start the trial if asked.

    Without ``build_app`` (worker processes build their own) the database is closed again and ``app`` is None."""
    container = web_app.build_container(settings)
    password = settings.admin_password or generated_password()
    admin = account.ensure_administrator(container.account_unit_of_work(), container.hasher, password)
    started = False
    if protocol_id:
        actor = admin.actor if admin is not None else account.SYSTEM_ACTOR
        try:
            trial.start_trial(
                container.unit_of_work(), actor, builtin_protocol(protocol_id), protocol_version
            )
            started = True
        except ConflictError:
            started = False
    generated = password if admin is not None and not settings.admin_password else None
    if not build_app:
        container.close()
        return Prepared(None, generated, admin is not None, started)
    return Prepared(web_app.create_app(container=container), generated, admin is not None, started)


def serve(
    db: str | None = DB_OPTION,
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
    port: int = typer.Option(8000, "--port", min=1, max=65535, help="Port to listen on."),
    protocol: str | None = typer.Option(
        None, "--protocol", help="Start the trial under this built-in protocol if none is started yet."
    ),
    protocol_version: str = typer.Option(
        "1.0", "--protocol-version", help="Protocol version of a new trial."
    ),
    workers: int = typer.Option(
        1, "--workers", min=1, max=64, help="Worker processes (each with its own database connections)."
    ),
    log_level: str = typer.Option(
        "info", "--log-level", help=f"Server log level: {', '.join(LOG_LEVELS)}."
    ),
    access_log: bool = typer.Option(True, "--access-log/--no-access-log", help="Log every request."),
) -> None:
    """Start the web UI and the REST API (OpenAPI at /docs) on the database."""
    if log_level not in LOG_LEVELS:
        typer.echo(f"log_level: must be one of {', '.join(LOG_LEVELS)}", err=True)
        raise typer.Exit(EXIT_INVALID)
    settings = load_settings(db)
    with reported_errors():
        prepared = prepare(settings, protocol, protocol_version, build_app=workers == 1)
    if prepared.administrator_created:
        typer.echo("created the administrator account 'admin'")
        if prepared.generated_password is not None:
            typer.echo(
                f"its password (shown once, change it after logging in): {prepared.generated_password}"
            )
    if prepared.trial_started:
        typer.echo(f"started trial {protocol} (protocol version {protocol_version})")
    shown = f" with {workers} workers" if workers > 1 else ""
    typer.echo(f"serving on http://{host}:{port}/{shown}  (API documentation: http://{host}:{port}/docs)")
    if workers == 1:
        uvicorn.run(prepared.app, host=host, port=port, log_level=log_level, access_log=access_log)
        return
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(sys.executable, worker_command(host, port, workers, log_level, access_log), worker_environment(settings))


def worker_command(host: str, port: int, workers: int, log_level: str, access_log: bool) -> list[str]:
    """``python -m uvicorn`` with the application factory and ``workers`` processes."""
    return [
        sys.executable, "-m", "uvicorn", "--factory", APP_FACTORY, "--host", host, "--port", str(port),
        "--workers", str(workers), "--log-level", log_level, "--access-log" if access_log else "--no-access-log",
        "--timeout-worker-healthcheck", str(WORKER_START_SECONDS),
    ]  # fmt: skip


def worker_environment(settings: Settings) -> dict[str, str]:
    """This environment, with the database URL chosen (``--db`` or the settings) for every worker."""
    return {**os.environ, "MEXARDS_DATABASE_URL": settings.database_url}
