"""Whole-trial (seamless Phase 1/2) simulation: the vectorised simulator against a plain per-trial loop.

The loop runs the same rules one trial at a time: Phase 1 by the design's live ``fit`` after every cohort
(:func:`mexards.simulation.replay.replay_trial`, on the same latent tolerances), Phase 2 by the reference
:func:`mexards.analysis.regression.ancova` on the trial's patients (the same random numbers as the vectorised
simulator), then the fixed-sequence decision. Both give the same selections and the same decisions (checked on
the subset before timing). Target (issue 7): 100,000 whole trials in under 30 s on this 2-core machine.

Run: ``python -m benchmarks whole_trial``. Wall times are single runs (medians for the small cases); the
machine is shared, so compare the ratios measured in the same run.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

import numpy as np

from mexards.analysis.regression import ancova
from mexards.simulation import LocalPoolExecutor, SerialExecutor
from mexards.simulation.patient import chunk_seeds, tolerances
from mexards.simulation.replay import replay_trial
from mexards.simulation.trial_course import baseline_pf, categorical, death_probability_by, pf_on_day
from mexards.simulation.trial_scenario import TrialScenario, load_trial_scenario
from mexards.simulation.whole_trial import TrialDesign, _phase2_seed, simulate_whole_trial, trial_design

LOOP_TRIALS = 300
TARGET_SECONDS = 30.0


def loop_trials(design: TrialDesign, trials: int, seed: int) -> tuple[list[int], list[bool]]:
    """The plain loop over ``trials`` trials (one chunk): selected MTD (0-based, -1 none) and primary success
    at the scenario's effect, trial by trial."""
    scenario: TrialScenario = design.scenario
    course = scenario.course
    day = scenario.trial.primary_endpoint_day
    model = design.model
    chunk = chunk_seeds(seed, 1)[0]
    u = tolerances(chunk, trials, design.phase1.max_patients)
    rng = np.random.default_rng(_phase2_seed(chunk))
    total = sum(design.arm_sizes)
    severity = categorical(rng.random((trials, total)), scenario.population.severity)
    pf0 = baseline_pf(severity, rng.random((trials, total)), scenario.population, course)
    noise = rng.standard_normal((trials, total))
    u_death = rng.random((trials, total))
    labels = [arm for arm, n in zip(design.arm_ids, design.arm_sizes, strict=True) for _ in range(n)]
    control = design.arm_ids[design.control]
    primary = design.arm_ids[design.order[0]]
    selected: list[int] = []
    success: list[bool] = []
    for t in range(trials):
        trial = replay_trial(design.design, design.phase1, u[t])
        mtd = -1 if trial.selected is None else trial.selected - 1
        selected.append(mtd)
        if mtd < 0:
            success.append(False)
            continue
        doses = [d[0] for d in design.arm_doses(np.array([mtd]))]
        outcome: list[float | None] = []
        for i, arm in enumerate(labels):
            dose = doses[design.arm_ids.index(arm)]
            cls = severity[t, i : i + 1]
            x = pf0[t, i : i + 1]
            y = float(
                pf_on_day(x, cls, day, float(model.pf_effect_mmhg(dose)), noise[t, i : i + 1], course)[0]
            )
            dead = u_death[t, i] < float(death_probability_by(day, cls, model.odds_ratio(dose), course)[0])
            outcome.append(None if dead else y - float(x[0]))
        result = ancova(outcome, [float(v) for v in pf0[t]], labels, control=control)
        p = {c.name.split(" - ")[0]: c.p_value for c in result.contrasts}
        success.append(p[primary] < scenario.trial.alpha)
    return selected, success


def _median(run: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def measure() -> list[list[str]]:
    """Time the loop on a subset and the vectorised simulator at 10,000 and 100,000 trials."""
    scenario = load_trial_scenario("mexards")
    design = trial_design(scenario)
    simulate_whole_trial(scenario, trials=500, seed=0, executor=SerialExecutor())  # warm-up (memoised fits)
    selected, success = loop_trials(design, LOOP_TRIALS, seed=1)
    check = simulate_whole_trial(scenario, trials=LOOP_TRIALS, seed=1, executor=SerialExecutor())
    loop_select = [selected.count(d) / LOOP_TRIALS for d in range(len(design.level_particles))]
    assert tuple(loop_select) == check.phase1.p_select, "loop and vectorised Phase 1 disagree"
    assert sum(success) / LOOP_TRIALS == check.power.p_success, "loop and vectorised Phase 2 disagree"
    start = time.perf_counter()
    loop_trials(design, LOOP_TRIALS, seed=1)
    per_trial = (time.perf_counter() - start) / LOOP_TRIALS
    rows = [
        [
            "per-trial loop (live fit + reference ANCOVA)",
            f"{LOOP_TRIALS:,}",
            f"{per_trial * LOOP_TRIALS:.2f} s",
            f"{1 / per_trial:,.0f}",
            "1x",
            "",
        ]
    ]

    def row(method: str, trials: int, seconds: float, target: str = "") -> list[str]:
        return [
            method,
            f"{trials:,}",
            f"{seconds:.2f} s",
            f"{trials / seconds:,.0f}",
            f"{per_trial * trials / seconds:,.0f}x",
            target,
        ]

    serial_10k = _median(
        lambda: simulate_whole_trial(scenario, trials=10_000, seed=2, executor=SerialExecutor()), 3
    )
    rows.append(row("vectorised, in-process", 10_000, serial_10k))
    serial = _median(
        lambda: simulate_whole_trial(scenario, trials=100_000, seed=3, executor=SerialExecutor()), 1
    )
    rows.append(row("vectorised, in-process", 100_000, serial, f"< {TARGET_SECONDS:g} s"))
    pool = LocalPoolExecutor()
    pooled = _median(lambda: simulate_whole_trial(scenario, trials=100_000, seed=3, executor=pool), 1)
    rows.append(
        row(f"vectorised, local pool ({pool.workers} workers)", 100_000, pooled, f"< {TARGET_SECONDS:g} s")
    )
    return rows


def main() -> None:
    """Print the Markdown table for BENCHMARKS.md."""
    rows = measure()
    header = ["method", "trials", "wall", "trials/s", "vs loop", "target"]
    print(
        "### Whole-trial simulation (MEXARDS reference scenario: 3+3 Phase 1, 150-patient Phase 2, ANCOVA, "
        "6 effect scales)"
    )
    print()
    print("| " + " | ".join(header) + " |")
    print("|" + "|".join("---" for _ in header) + "|")
    for cells in rows:
        print("| " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
