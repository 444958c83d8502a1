"""``mexards randomization``: generate the sealed Phase 2 allocation list, and see how much of it is used.

Both go through the services use cases (``generate_allocation_list`` and the ``allocation_status`` read model),
which decide who may run them; nothing printed here names an arm, a block size or the seed.
"""

from __future__ import annotations

import typer

from mexards.cli.database import DB_OPTION
from mexards.cli.failure import reported_errors
from mexards.cli.lazy import lazy_module
from mexards.domain.errors import ValidationError
from mexards.services.allocation import generate_allocation_list
from mexards.services.read_model import allocation_status

bootstrap = lazy_module("mexards.bootstrap")

randomization_app = typer.Typer(help="Phase 2 randomization: the sealed allocation list.", no_args_is_help=True)

USER_OPTION = typer.Option(..., "--user", envvar="MEXARDS_USER", help="Your user id (recorded in the audit trail).")


def register(app: typer.Typer) -> None:
    app.add_typer(randomization_app, name="randomization")


def _slot_counts(size: int | None, strata: list[str]) -> int | dict[str, int]:
    if not strata:
        if size is None:
            raise ValidationError("size", "give --size (slots per stratum) or --strata KEY=N for every stratum")
        return size
    counts: dict[str, int] = {}
    for item in strata:
        key, sep, number = item.rpartition("=")
        if not sep or not key or not number.strip().isdigit():
            raise ValidationError("strata", "must be STRATUM=N, e.g. berlin_severity=MILD=60", item)
        counts[key] = int(number)
    return counts


@randomization_app.command("generate-list")
def generate_list(
    db: str | None = DB_OPTION,
    user: str = USER_OPTION,
    role: str = typer.Option(
        "unblinded_statistician", "--role", help="Your role (unblinded statistician or administrator)."
    ),
    seed: int | None = typer.Option(
        None, "--seed", min=0, help="Seed of the list (recorded with it); random if omitted."
    ),
    size: int | None = typer.Option(None, "--size", min=1, help="Slots per stratum (whole blocks are kept)."),
    strata: list[str] = typer.Option(
        [], "--strata", help="Slots of one stratum as STRATUM=N (repeat for each; overrides --size)."
    ),
    protocol: str | None = typer.Option(None, "--protocol", help="Protocol id or file (default: the trial's)."),
) -> None:
    """Generate and store the trial's sealed allocation list once; print its id, seal and size."""
    with reported_errors():
        container = bootstrap.build_container(db)
        try:
            summary = generate_allocation_list(
                container.unit_of_work(),
                bootstrap.cli_actor(user, role),
                bootstrap.trial_protocol(container, protocol),
                _slot_counts(size, strata),
                seed,
            )
        finally:
            container.dispose()
    typer.echo(f"allocation list {summary.list_id}")
    typer.echo(f"sha256 {summary.sha256}")
    typer.echo(f"{summary.slots} slots in {len(summary.strata)} strata: {', '.join(summary.strata)}")


@randomization_app.command("status")
def status(
    db: str | None = DB_OPTION,
    user: str = USER_OPTION,
    role: str = typer.Option("unblinded_statistician", "--role", help="Your role (an unblinded role)."),
) -> None:
    """Used and unused slots per stratum (counts only, no arms)."""
    with reported_errors():
        container = bootstrap.build_container(db)
        try:
            rows = allocation_status(container.unit_of_work(), bootstrap.cli_actor(user, role))
        finally:
            container.dispose()
    if not rows:
        typer.echo("no allocation list has been generated")
        return
    width = max(len(r.stratum) for r in rows)
    typer.echo(f"{'stratum':<{width}}  slots  used  unused")
    for r in rows:
        typer.echo(f"{r.stratum:<{width}}  {r.slots:>5}  {r.used:>4}  {r.remaining:>6}")
