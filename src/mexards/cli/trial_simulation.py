"""CLI: ``mexards simulate-trial`` (also ``mexards simulate trial``) - the whole seamless Phase 1/2 trial
simulated many times under a scenario file.

``mexards simulate-trial --scenario mexards --trials 100000 --seed 1`` reports the probability of selecting
the right MTD (and each dose), Phase 2 power for the primary endpoint, the type I error under the null,
expected sample size and duration; ``--plot DIR`` writes the MTD selection bars and the power curve over
effect sizes; ``--scheduler tcp://host:8786`` runs the chunks on a Dask cluster (the local process pool
otherwise). Scenarios: ``docs/whole-trial-simulation.md``.
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
from mexards.domain.errors import ValidationError
from mexards.simulation import Executor, LocalPoolExecutor
from mexards.simulation.trial_result import WholeTrialResult
from mexards.simulation.trial_scenario import list_builtin_scenarios, load_trial_scenario

PLOT_FILES = ("mtd_selection.png", "power_curve.png")


def register(app: typer.Typer) -> None:
    """Add ``simulate-trial`` to the root app and ``trial`` to the ``simulate`` group when there is one."""
    app.command("simulate-trial")(simulate_trial)
    from mexards.cli import simulate

    group = getattr(simulate, "simulate_app", None)
    if isinstance(group, typer.Typer):
        group.command("trial")(simulate_trial)


def _executor(scheduler: str | None, workers: int | None) -> Executor:
    if scheduler is not None:
        from mexards.simulation.dask_executor import DaskExecutor

        return DaskExecutor(scheduler)
    return LocalPoolExecutor(workers)


def _pm(value: float, se: float, digits: int = 4) -> str:
    return f"{value:.{digits}f} ±{se:.{digits}f}"


def _phase1_table(result: WholeTrialResult) -> Table:
    oc = result.phase1
    errors = oc.standard_errors or {}
    table = Table(title=f"Phase 1: {result.design} (true MTD: {oc.true_mtd or 'none'}, target {oc.target:g})")
    table.add_column("dose", justify="right")
    table.add_column("true P(DLT)", justify="right")
    table.add_column("P(selected as MTD)", justify="right")
    table.add_column("mean patients", justify="right")
    table.add_column("mean DLTs", justify="right")
    for d, p in enumerate(oc.true_tox):
        mark = " *" if oc.true_mtd == d + 1 else ""
        table.add_row(
            f"{d + 1}{mark}",
            f"{p:g}",
            _pm(oc.p_select[d], errors["p_select"][d]),
            f"{oc.mean_n[d]:.2f}",
            f"{oc.mean_dlt[d]:.2f}",
        )
    table.add_row(
        "none", "", _pm(oc.p_no_mtd, errors["p_no_mtd"]), f"{oc.mean_total_n:.2f}", f"{oc.mean_total_dlt:.2f}"
    )
    return table


def _phase2_table(result: WholeTrialResult) -> Table:
    sizes = ", ".join(f"{arm} {n}" for arm, n in result.arm_sizes.items())
    title = f"Phase 2 ({sizes}; {result.analysis}, {result.multiplicity}, alpha {result.alpha:g})"
    table = Table(title=title)
    table.add_column("effect\nscale", justify="right")
    arms = [name.split(" vs ")[0] for name in result.comparisons]
    for arm in arms:
        table.add_column(f"{arm}\neffect mmHg\n(true/est.)", justify="right")
    for arm in arms:
        table.add_column(f"{arm}\nP(reject)", justify="right")
    table.add_column("P(success)\nall trials", justify="right")
    table.add_column("P(success)\nPhase 2 run", justify="right")
    for point in result.power_curve:
        table.add_row(
            f"{point.scale:g}" + (" null" if point.scale == 0 else ""),
            *(
                f"{t:.1f}/{e:.1f}"
                for t, e in zip(point.mean_effect_mmhg, point.mean_estimate_mmhg, strict=True)
            ),
            *(f"{p:.4f}" for p in point.p_reject),
            _pm(point.p_success, point.p_success_se),
            _pm(point.p_success_given_phase2, point.p_success_given_phase2_se),
        )
    return table


def _summary_lines(result: WholeTrialResult) -> list[str]:
    size = result.sample_size
    days = result.duration_days
    power, null = result.power, result.type_i_error
    completion = days["time_to_completion_days"]
    return [
        f"P(correct MTD) {_pm(result.p_correct_mtd, result.p_correct_mtd_se)}; "
        f"P(Phase 2 runs) {_pm(result.p_phase2, result.p_phase2_se)}",
        "Power (scenario, Phase 2 run) "
        f"{_pm(power.p_success_given_phase2, power.p_success_given_phase2_se)}; "
        f"over all trials {_pm(power.p_success, power.p_success_se)}",
        "Type I error (null, Phase 2 run) "
        f"{_pm(null.p_success_given_phase2, null.p_success_given_phase2_se)} "
        f"(nominal {result.alpha:g})",
        f"Expected sample size {size['total_n']['mean']:.1f} (Phase 1 {size['phase1_n']['mean']:.1f}, "
        f"Phase 2 {size['phase2_n']['mean']:.1f}); expected patients screened {result.expected_screened:.0f} "
        f"({result.eligible_fraction:.1%} eligible)",
        f"Expected duration: MTD at {days['time_to_mtd_days']['mean']:.0f} days, primary analysis at "
        f"{days['time_to_primary_analysis_days']['mean']:.0f} days, completion at "
        f"{completion['mean']:.0f} days (SD {completion['sd']:.0f})",
        f"{result.trials} simulated trials, seed {result.seed}, {result.chunks} chunk(s); scenario "
        f"{result.scenario}, protocol {result.protocol}",
        *result.notes,
    ]


def _plots(result: WholeTrialResult, folder: Path) -> list[Path]:
    """MTD selection bars and the power curve over effect sizes (matplotlib, Agg backend)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    folder.mkdir(parents=True, exist_ok=True)
    oc = result.phase1
    errors = oc.standard_errors or {}
    doses = len(oc.true_tox)
    figure, axes = plt.subplots(figsize=(6, 4))
    values = [*oc.p_select, oc.p_no_mtd]
    spread = [*(1.96 * e for e in errors.get("p_select", [0.0] * doses)), 1.96 * errors.get("p_no_mtd", 0.0)]
    colours = ["tab:green" if oc.true_mtd == d + 1 else "tab:blue" for d in range(doses)] + ["tab:grey"]
    axes.bar(range(doses + 1), values, yerr=spread, color=colours, capsize=3)
    axes.set_xticks(range(doses + 1), [*(f"{d + 1}\n(p={p:g})" for d, p in enumerate(oc.true_tox)), "none"])
    axes.set_xlabel("dose level (true DLT probability); green = true MTD")
    axes.set_ylabel("P(selected as MTD)")
    axes.set_title(f"MTD selection, {result.design}: P(correct) {result.p_correct_mtd:.3f}")
    figure.tight_layout()
    selection = folder / PLOT_FILES[0]
    figure.savefig(selection)
    plt.close(figure)

    figure, axes = plt.subplots(figsize=(6, 4))
    points = result.power_curve
    primary = result.comparisons.index(result.primary_comparison)
    effect = [p.mean_effect_mmhg[primary] for p in points]
    for label, key, se_key in (
        ("all trials", "p_success", "p_success_se"),
        ("Phase 2 run", "p_success_given_phase2", "p_success_given_phase2_se"),
    ):
        axes.errorbar(
            effect,
            [getattr(p, key) for p in points],
            yerr=[1.96 * getattr(p, se_key) for p in points],
            marker="o",
            capsize=3,
            label=label,
        )
    axes.axhline(result.alpha, color="grey", linestyle=":", label=f"alpha {result.alpha:g}")
    day = result.primary_endpoint_day
    axes.set_xlabel(f"mean true effect, {result.primary_comparison} (mmHg, Day {day})")
    axes.set_ylabel("P(success)")
    axes.set_ylim(0, 1)
    axes.set_title(f"Power over effect sizes ({result.trials} trials, seed {result.seed})")
    axes.legend(fontsize="small")
    figure.tight_layout()
    curve = folder / PLOT_FILES[1]
    figure.savefig(curve)
    plt.close(figure)
    return [selection, curve]


def simulate_trial(
    scenario: str = typer.Option(
        "mexards",
        "--scenario",
        help=f"A scenario file or a built-in name ({', '.join(list_builtin_scenarios())}).",
    ),
    trials: int = typer.Option(10_000, "--trials", help="Number of simulated whole trials."),
    seed: int | None = typer.Option(None, "--seed", help="Master seed (default: fresh, reported)."),
    phase2_size: int | None = typer.Option(
        None, "--phase2-size", help="Phase 2 sample size (default: scenario, then protocol)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the results as JSON."),
    plot: Path | None = typer.Option(
        None, "--plot", help="Folder for mtd_selection.png and power_curve.png."
    ),
    scheduler: str | None = typer.Option(
        None, "--scheduler", help="Dask scheduler address, e.g. tcp://host:8786."
    ),
    workers: int | None = typer.Option(None, "--workers", help="Local worker processes (default: CPUs)."),
) -> None:
    """Simulate the seamless Phase 1/2 trial many times: P(correct MTD), P(each MTD), Phase 2 power and type I
    error, power curve over effect sizes, expected sample size and duration."""
    with reported_errors():
        if trials < 1:
            raise ValidationError("trials", "must be at least 1", trials)
        loaded = load_trial_scenario(scenario)
        master = seed if seed is not None else secrets.randbits(63)
        executor = _executor(scheduler, workers)
        try:
            from mexards.simulation.whole_trial import simulate_whole_trial  # loads the engine

            result = simulate_whole_trial(
                loaded, trials=trials, seed=master, executor=executor, phase2_sample_size=phase2_size
            )
        finally:
            close = getattr(executor, "close", None)
            if close is not None:
                close()
        written = _plots(result, plot) if plot is not None else []
    if as_json:
        payload: dict[str, Any] = result.to_dict()
        payload["plots"] = [str(p) for p in written]
        typer.echo(json.dumps(payload, indent=2))
        return
    console = Console()
    console.print(_phase1_table(result))
    console.print(_phase2_table(result))
    for line in _summary_lines(result):
        console.print(line, highlight=False)
    for path in written:
        console.print(f"plot written to {path}", highlight=False)
