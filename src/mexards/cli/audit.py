"""``mexards audit``: verify the hash-chained audit trail against the data."""

from __future__ import annotations

import typer

from mexards import bootstrap
from mexards.cli.database import DB_OPTION
from mexards.cli.failure import reported_errors

audit_app = typer.Typer(help="The audit trail: verification.", no_args_is_help=True)


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
