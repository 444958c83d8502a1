"""``mexards export odm|sdtm|fhir|registry|page --out DIR [--protocol ID] [--db URL --as ROLE]``: standard exports.

Without ``--db`` each command exports the protocol (``--protocol``: a built-in registry id or a protocol file).
With ``--db`` (a trial database: URL or SQLite file) it adds the trial's data, read through the services read
models with the blinding policy of ``--as ROLE`` (default statistician, blinded): ODM ClinicalData, the SDTM
DM, DS, EX, AE, VS, LB and SV datasets, a Patient and a ResearchSubject per participant in the FHIR bundle, the
registry results section, or the page's Study Results once results are released (database locked). Phase 2
treatment groups appear only for an unblinded role after the database lock; otherwise they are masked.

Each command validates what it built (ODM XSD, SDTM conformance and blinding, FHIR model and value sets,
registry JSON schema and consistency rules), writes it into DIR and prints the paths written. Problems are
printed as ``field: rule`` with exit code 2 and nothing is written. Formats and mappings: ``docs/exports.md``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import typer

from mexards import bootstrap
from mexards.cli.failure import reported_errors
from mexards.domain.errors import ValidationError
from mexards.domain.role import Actor
from mexards.protocol import builtin_protocol, list_builtin_protocols, resolve_protocol
from mexards.protocol.model import Protocol
from mexards.services.port import UnitOfWork

export_app = typer.Typer(help="Export a protocol and its trial data as CDISC ODM, SDTM, FHIR, registry JSON or a "
                              "study page.", no_args_is_help=True)

_PROTOCOL = typer.Option(None, "--protocol", "-p",
                         help="A built-in registry id or a protocol file (default with --db: the trial's).")
_OUT = typer.Option(..., "--out", "-o", help="The folder to write into (created if needed).")
_DB = typer.Option(None, "--db", help="A trial database (URL or SQLite file): adds the trial's data.")
_ROLE = typer.Option("statistician", "--as", help="Your role (with --db), e.g. statistician, unblinded_statistician.")
_USER = typer.Option("export", "--user", envvar="MEXARDS_USER", help="Your user id (with --db).")
_SITES = typer.Option([], "--site", help="Your site (site-bound roles; repeat for several).")

Writer = Callable[[Protocol, Path, "TrialSource | None"], list[Path]]


class TrialSource:
    """A trial database and the actor reading it."""

    def __init__(self, uow: Callable[[], UnitOfWork], actor: Actor) -> None:
        self.unit_of_work, self.actor = uow, actor


def register(app: typer.Typer) -> None:
    """Add the ``export`` command group to the root app."""
    app.add_typer(export_app, name="export")


def _run(protocol_id: str | None, out: Path, db: str | None, identity: tuple[str, str, list[str]],
         write: Writer) -> None:
    with reported_errors():
        if db is None:
            if protocol_id is None:
                raise ValidationError("--protocol", "is required unless --db names a trial database")
            paths = write(resolve_protocol(protocol_id), out, None)
        else:
            container = bootstrap.build_container(db, upgrade=False)
            try:
                protocol = (resolve_protocol(protocol_id) if protocol_id
                            else bootstrap.trial_protocol(container))
                user, role, sites = identity
                paths = write(protocol, out, TrialSource(container.unit_of_work, bootstrap.cli_actor(user, role,
                                                                                                     sites)))
            finally:
                container.dispose()
    for path in paths:
        typer.echo(str(path))


# The writers are imported inside the commands: the export toolchain (lxml, pandas, fhir.resources) is only
# loaded when an export runs, not on every ``mexards`` call.


def _records(source: TrialSource | None, protocol: Protocol) -> Any:
    from mexards.reporting.writer import actor_records

    return None if source is None else actor_records(source.unit_of_work(), source.actor, protocol)


@export_app.command("odm")
def odm(protocol_id: str | None = _PROTOCOL, out: Path = _OUT, db: str | None = _DB, role: str = _ROLE,
        user: str = _USER, sites: list[str] = _SITES) -> None:
    """CDISC ODM 1.3.2: study metadata (visits, forms, items, units, checks, code lists); with --db, the
    clinical data with audit records."""
    from mexards.reporting.writer import write_odm

    _run(protocol_id, out, db, (user, role, sites),
         lambda protocol, folder, source: write_odm(protocol, folder, records=_records(source, protocol)))


@export_app.command("sdtm")
def sdtm(protocol_id: str | None = _PROTOCOL, out: Path = _OUT, db: str | None = _DB, role: str = _ROLE,
         user: str = _USER, sites: list[str] = _SITES) -> None:
    """SDTM trial design datasets TS, TA, TE, TV, TI (with --db also DM, DS, EX, AE, VS, LB, SV) as SAS V5
    transport (.xpt) and CSV."""
    from mexards.reporting.writer import write_sdtm

    _run(protocol_id, out, db, (user, role, sites),
         lambda protocol, folder, source: write_sdtm(protocol, folder, records=_records(source, protocol)))


@export_app.command("fhir")
def fhir(protocol_id: str | None = _PROTOCOL, out: Path = _OUT, db: str | None = _DB, role: str = _ROLE,
         user: str = _USER, sites: list[str] = _SITES) -> None:
    """FHIR R5 Bundle: ResearchStudy, an eligibility Group and one Group per arm; with --db, a Patient and a
    ResearchSubject per participant."""
    from mexards.reporting.writer import write_fhir

    _run(protocol_id, out, db, (user, role, sites),
         lambda protocol, folder, source: write_fhir(protocol, folder, records=_records(source, protocol)))


@export_app.command("registry")
def registry(protocol_id: str | None = _PROTOCOL, out: Path = _OUT, db: str | None = _DB, role: str = _ROLE,
             user: str = _USER, sites: list[str] = _SITES) -> None:
    """The ClinicalTrials.gov API v2 record: protocolSection; with --db, the resultsSection too."""
    from mexards.reporting.writer import actor_results_section, write_registry

    def write(protocol: Protocol, folder: Path, source: TrialSource | None) -> list[Path]:
        section = None if source is None else actor_results_section(source.unit_of_work(), source.actor, protocol)
        return write_registry(protocol, folder, results_section=section)

    _run(protocol_id, out, db, (user, role, sites), write)


@export_app.command("page")
def page(protocol_id: str | None = _PROTOCOL, out: Path = _OUT, db: str | None = _DB) -> None:
    """The public study page (one static HTML file) with related trials among the built-in protocols; with
    --db, its Study Results once the trial's results are released (database locked)."""
    from mexards.reporting.page import posted_results
    from mexards.reporting.writer import write_page

    def write(protocol: Protocol, folder: Path, source: TrialSource | None) -> list[Path]:
        candidates = [builtin_protocol(registry_id) for registry_id in list_builtin_protocols()]
        results = None if source is None else posted_results(source.unit_of_work(), protocol)
        return write_page(protocol, folder, candidates, results)

    _run(protocol_id, out, db, ("export", "statistician", []), write)
