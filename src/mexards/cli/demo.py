"""``mexards demo``: the first thing a new user runs. For now: the protocol summary and the screening of the
bundled example patients (eligible, ineligible for several reasons, incomplete)."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.rule import Rule

from mexards.cli.failure import reported_errors
from mexards.cli.protocol import render_summary
from mexards.cli.screen import render_overview, render_verdict
from mexards.clinical.eligibility import Screener
from mexards.protocol import example_patients, resolve_protocol


def register(app: typer.Typer) -> None:
    """Add ``demo`` to the root app."""
    app.command("demo")(demo)


def demo(
    protocol_id: str = typer.Option("NCT04602104", "--protocol", "-p", metavar="ID",
                                    help="A built-in registry id (or a protocol file)."),
    details: bool = typer.Option(False, "--details", help="Also print every criterion of every patient."),
) -> None:
    """Show the protocol and screen its bundled example patients."""
    console = Console()
    with reported_errors():
        protocol = resolve_protocol(protocol_id)
        screener = Screener(protocol)
        records = example_patients(protocol.registry_id)
        results = screener.screen_many(records)
    console.print(Rule(f"Protocol {protocol.registry_id}"))
    render_summary(console, protocol, criteria=False)
    console.print(Rule("Screening the example patients"))
    if not results:
        console.print(f"No example patients are bundled for {protocol.registry_id}.")
        return
    for record, result in zip(records, results, strict=True):
        console.print(f"[bold]{result.patient_id}[/bold] {record.get('notes', '')}")
        render_verdict(console, result)
        for c in result.criteria:
            if details or c.fails or c.status.value == "MISSING":
                console.print(f"  {c.id:>4} {c.status.value:<8} {c.reason}")
        console.print()
    render_overview(console, results)
    counts = {v: sum(r.verdict.value == v for r in results) for v in ("ELIGIBLE", "INELIGIBLE", "INCOMPLETE")}
    console.print(", ".join(f"{n} {v.lower()}" for v, n in counts.items()))
