"""``mexards export odm|sdtm|fhir|registry|page --protocol ID --out DIR``: standard exports of a protocol.

Each command builds the export, validates it (ODM XSD, SDTM conformance, FHIR model and value sets, registry
JSON schema), writes it into DIR and prints the paths written. Problems are printed as ``field: rule`` with
exit code 2 and nothing is written. Formats and mappings: ``docs/exports.md``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import typer

from mexards.cli.failure import reported_errors
from mexards.protocol import builtin_protocol, list_builtin_protocols, resolve_protocol
from mexards.protocol.model import Protocol

export_app = typer.Typer(help="Export a protocol as CDISC ODM, SDTM, FHIR, registry JSON or a study page.",
                         no_args_is_help=True)

_PROTOCOL = typer.Option(..., "--protocol", "-p", help="A built-in registry id or a protocol file.")
_OUT = typer.Option(..., "--out", "-o", help="The folder to write into (created if needed).")


def register(app: typer.Typer) -> None:
    """Add the ``export`` command group to the root app."""
    app.add_typer(export_app, name="export")


def _run(protocol_id: str, out: Path, write: Callable[[Protocol, Path], list[Path]]) -> None:
    with reported_errors():
        protocol = resolve_protocol(protocol_id)
        paths = write(protocol, out)
    for path in paths:
        typer.echo(str(path))


# The writers are imported inside the commands: the export toolchain (lxml, pandas, fhir.resources) is only
# loaded when an export runs, not on every ``mexards`` call.


@export_app.command("odm")
def odm(protocol_id: str = _PROTOCOL, out: Path = _OUT) -> None:
    """CDISC ODM 1.3.2 study metadata (visits, forms, items, units, range checks, code lists)."""
    from mexards.reporting import write_odm

    _run(protocol_id, out, lambda protocol, folder: write_odm(protocol, folder))


@export_app.command("sdtm")
def sdtm(protocol_id: str = _PROTOCOL, out: Path = _OUT) -> None:
    """SDTM trial design datasets TS, TA, TE, TV, TI as SAS V5 transport (.xpt) and CSV."""
    from mexards.reporting import write_sdtm

    _run(protocol_id, out, write_sdtm)


@export_app.command("fhir")
def fhir(protocol_id: str = _PROTOCOL, out: Path = _OUT) -> None:
    """FHIR R5 Bundle: ResearchStudy, an eligibility Group and one Group per arm."""
    from mexards.reporting import write_fhir

    _run(protocol_id, out, lambda protocol, folder: write_fhir(protocol, folder))


@export_app.command("registry")
def registry(protocol_id: str = _PROTOCOL, out: Path = _OUT) -> None:
    """The ClinicalTrials.gov API v2 protocolSection JSON of the protocol."""
    from mexards.reporting import write_registry

    _run(protocol_id, out, write_registry)


@export_app.command("page")
def page(protocol_id: str = _PROTOCOL, out: Path = _OUT) -> None:
    """The public study page (one static HTML file) with related trials among the built-in protocols."""
    from mexards.reporting import write_page

    def write(protocol: Protocol, folder: Path) -> list[Path]:
        candidates = [builtin_protocol(registry_id) for registry_id in list_builtin_protocols()]
        return write_page(protocol, folder, candidates)

    _run(protocol_id, out, write)
