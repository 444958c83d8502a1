"""``mexards db``: schema upgrade and check, backup and verified restore."""

from __future__ import annotations

from pathlib import Path

import typer

from mexards.cli.failure import reported_errors
from mexards.cli.lazy import lazy_module

bootstrap = lazy_module("mexards.bootstrap")

db_app = typer.Typer(help="Database administration: migrations, backup and restore.", no_args_is_help=True)

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


@db_app.command("backup")
def backup(
    db: str | None = DB_OPTION,
    out: Path = typer.Option(..., "--out", "-o", help="The backup archive to write (a new file)."),
) -> None:
    """Back up the whole database into one archive with a manifest (row counts, audit head, checksum).

    SQLite is copied with the online backup API while the trial keeps running; PostgreSQL is dumped with
    pg_dump from the same snapshot as the manifest."""
    with reported_errors():
        manifest = bootstrap.backup_database(db, out)
    rows = sum(manifest.row_counts.values())
    typer.echo(
        f"backup written to {out}: {len(manifest.row_counts)} tables, {rows} rows, "
        f"audit trail up to entry {manifest.audit_head_seq}, schema revision {manifest.schema_revision}"
    )
    if manifest.audit_problems:
        typer.echo(
            f"warning: the audit trail of the database is NOT intact ({manifest.audit_problems} problem(s)); "
            "run mexards audit verify"
        )
        raise typer.Exit(1)


@db_app.command("restore")
def restore(
    db: str | None = DB_OPTION,
    source: Path = typer.Option(..., "--from", help="The backup archive written by mexards db backup."),
    replace: bool = typer.Option(
        False, "--replace", help="Replace the trial tables the target already holds (otherwise refused)."
    ),
) -> None:
    """Restore a backup into an empty database (or --replace), then verify it: row counts per table equal to
    the backup's manifest, the same audit head, and the audit chain intact. Exit 1 if verification fails.

    Stop the server first: a restore replaces the data under it."""
    with reported_errors():
        report = bootstrap.restore_database(db, source, replace=replace)
    manifest = report.manifest
    typer.echo(f"restored the backup of {manifest.created_at} (mexards {manifest.software_version})")
    for problem in report.problems:
        typer.echo(problem)
    if not report.ok:
        typer.echo(f"restore NOT verified: {len(report.problems)} problem(s)")
        raise typer.Exit(1)
    typer.echo(
        f"restore verified: {len(manifest.row_counts)} tables with the backup's row counts, "
        f"audit trail intact up to entry {manifest.audit_head_seq}"
    )
