"""``mexards report --out DIR``: the trial's results from its database.

Writes ``report.html`` (self-contained), ``report.pdf``, ``consort.svg``, ``consort.png`` and
``registry_results.json`` (the ClinicalTrials.gov API v2 ``resultsSection``), and prints the paths. The data are
read through the analysis-dataset read model, so the blinding policy applies: Phase 2 is pooled unless
``--by-arm`` is given by an unblinded role after database lock (otherwise exit 2, and nothing names an arm).
Details: ``docs/results.md``.
"""

from __future__ import annotations

from pathlib import Path

import typer

from mexards import bootstrap
from mexards.cli.database import DB_OPTION
from mexards.cli.failure import reported_errors


def register(app: typer.Typer) -> None:
    """Add ``report`` to the root app."""
    app.command("report")(report)


def report(
    out: Path = typer.Option(..., "--out", "-o", help="The folder to write into (created if needed)."),
    db: str | None = DB_OPTION,
    role: str = typer.Option("statistician", "--as", help="Your role, e.g. statistician, unblinded_statistician."),
    user: str = typer.Option("report", "--user", envvar="MEXARDS_USER", help="Your user id."),
    sites: list[str] = typer.Option([], "--site", help="Your site (site-bound roles; repeat for several)."),
    by_arm: bool = typer.Option(
        False, "--by-arm", help="Phase 2 by treatment group: needs the database lock and an unblinded role."
    ),
    protocol: str | None = typer.Option(None, "--protocol", help="Protocol id or file (default: the trial's)."),
) -> None:
    """Build the results report, the CONSORT diagram and the registry results section of the trial."""
    from mexards.reporting.report import write_report  # plotting loads only when used

    with reported_errors():
        container = bootstrap.build_container(db, upgrade=False)
        try:
            paths = write_report(
                container.unit_of_work(),
                bootstrap.cli_actor(user, role, sites),
                bootstrap.trial_protocol(container, protocol),
                out,
                by_arm=by_arm,
            )
        finally:
            container.dispose()
    for path in paths:
        typer.echo(str(path))
