"""``mexards screen``: screen patient records (JSON or CSV) against a protocol's eligibility criteria."""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from mexards.cli.failure import reported_errors
from mexards.clinical.eligibility import Screener, ScreeningResult, Status, Verdict
from mexards.clinical.patient import json_records, records_from_csv
from mexards.domain.errors import ValidationError
from mexards.protocol import resolve_protocol

_STYLE = {Status.MET: "green", Status.NOT_MET: "red", Status.MISSING: "yellow",
          Verdict.ELIGIBLE: "bold green", Verdict.INELIGIBLE: "bold red", Verdict.INCOMPLETE: "bold yellow"}


def register(app: typer.Typer) -> None:
    """Add ``screen`` to the root app."""
    app.command("screen")(screen)


def parse_settings(pairs: Sequence[str]) -> dict[str, Any]:
    """``["exclusion3_join=or", "within_n_days_inclusive=false"]`` -> settings overrides."""
    settings: dict[str, Any] = {}
    for pair in pairs:
        name, sep, text = pair.partition("=")
        if not sep or not name.strip():
            raise ValidationError("--set", "must be NAME=VALUE", pair)
        value: Any = text.strip()
        if value.lower() in ("true", "false"):
            value = value.lower() == "true"
        settings[name.strip()] = value
    return settings


def read_records(path: Path) -> tuple[list[dict[str, Any]], bool]:
    """Records from a JSON or CSV file (``-`` reads stdin, format guessed from the first character); also
    whether the input was a single JSON object."""
    if str(path) == "-":
        text = sys.stdin.read()
        is_json = text.lstrip()[:1] in ("{", "[")
    else:
        try:
            text = path.read_text(encoding="utf-8-sig")
        except FileNotFoundError:
            raise ValidationError("patients", f"file not found: {path}", str(path)) from None
        is_json = path.suffix.lower() == ".json" or (path.suffix.lower() != ".csv" and text.lstrip()[:1] in "{[")
    if is_json:
        return json_records(text)
    return records_from_csv(text), False


def write_csv(results: Sequence[ScreeningResult], out: Any) -> None:
    """One row per patient: id, verdict, failing, missing, warnings, then each criterion's status."""
    ids = [c.id for c in results[0].criteria] if results else []
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["patient_id", "verdict", "failing", "missing", "warnings", *ids])
    for r in results:
        writer.writerow([r.patient_id, r.verdict.value, " ".join(r.failing), " ".join(r.missing),
                         " | ".join(r.warnings), *(c.status.value for c in r.criteria)])


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(type(value).__name__)


def render_result(console: Console, result: ScreeningResult) -> None:
    """A patient's criteria table and verdict."""
    table = Table(title=f"{result.patient_id or 'patient'}: {result.protocol_id}", title_justify="left")
    table.add_column("Id")
    table.add_column("Status")
    table.add_column("Reason")
    for c in result.criteria:
        style = "bold " + _STYLE[c.status] if c.fails else _STYLE[c.status]
        table.add_row(c.id, f"[{style}]{c.status.value}[/{style}]", c.reason)
    console.print(table)
    render_verdict(console, result)


def render_verdict(console: Console, result: ScreeningResult) -> None:
    """The verdict line, the failing and missing criteria and the warnings."""
    style = _STYLE[result.verdict]
    line = f"[{style}]{result.verdict.value}[/{style}]"
    if result.failing:
        line += " - failing: " + ", ".join(result.failing)
    if result.missing:
        line += " - missing data: " + ", ".join(result.missing)
    console.print(line)
    for warning in result.warnings:
        console.print(f"[yellow]warning[/yellow] {warning}")


def render_overview(console: Console, results: Sequence[ScreeningResult], reasons: bool = False) -> None:
    """One row per patient: verdict, failing criteria (with reasons if asked), missing, warnings."""
    table = Table(title="Screening", title_justify="left")
    for column in ("Patient", "Verdict", "Failing", "Missing", "Warnings"):
        table.add_column(column)
    for r in results:
        style = _STYLE[r.verdict]
        failing = "\n".join(f"{c.id}: {c.reason}" for c in r.criteria if c.fails) if reasons else \
            ", ".join(r.failing)
        table.add_row(r.patient_id, f"[{style}]{r.verdict.value}[/{style}]", failing, ", ".join(r.missing),
                      "\n".join(r.warnings))
    console.print(table)


def screen(
    patients: Path = typer.Argument(..., metavar="PATIENTS", help="PATIENT.json, PATIENTS.json or PATIENTS.csv."),
    protocol_id: str = typer.Option("NCT04602104", "--protocol", "-p", metavar="ID",
                                    help="A built-in registry id or a protocol file."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON (verdict and criteria per patient)."),
    as_csv: bool = typer.Option(False, "--csv", help="Print CSV, one row per patient."),
    setting: list[str] = typer.Option([], "--set", metavar="NAME=VALUE",
                                      help="Override a protocol setting, e.g. exclusion3_join=or."),
) -> None:
    """Screen patients: every criterion MET / NOT_MET / MISSING with its reason, and the verdict
    ELIGIBLE / INELIGIBLE / INCOMPLETE. Bad input exits with code 2 and ``field: rule`` lines."""
    with reported_errors():
        protocol = resolve_protocol(protocol_id)
        screener = Screener(protocol, parse_settings(setting))
        records, single = read_records(patients)
        results = screener.screen_many(records)
    if as_csv:
        write_csv(results, sys.stdout)
    elif as_json:
        payload: Any = results[0].as_dict() if single and len(results) == 1 else [r.as_dict() for r in results]
        sys.stdout.write(json.dumps(payload, indent=2, ensure_ascii=False, default=_default) + "\n")
    else:
        console = Console()
        if len(results) == 1:
            render_result(console, results[0])
        else:
            render_overview(console, results)
