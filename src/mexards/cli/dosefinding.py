"""CLI commands ``mexards escalate`` (next dose and why) and ``mexards design table`` (pre-trial table)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.table import Table

from mexards.cli.failure import reported_errors
from mexards.cli.lazy import lazy_module

if TYPE_CHECKING:
    from mexards.dosefinding import BOINTable, Decision, DesignOptions, DosePath, RuleRow

dosefinding = lazy_module("mexards.dosefinding")  # the designs need scipy: loaded when a command runs
catalog = lazy_module("mexards.dosefinding.catalog")

DESIGN_HELP = "boin, crm, 3+3 (no de-escalation) or 3+3-deescalate (Korn et al. 1994 variant)"

design_app = typer.Typer(help="Dose-finding design tools.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app."""
    app.command("escalate")(escalate)
    app.add_typer(design_app, name="design")


def _options(
    design: str,
    target: float | None,
    doses: int | None,
    skeleton: str | None,
    halfwidth: float,
    nu: int | None,
    model: str,
    extrasafe: bool,
    max_n: int | None,
    no_skip: bool,
    stop_tox_threshold: float | None,
    stop_confidence: float | None,
    stop_dose: str,
) -> DesignOptions:
    parsed = catalog.skeleton_option(skeleton)
    return dosefinding.DesignOptions(
        design=design,
        target=target,
        num_doses=doses,
        skeleton=None if parsed is None else tuple(parsed),
        halfwidth=halfwidth,
        nu=nu,
        model=model,
        extrasafe=extrasafe,
        max_n=max_n,
        dont_skip=no_skip,
        stop_tox_threshold=stop_tox_threshold,
        stop_confidence=stop_confidence,
        stop_dose=stop_dose,
    )


def escalate(
    design: str = typer.Option(..., "--design", help=DESIGN_HELP),
    outcomes: str = typer.Option(
        "", "--outcomes", help="Cohorts so far, e.g. '1NNN 2NTN' (T = DLT, N = none)."
    ),
    target: float | None = typer.Option(None, "--target", help="Target DLT probability (BOIN, CRM)."),
    doses: int | None = typer.Option(None, "--doses", help="Number of dose levels (CRM: from the skeleton)."),
    skeleton: str | None = typer.Option(None, "--skeleton", help="CRM skeleton, e.g. '0.16,0.25,0.35'."),
    halfwidth: float = typer.Option(0.05, "--halfwidth", help="CRM getprior half-width without --skeleton."),
    nu: int | None = typer.Option(None, "--nu", help="CRM getprior prior MTD level (default: middle dose)."),
    model: str = typer.Option("empiric", "--model", help="CRM model: empiric or logistic."),
    extrasafe: bool = typer.Option(False, "--extrasafe", help="BOIN extra safety stop at the lowest dose."),
    cohort_size: int = typer.Option(3, "--cohort-size", min=1, help="Patients in the next cohort."),
    max_n: int | None = typer.Option(None, "--max-n", help="Stop once this many patients were treated."),
    no_skip: bool = typer.Option(
        False, "--no-skip", help="Never escalate more than one level above the last."
    ),
    stop_tox_threshold: float | None = typer.Option(
        None, "--stop-tox-threshold", help="Stop when P(DLT rate > this) exceeds --stop-confidence."
    ),
    stop_confidence: float | None = typer.Option(None, "--stop-confidence", help="See --stop-tox-threshold."),
    stop_dose: str = typer.Option("1", "--stop-dose", help="Dose monitored by the toxicity stop, or 'any'."),
    as_json: bool = typer.Option(False, "--json", help="Print the decision as JSON."),
) -> None:
    """Recommend the next dose from the outcomes so far, with the reason in words and numbers."""
    with reported_errors():
        options = _options(
            design,
            target,
            doses,
            skeleton,
            halfwidth,
            nu,
            model,
            extrasafe,
            max_n,
            no_skip,
            stop_tox_threshold,
            stop_confidence,
            stop_dose,
        )
        built = dosefinding.build_design(options)
        cohorts = dosefinding.parse_outcomes(outcomes, built.num_doses)
        decision = built.fit(cohorts)
    if as_json:
        data = {
            "design": built.name,
            "outcomes": dosefinding.format_outcomes(cohorts),
            "cohort_size": cohort_size,
            **decision.as_dict(),
        }
        typer.echo(json.dumps(data, indent=2))
        return
    _print_decision(built.name, dosefinding.format_outcomes(cohorts), decision, cohort_size)


def _print_decision(name: str, outcomes: str, decision: Decision, cohort_size: int) -> None:
    console = Console(highlight=False)
    console.print(f"Design: {name}")
    console.print(f"Outcomes: {outcomes or '(none yet)'} ({decision.num_patients} patients)")
    if decision.should_continue:
        console.print(f"Recommended dose: {decision.recommended_dose} (next cohort of {cohort_size})")
    else:
        final = decision.recommended_dose if decision.recommended_dose is not None else "none"
        console.print(f"Stop: {decision.stop_reason}. Selected dose: {final}", soft_wrap=True)
    console.print(f"Reason: {decision.reason}", soft_wrap=True)
    table = Table("dose", "patients", "DLTs", "DLT rate", "admissible")
    for i, (n, y) in enumerate(zip(decision.n_at_dose, decision.tox_at_dose, strict=True)):
        rate = decision.empiric_tox_rate[i]
        table.add_row(
            str(i + 1),
            str(n),
            str(y),
            "-" if rate is None else f"{rate:.2f}",
            "yes" if i + 1 in decision.admissible_doses else "no",
        )
    console.print(table)


@design_app.command("table")
def table(
    design: str = typer.Option(..., "--design", help=DESIGN_HELP),
    target: float | None = typer.Option(None, "--target", help="Target DLT probability (BOIN, CRM)."),
    cohorts: int = typer.Option(10, "--cohorts", min=1, help="Number of cohorts."),
    cohort_size: int = typer.Option(3, "--cohort-size", min=1, help="Patients per cohort."),
    doses: int | None = typer.Option(None, "--doses", help="Number of dose levels (3+3, CRM)."),
    skeleton: str | None = typer.Option(None, "--skeleton", help="CRM skeleton, e.g. '0.16,0.25,0.35'."),
    halfwidth: float = typer.Option(0.05, "--halfwidth", help="CRM getprior half-width without --skeleton."),
    nu: int | None = typer.Option(None, "--nu", help="CRM getprior prior MTD level (default: middle dose)."),
    model: str = typer.Option("empiric", "--model", help="CRM model: empiric or logistic."),
    extrasafe: bool = typer.Option(False, "--extrasafe", help="BOIN: add the lowest-dose stopping row."),
    full: bool = typer.Option(False, "--full", help="BOIN: also print the table for n = 1..N."),
    as_json: bool = typer.Option(False, "--json", help="Print the table as JSON."),
) -> None:
    """Print a design's decision table before the trial: BOIN boundaries, 3+3 rules, or CRM dose paths."""
    with reported_errors():
        num_doses = doses if doses is not None or skeleton is not None else 3
        options = _options(
            design, target, num_doses, skeleton, halfwidth, nu, model, extrasafe, None, False, None, None, "1"
        )
        built = dosefinding.build_design(options)
        result = dosefinding.decision_table(built, cohorts, cohort_size)
    if isinstance(result, dosefinding.BOINTable):
        _print_boin(result, full, as_json)
    elif isinstance(result, dosefinding.DosePath):
        _print_paths(built.name, result, as_json)
    else:
        _print_rules(built.name, result, as_json)


def _print_boin(result: BOINTable, full: bool, as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(result.as_dict(), indent=2))
        return
    console = Console(highlight=False)
    console.print(
        f"BOIN target {result.target:g}: lambda_e = {result.lambda_e:.4f}, lambda_d = {result.lambda_d:.4f}"
    )
    rows = [("per cohort", result.per_cohort)] + ([("n = 1..N", result.full)] if full else [])
    for title, boundary_rows in rows:
        grid = Table("", *[str(r.n) for r in boundary_rows], title=f"Number of patients treated ({title})")
        grid.add_row("Escalate if # of DLT <=", *[str(r.escalate_max) for r in boundary_rows])
        grid.add_row("De-escalate if # of DLT >=", *[str(r.deescalate_min) for r in boundary_rows])
        grid.add_row("Eliminate if # of DLT >=", *[_na(r.eliminate_min) for r in boundary_rows])
        if result.extrasafe:
            grid.add_row("Stop at the lowest dose if # of DLT >=", *[_na(r.stop_min) for r in boundary_rows])
        console.print(grid)


def _na(value: int | None) -> str:
    return "NA" if value is None else str(value)


def _print_rules(name: str, rows: tuple[RuleRow, ...], as_json: bool) -> None:
    if as_json:
        data = {
            "design": name,
            "rules": [{"patients": r.patients, "dlts": r.dlts, "action": r.action} for r in rows],
        }
        typer.echo(json.dumps(data, indent=2))
        return
    grid = Table("patients at the current dose", "DLTs", "action", title=f"{name} rules")
    for r in rows:
        grid.add_row(str(r.patients), str(r.dlts), r.action)
    Console(highlight=False).print(grid)


def _print_paths(name: str, root: DosePath, as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps({"design": name, "paths": root.as_dict()}, indent=2))
        return
    grid = Table("outcomes so far", "next dose", title=f"{name}: dose transition pathways")
    for node in root.walk():
        if node.should_continue:
            nxt = str(node.recommended_dose)
        else:
            nxt = f"stop ({node.recommended_dose if node.recommended_dose is not None else 'no dose'})"
        grid.add_row(node.outcomes or "(start)", nxt)
    Console(highlight=False).print(grid)
