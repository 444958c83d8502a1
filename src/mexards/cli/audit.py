"""``mexards audit``: verify the hash-chained audit trail against the data, and read it."""

from __future__ import annotations

import dataclasses
import json

import typer

from mexards.cli.database import DB_OPTION
from mexards.cli.failure import reported_errors
from mexards.cli.lazy import lazy_module
from mexards.domain.errors import ValidationError

bootstrap = lazy_module("mexards.bootstrap")

audit_app = typer.Typer(help="The audit trail: verification and reading.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(audit_app, name="audit")


@audit_app.command("verify")
def verify(db: str | None = DB_OPTION) -> None:
    """Check the audit chain and replay it against the data tables; exit 1 and list every problem found."""
    with reported_errors():
        problems = bootstrap.audit_problems(bootstrap.open_database(db, upgrade=False))
    for problem in problems:
        typer.echo(str(problem))
    if problems:
        typer.echo(f"audit trail NOT intact: {len(problems)} problem(s)")
        raise typer.Exit(1)
    typer.echo("audit trail intact")


@audit_app.command("log")
def log(
    db: str | None = DB_OPTION,
    entity: str | None = typer.Option(
        None, "--entity", help="Only entries of this table or entity (e.g. participant)."
    ),
    entity_id: str | None = typer.Option(None, "--id", help="Only entries of this entity id (e.g. a participant id)."),
    limit: int = typer.Option(50, "--limit", min=1, help="How many of the newest entries to show."),
    as_json: bool = typer.Option(False, "--json", help="Print the entries as a JSON list."),
    unblinded: bool = typer.Option(
        False, "--unblinded", help="Show allocation fields (arm, blocks, seed): needs --user and an unblinded --role."
    ),
    user: str | None = typer.Option(None, "--user", envvar="MEXARDS_USER", help="Your user id (for --unblinded)."),
    role: str | None = typer.Option(None, "--role", help="Your role (for --unblinded), e.g. pharmacist."),
) -> None:
    """Show the audit trail, oldest of the selection first; allocation fields are masked unless --unblinded."""
    with reported_errors():
        viewer = None
        if unblinded:
            if not user or not role:
                raise ValidationError("role", "--unblinded needs --user and an unblinded --role")
            viewer = bootstrap.cli_actor(user, role)
        entries = bootstrap.audit_log(
            bootstrap.open_database(db, upgrade=False), entity=entity, entity_id=entity_id, limit=limit, viewer=viewer
        )
    if as_json:
        typer.echo(json.dumps([dataclasses.asdict(e) for e in entries], indent=2, ensure_ascii=False))
        return
    for e in entries:
        why = f" reason: {e.reason}" if e.reason else ""
        typer.echo(f"#{e.seq} {e.recorded_at}Z {e.actor_id} ({e.actor_role}) {e.action} {e.entity} {e.entity_id}{why}")
        for name, value in e.changes.items():
            shown = f"{value[0]!r} -> {value[1]!r}" if isinstance(value, list) and len(value) == 2 else repr(value)
            typer.echo(f"    {name}: {shown}")
    typer.echo(f"{len(entries)} entr{'y' if len(entries) == 1 else 'ies'}")
