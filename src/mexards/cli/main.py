"""The ``mexards`` command. Each command group lives in its own module and registers itself here."""

from __future__ import annotations

import typer

from mexards import __version__
from mexards.cli import (
    audit,
    database,
    demo,
    dosefinding,
    export,
    protocol,
    randomization,
    report,
    score,
    screen,
    serve,
    simulate,
    trial_simulation,
)

app = typer.Typer(
    name="mexards",
    help="Run seamless Phase 1/2 dose-finding trials such as MEXARDS (NCT04602104), end to end.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"mexards {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Show the version."
    ),
) -> None:
    """mexards: screening, dose finding, randomization, treatment, results and design simulation."""


for module in (
    protocol, screen, score, dosefinding, simulate, trial_simulation,
    database, audit, randomization, demo, export, serve, report,
):
    module.register(app)
