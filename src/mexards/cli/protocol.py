"""``mexards protocol list | show ID | validate FILE``: the protocol definitions."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console
from rich.panel import Panel
from rich.table import Table

from mexards.cli.failure import reported_errors
from mexards.clinical.eligibility import Screener
from mexards.clinical.patient import patient_json_schema
from mexards.protocol import (
    Protocol,
    builtin_protocol,
    dump_protocol,
    list_builtin_protocols,
    load_protocol,
    protocol_summary,
    resolve_protocol,
)

protocol_app = typer.Typer(help="List, show and validate protocol definitions.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Add the ``protocol`` command group to the root app."""
    app.add_typer(protocol_app, name="protocol")


def render_summary(console: Console, protocol: Protocol, criteria: bool = True) -> None:
    """Print a protocol summary: identification, arms and doses, designs, visits, outcomes, criteria."""
    s = protocol_summary(protocol)
    head = Table.grid(padding=(0, 2))
    head.add_row("Registry id", f"{s.registry_id}" + (f" ({s.org_study_id})" if s.org_study_id else ""))
    head.add_row("Phase / status", f"{s.phase} / {s.status}")
    head.add_row("Sponsor", s.sponsor + (f"; collaborators: {', '.join(s.collaborators)}" if s.collaborators else ""))
    if s.sites:
        head.add_row("Sites", "; ".join(s.sites))
    head.add_row("Dates", ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in s.dates.items()) or "not stated")
    head.add_row("Enrollment", f"planned {s.enrollment['planned'] or 'not stated'}, "
                               f"actual {s.enrollment['actual'] or 'not stated'}")
    head.add_row("Design", s.design)
    head.add_row("Conditions", ", ".join(s.conditions))
    if s.phase1:
        head.add_row("Phase 1", s.phase1)
    if s.phase2:
        head.add_row("Phase 2", s.phase2)
    console.print(Panel(head, title=s.title, title_align="left"))
    arms = Table(title="Arms", title_justify="left")
    for column in ("Arm", "Phase", "Kind", "Dose"):
        arms.add_column(column)
    for arm in s.arms:
        arms.add_row(arm["label"], arm["phase"], arm["kind"], arm["dose"])
    console.print(arms)
    if s.visits:
        console.print("[bold]Visits:[/bold] " + "; ".join(s.visits))
    if s.outcomes:
        outcomes = Table(title="Outcome measures", title_justify="left")
        for column in ("Kind", "Measure", "Time frame", "Assumed"):
            outcomes.add_column(column)
        for item in s.outcomes:
            outcomes.add_row(item["kind"], item["measure"], item["time_frame"], item["assumed"])
        console.print(outcomes)
    if criteria:
        table = Table(title="Eligibility criteria", title_justify="left")
        table.add_column("Id")
        table.add_column("Criterion")
        for item in s.inclusion + s.exclusion:
            table.add_row(item["id"], item["text"])
        console.print(table)
    console.print("[bold]Settings:[/bold] " + ", ".join(f"{k}={v}" for k, v in s.settings.items()))


@protocol_app.command("list")
def list_protocols(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """List the built-in protocols."""
    rows = []
    for registry_id in list_builtin_protocols():
        protocol = builtin_protocol(registry_id)
        ident = protocol.identification
        rows.append({"registry_id": registry_id, "acronym": ident.acronym, "title": ident.brief_title,
                     "phase": ident.phase, "status": ident.status,
                     "inclusion": len(protocol.eligibility.inclusion),
                     "exclusion": len(protocol.eligibility.exclusion)})
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    table = Table(title="Built-in protocols", title_justify="left")
    for column in ("Registry id", "Acronym", "Phase", "Status", "Criteria", "Title"):
        table.add_column(column)
    for row in rows:
        table.add_row(str(row["registry_id"]), str(row["acronym"]), str(row["phase"]), str(row["status"]),
                      f"{row['inclusion']} incl. / {row['exclusion']} excl.", str(row["title"]))
    Console().print(table)


@protocol_app.command("show")
def show(
    protocol_id: str = typer.Argument(..., metavar="ID", help="A built-in registry id or a protocol file."),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
    as_yaml: bool = typer.Option(False, "--yaml", help="Print the whole protocol file (canonical YAML)."),
) -> None:
    """Show a protocol: identification, arms, doses, designs, visits, outcomes and criteria."""
    with reported_errors():
        protocol = resolve_protocol(protocol_id)
    if as_yaml:
        typer.echo(dump_protocol(protocol), nl=False)
    elif as_json:
        typer.echo(json.dumps(protocol_summary(protocol).as_dict(), indent=2, ensure_ascii=False))
    else:
        render_summary(Console(), protocol)


@protocol_app.command("validate")
def validate(path: Path = typer.Argument(..., metavar="FILE", help="The protocol file to check.")) -> None:
    """Check a protocol file; every problem is printed as ``field: rule`` and the exit code is 2."""
    with reported_errors():
        protocol = load_protocol(path)
        Screener(protocol)
    counts = f"{len(protocol.eligibility.inclusion)} inclusion, {len(protocol.eligibility.exclusion)} exclusion"
    typer.echo(f"valid: {protocol.registry_id} ({counts} criteria, {len(protocol.arms)} arms)")


@protocol_app.command("patient-schema")
def patient_schema(
    protocol_id: str = typer.Argument("NCT04602104", metavar="ID", help="A built-in registry id or a protocol file."),
) -> None:
    """Print the JSON Schema of the patient record that ``mexards screen`` reads for this protocol."""
    with reported_errors():
        protocol = resolve_protocol(protocol_id)
    typer.echo(json.dumps(patient_json_schema(Screener(protocol).schema.catalogue), indent=2, ensure_ascii=False))
