"""The plain per-trial loop: one virtual trial at a time, the design's live ``fit`` after every cohort.

This is the reference the vectorised simulator is checked against (same virtual patients, same conduct: no
check after the last cohort, then the design's MTD) and the baseline of the dose-finding benchmark. It is slow
by construction: one ``fit`` on the whole history per cohort per trial, as ``escalation::simulate_trials`` does.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from mexards.dosefinding.design import Decision, Design
from mexards.dosefinding.outcome import Cohort
from mexards.simulation.patient import chunk_seeds, chunk_sizes, tolerances
from mexards.simulation.result import OCSums, OperatingCharacteristics, summarise
from mexards.simulation.scenario import DoseFindingScenario, for_design


@dataclass(frozen=True)
class ReplayedTrial:
    """One virtual trial run through the live design, with every decision taken on the way."""

    cohorts: tuple[Cohort, ...]
    decisions: tuple[Decision, ...]
    selected: int | None
    stopped_early: bool

    def counts(self, num_doses: int) -> tuple[list[int], list[int]]:
        """Patients and DLTs per dose (0-based lists)."""
        n = [0] * num_doses
        y = [0] * num_doses
        for cohort in self.cohorts:
            n[cohort.dose - 1] += cohort.size
            y[cohort.dose - 1] += cohort.num_tox
        return n, y


def first_dose(design: Design, scenario: DoseFindingScenario) -> int:
    """The 1-based dose of the first cohort: the scenario's, else what the design recommends with no data."""
    if scenario.start_dose is not None:
        return scenario.start_dose
    recommended = design.fit(()).recommended_dose
    return recommended if recommended is not None else 1


def replay_trial(design: Design, scenario: DoseFindingScenario, tolerance: NDArray[np.float64]) -> ReplayedTrial:
    """Run one trial whose ``i``-th patient has latent tolerance ``tolerance[i]`` (DLT iff below p_true)."""
    size = scenario.cohort_size
    dose = first_dose(design, scenario)
    history: list[Cohort] = []
    decisions: list[Decision] = []
    stopped_early = False
    for j in range(scenario.num_cohorts):
        p_true = scenario.true_tox[dose - 1]
        tox = tuple(bool(tolerance[j * size + i] < p_true) for i in range(size))
        history.append(Cohort(dose=dose, tox=tox))
        decision = design.fit(tuple(history))
        decisions.append(decision)
        if j == scenario.num_cohorts - 1:
            break
        if not decision.should_continue or decision.recommended_dose is None:
            stopped_early = True
            break
        dose = decision.recommended_dose
    return ReplayedTrial(tuple(history), tuple(decisions), decisions[-1].mtd, stopped_early)


def replay_operating_characteristics(
    design: Design, scenario: DoseFindingScenario, *, trials: int, seed: int
) -> OperatingCharacteristics:
    """Monte Carlo operating characteristics by the per-trial loop, on the same virtual patients as
    :func:`~mexards.simulation.montecarlo.simulate_operating_characteristics` with the same seed."""
    scenario = for_design(scenario, design)
    k = scenario.num_doses
    sums = OCSums(k)
    sizes = chunk_sizes(trials)
    for chunk_seed, size in zip(chunk_seeds(seed, len(sizes)), sizes, strict=True):
        u = tolerances(chunk_seed, size, scenario.max_patients)
        n = np.zeros((size, k), dtype=np.int64)
        y = np.zeros((size, k), dtype=np.int64)
        selected = np.full(size, -1, dtype=np.int64)
        stopped = np.zeros(size, dtype=np.bool_)
        for t in range(size):
            trial = replay_trial(design, scenario, u[t])
            n_t, y_t = trial.counts(k)
            n[t], y[t] = n_t, y_t
            selected[t] = -1 if trial.selected is None else trial.selected - 1
            stopped[t] = trial.stopped_early
        sums.add(None, n, y, selected, stopped, scenario.above_mtd)
    return summarise(
        sums,
        design=design.name,
        true_tox=scenario.true_tox,
        target=scenario.target,
        true_mtd=scenario.true_mtd,
        cohort_size=scenario.cohort_size,
        num_cohorts=scenario.num_cohorts,
        trials=trials,
        seed=seed,
    )
