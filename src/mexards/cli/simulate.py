"""CLI: ``mexards simulate`` - operating characteristics of dose-finding designs, exact or Monte Carlo.

``mexards simulate --design boin --target 0.25 --true-tox 0.10,0.25,0.40 --cohort-size 3 --cohorts 6 --exact``
enumerates every cohort outcome path; ``--trials 100000 --seed 1`` simulates instead (vectorised, on a local
process pool, or on a Dask cluster with ``--scheduler tcp://host:8786``). ``--compare boin,crm,3+3`` runs several
designs on the same virtual patients and ``--plot out.png|out.svg`` draws their selection and allocation.

``simulate`` is a command group: the options above run the dose-finding simulation directly (and ``simulate dose``
is the same command by name), so that whole-trial simulation can be added later as ``simulate trial``.
"""

from __future__ import annotations

import json
import secrets
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from mexards.cli.failure import reported_errors
from mexards.cli.lazy import lazy_module
from mexards.domain.errors import ValidationError
from mexards.dosefinding.design import DESIGN_NAMES, Design

simulation = lazy_module("mexards.simulation")
catalog = lazy_module("mexards.dosefinding.catalog")  # the designs need scipy: loaded when a command runs
simulate_app = typer.Typer(
    help="Simulate designs: dose-finding operating characteristics (exact or Monte Carlo).",
    invoke_without_command=True,
    no_args_is_help=True,
)

PLOT_SUFFIXES = (".png", ".svg", ".pdf")
THREE_PLUS_THREE_COHORT = 3


def register(app: typer.Typer) -> None:
    """Add ``simulate`` (a group; its default action and ``simulate dose`` simulate dose finding)."""
    app.add_typer(simulate_app, name="simulate")


def _designs(design: str | None, compare: str | None) -> list[str]:
    if design is not None and compare is not None:
        raise ValidationError("compare", "give either --design or --compare, not both", compare)
    if design is None and compare is None:
        raise ValidationError("design", f"give --design ({', '.join(DESIGN_NAMES)}) or --compare", None)
    text = design if design is not None else str(compare)
    names = [name.strip().lower() for name in text.split(",") if name.strip()]
    if not names:
        raise ValidationError("compare", "name at least one design", text)
    for name in names:
        if name not in DESIGN_NAMES:
            raise ValidationError("design", f"must be one of {', '.join(DESIGN_NAMES)}", name)
    if len(set(names)) != len(names):
        raise ValidationError("compare", "names a design twice", text)
    return names


def _scenario(
    name: str, true_tox: tuple[float, ...], cohort_size: int, cohorts: int | None, target: float | None,
    start_dose: int | None,
) -> simulation.DoseFindingScenario:
    if name.startswith("3+3"):
        if cohort_size != THREE_PLUS_THREE_COHORT:
            raise ValidationError("cohort_size", "the 3+3 design treats cohorts of 3", cohort_size)
        # At most 6 patients per dose: 2 cohorts per dose bound every 3+3 trial.
        planned = cohorts if cohorts is not None else 2 * len(true_tox)
    else:
        if cohorts is None:
            raise ValidationError("cohorts", f"is required for the {name} design", None)
        planned = cohorts
    return simulation.DoseFindingScenario(true_tox, cohort_size, planned, start_dose=start_dose, target=target)


def _executor(scheduler: str | None, workers: int | None) -> simulation.Executor:
    if scheduler is not None:
        from mexards.simulation.dask_executor import DaskExecutor

        return DaskExecutor(scheduler)
    return simulation.LocalPoolExecutor(workers)


def _table(results: list[simulation.OperatingCharacteristics]) -> Table:
    first = results[0]
    doses = len(first.true_tox)
    kind = "exact" if first.trials is None else f"Monte Carlo, {first.trials} trials, seed {first.seed}"
    table = Table(title=f"Operating characteristics ({kind})")
    table.add_column("design", no_wrap=True)
    table.add_column("quantity", no_wrap=True)
    for d in range(doses):
        table.add_column(f"dose {d + 1}\n(p={first.true_tox[d]:g})", justify="right")
    table.add_column("none / total", justify="right")
    for oc in results:
        table.add_row(oc.design, "P(select)", *_cells(oc, "p_select", 4), f"{oc.p_no_mtd:.4f}")
        table.add_row("", "mean n", *_cells(oc, "mean_n", 3), f"{oc.mean_total_n:.3f}")
        table.add_row("", "mean DLTs", *_cells(oc, "mean_dlt", 3), f"{oc.mean_total_dlt:.3f}", end_section=True)
    return table


def _cells(oc: simulation.OperatingCharacteristics, key: str, digits: int) -> list[str]:
    """Per-dose values of ``key``, with ``± standard error`` for Monte Carlo results."""
    values: tuple[float, ...] = getattr(oc, key)
    errors = (oc.standard_errors or {}).get(key)
    return [f"{v:.{digits}f}" + (f" ±{errors[i]:.{digits}f}" if errors else "") for i, v in enumerate(values)]


def _summary(oc: simulation.OperatingCharacteristics) -> str:
    line = f"{oc.design}: P(stop before the last cohort) {oc.p_stop_early:.4f}"
    if oc.p_treated_above_mtd is not None:
        line += (
            f"; true MTD {oc.true_mtd or 'none'}; P(a patient treated above it) {oc.p_treated_above_mtd:.4f}; "
            f"mean n above it {oc.mean_n_above_mtd:.3f}; P(selecting above it) {oc.p_select_above_mtd:.4f}"
        )
    return line


def _plot(results: list[simulation.OperatingCharacteristics], path: Path) -> None:
    """Grouped bars: selection probability and mean patients per dose, one colour per design."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    doses = len(results[0].true_tox)
    width = 0.8 / len(results)
    figure, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    for i, oc in enumerate(results):
        shift = [x + (i - (len(results) - 1) / 2) * width for x in range(doses + 1)]
        left.bar(shift, [*oc.p_select, oc.p_no_mtd], width, label=oc.design)
        right.bar(shift[:doses], oc.mean_n, width, label=oc.design)
    labels = [f"{d + 1}\n(p={p:g})" for d, p in enumerate(results[0].true_tox)]
    left.set_xticks(range(doses + 1), [*labels, "none"])
    left.set_ylabel("P(selected as MTD)")
    right.set_xticks(range(doses), labels)
    right.set_ylabel("mean patients treated")
    for axes in (left, right):
        axes.set_xlabel("dose level (true DLT probability)")
    left.legend(fontsize="small")
    first = results[0]
    kind = "exact" if first.trials is None else f"{first.trials} simulated trials, seed {first.seed}"
    figure.suptitle(f"Dose-finding operating characteristics ({kind})")
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)


def simulate_dose(
    ctx: typer.Context,
    design: str | None = typer.Option(None, "--design", help=f"One design: {', '.join(DESIGN_NAMES)}."),
    compare: str | None = typer.Option(
        None, "--compare", help="Several designs on the same virtual patients, e.g. boin,crm,3+3."
    ),
    true_tox: str | None = typer.Option(None, "--true-tox", help="True DLT probabilities, e.g. 0.10,0.25,0.40."),
    target: float | None = typer.Option(None, "--target", help="Target DLT probability (BOIN, CRM, overdosing)."),
    cohort_size: int = typer.Option(3, "--cohort-size", help="Patients per cohort."),
    cohorts: int | None = typer.Option(
        None, "--cohorts", help="Planned cohorts (BOIN, CRM; the 3+3 defaults to 2 per dose)."
    ),
    exact: bool = typer.Option(False, "--exact", help="Enumerate every outcome path (no random numbers)."),
    trials: int | None = typer.Option(None, "--trials", help="Monte Carlo: number of simulated trials."),
    seed: int | None = typer.Option(None, "--seed", help="Monte Carlo master seed (default: fresh, reported)."),
    start_dose: int | None = typer.Option(None, "--start-dose", help="Dose of the first cohort (default 1)."),
    skeleton: str | None = typer.Option(None, "--skeleton", help="CRM skeleton, e.g. 0.16,0.25,0.35."),
    halfwidth: float = typer.Option(0.05, "--halfwidth", help="CRM getprior half-width (without --skeleton)."),
    nu: int | None = typer.Option(None, "--nu", help="CRM getprior prior MTD level (default: middle dose)."),
    model: str = typer.Option("empiric", "--model", help="CRM model: empiric or logistic."),
    restrict: bool = typer.Option(True, "--restrict/--no-restrict", help="CRM coherence and no skipping."),
    intcpt: float = typer.Option(3.0, "--intcpt", help="CRM logistic model intercept."),
    prior_sd: float = typer.Option(1.34**0.5, "--prior-sd", help="CRM prior standard deviation of the parameter."),
    p_saf: float | None = typer.Option(None, "--p-saf", help="BOIN p.saf (default 0.6 x target)."),
    p_tox: float | None = typer.Option(None, "--p-tox", help="BOIN p.tox (default 1.4 x target)."),
    cutoff_eli: float = typer.Option(0.95, "--cutoff-eli", help="BOIN elimination cutoff."),
    extrasafe: bool = typer.Option(False, "--extrasafe", help="BOIN extra safety stop at the lowest dose."),
    offset: float = typer.Option(0.05, "--offset", help="BOIN extrasafe offset."),
    n_earlystop: int = typer.Option(100, "--n-earlystop", help="BOIN: stop once this many are at a dose."),
    max_n: int | None = typer.Option(None, "--max-n", help="Modifier: stop once this many patients."),
    no_skip: bool = typer.Option(False, "--no-skip", help="Modifier: never skip a dose when escalating."),
    stop_tox_threshold: float | None = typer.Option(
        None, "--stop-tox-threshold", help="Modifier: stop when P(DLT rate > this) exceeds --stop-confidence."
    ),
    stop_confidence: float | None = typer.Option(None, "--stop-confidence", help="See --stop-tox-threshold."),
    stop_dose: str = typer.Option("1", "--stop-dose", help="Dose watched by the toxicity stop, or 'any'."),
    as_json: bool = typer.Option(False, "--json", help="Print the results as JSON."),
    plot: Path | None = typer.Option(None, "--plot", help="Write a plot (.png, .svg or .pdf)."),
    scheduler: str | None = typer.Option(None, "--scheduler", help="Dask scheduler address (Monte Carlo)."),
    workers: int | None = typer.Option(None, "--workers", help="Local worker processes (default: CPUs)."),
) -> None:
    """Operating characteristics of dose-finding designs: P(select) per dose, P(no MTD), mean patients and
    DLTs per dose, P(stop early), overdosing; exact (--exact) or Monte Carlo (--trials, --seed)."""
    if ctx.invoked_subcommand is not None:
        return
    with reported_errors():
        names = _designs(design, compare)
        if true_tox is None:
            raise ValidationError("true_tox", "is required, e.g. --true-tox 0.10,0.25,0.40", None)
        probabilities = simulation.parse_probabilities(true_tox, "true_tox")
        if exact and trials is not None:
            raise ValidationError("trials", "give either --exact or --trials, not both", trials)
        if not exact and trials is None:
            raise ValidationError("trials", "give --trials N (Monte Carlo) or --exact", None)
        if plot is not None and plot.suffix.lower() not in PLOT_SUFFIXES:
            raise ValidationError("plot", "must end in .png, .svg or .pdf", str(plot))
        arms: list[tuple[Design, simulation.DoseFindingScenario]] = []
        for name in names:
            options = catalog.DesignOptions(
                design=name,
                target=target,
                num_doses=len(probabilities),
                skeleton=None if (parsed := catalog.skeleton_option(skeleton)) is None else tuple(parsed),
                halfwidth=halfwidth,
                nu=nu,
                model=model,
                start_dose=start_dose or 1,
                restrict=restrict,
                intcpt=intcpt,
                prior_sd=prior_sd,
                p_saf=p_saf,
                p_tox=p_tox,
                cutoff_eli=cutoff_eli,
                extrasafe=extrasafe,
                offset=offset,
                n_earlystop=n_earlystop,
                max_n=max_n,
                dont_skip=no_skip,
                stop_tox_threshold=stop_tox_threshold,
                stop_confidence=stop_confidence,
                stop_dose=stop_dose,
            )
            scenario = _scenario(name, probabilities, cohort_size, cohorts, target, start_dose)
            arms.append((catalog.build_design(options), scenario))
        if exact:
            results = [simulation.exact_operating_characteristics(d, s) for d, s in arms]
        else:
            assert trials is not None
            master = seed if seed is not None else secrets.randbits(63)
            executor = _executor(scheduler, workers)
            try:
                results = simulation.compare_designs(arms, trials=trials, seed=master, executor=executor)
            finally:
                close = getattr(executor, "close", None)
                if close is not None:
                    close()
        if plot is not None:
            _plot(results, plot)
    if as_json:
        payload: Any = results[0].to_dict() if compare is None else {
            "designs": [oc.to_dict() for oc in results],
            "trials": results[0].trials,
            "seed": results[0].seed,
        }
        typer.echo(json.dumps(payload, indent=2))
        return
    console = Console()
    console.print(_table(results))
    for oc in results:
        console.print(_summary(oc), highlight=False)
    if plot is not None:
        console.print(f"plot written to {plot}")


simulate_app.callback(invoke_without_command=True)(simulate_dose)
simulate_app.command("dose")(simulate_dose)
