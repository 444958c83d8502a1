"""``mexards db``: schema upgrade and check."""

from __future__ import annotations

import typer

from mexards import bootstrap
from mexards.cli.failure import reported_errors

db_app = typer.Typer(help="Database administration: schema migrations.", no_args_is_help=True)

DB_OPTION = typer.Option(None, "--db", help="Database URL or SQLite file path (default: MEXARDS_DATABASE_URL).")


def register(app: typer.Typer) -> None:
    app.add_typer(db_app, name="db")


@db_app.command("upgrade")
def upgrade(db: str | None = DB_OPTION) -> None:
    """Create the database if needed and bring its schema to the newest revision."""
    with reported_errors():
        database = bootstrap.open_database(db, upgrade=False)
        bootstrap.upgrade_schema(database)
        status = bootstrap.schema_status(database)
        typer.echo(f"schema at revision {status.current}")


@db_app.command("check")
def check(db: str | None = DB_OPTION) -> None:
    """Check that the schema is at the newest revision and matches the code; exit 1 if not."""
    with reported_errors():
        status = bootstrap.schema_status(bootstrap.open_database(db, upgrade=False))
    typer.echo(f"current revision: {status.current}; newest: {status.head}")
    for diff in status.differences:
        typer.echo(f"difference: {diff}")
    if not status.ok:
        raise typer.Exit(1)
    typer.echo("schema ok")
