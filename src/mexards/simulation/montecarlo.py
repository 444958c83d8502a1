"""Monte Carlo operating characteristics, vectorised across trials.

All trials of a chunk advance together, cohort by cohort: the DLTs of a cohort are ``u[t, i] < p_true[dose[t]]``
for its patients ``i`` (:mod:`mexards.simulation.patient`), the counts are updated with numpy, and the design's
:class:`~mexards.simulation.rule.DecisionRule` gives every still-running trial its next dose or stops it. The
conduct is that of BOIN 2.7.2 ``get.oc`` and dfcrm ``crmsim`` (see :mod:`mexards.simulation.scenario`): no check
after the last cohort, then MTD selection on all the data.

Chunks of :data:`~mexards.simulation.patient.CHUNK_TRIALS` trials run on an
:class:`~mexards.simulation.executor.Executor`; each has its own spawned seed and the chunk sums are added in
chunk order, so a seed gives the same result on every executor.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from mexards.domain.errors import DesignError, MexardsError, ValidationError
from mexards.dosefinding.design import Design
from mexards.simulation.batch import BoolArray, IntArray, TrialBatch
from mexards.simulation.executor import Executor, default_executor
from mexards.simulation.patient import chunk_seeds, chunk_sizes, tolerances
from mexards.simulation.result import OCSums, OperatingCharacteristics, summarise
from mexards.simulation.rule import DecisionRule, rule_for
from mexards.simulation.scenario import DoseFindingScenario, for_design


@dataclass(frozen=True)
class TrialRecords:
    """Per-trial results of one batch. Doses 0-based; ``selected`` and ``cohort_dose`` use -1 for none."""

    n: IntArray
    dlt: IntArray
    selected: IntArray
    cohorts_treated: IntArray
    cohort_dose: IntArray
    stopped_early: BoolArray


def start_dose(rule: DecisionRule, scenario: DoseFindingScenario) -> int:
    """The 0-based first dose: the scenario's if given, else the design's own."""
    if scenario.start_dose is not None:
        return scenario.start_dose - 1
    return rule.first_dose()


def run_trials(rule: DecisionRule, scenario: DoseFindingScenario, u: NDArray[np.float64]) -> TrialRecords:
    """Run one trial per row of the tolerances ``u`` (trials x at least ``max_patients``) under ``rule``."""
    trials = int(u.shape[0])
    size = scenario.cohort_size
    cohorts = scenario.num_cohorts
    if u.shape[1] < scenario.max_patients:
        raise ValueError("fewer tolerances per trial than planned patients")
    p_true = np.asarray(scenario.true_tox, dtype=np.float64)
    batch = TrialBatch.empty(
        trials, scenario.num_doses, cohorts, size, start_dose(rule, scenario), histories=rule.needs_histories
    )
    cohorts_treated = np.full(trials, cohorts, dtype=np.int64)
    stopped_early = np.zeros(trials, dtype=np.bool_)
    k = scenario.num_doses
    n_flat = batch.n.reshape(-1)
    y_flat = batch.y.reshape(-1)
    rows: IntArray = np.arange(trials, dtype=np.int64)
    everyone = True  # while no trial has stopped, whole columns are used instead of gathers
    columns = np.ascontiguousarray(u[:, : scenario.max_patients].T)  # patient-major: contiguous per patient
    for j in range(cohorts):
        dose = batch.dose if everyone else batch.dose[rows]
        p_dose = p_true[dose]
        dlts = np.zeros(len(rows), dtype=np.int64)
        for i in range(j * size, (j + 1) * size):
            tox = columns[i] < p_dose if everyone else columns[i, rows] < p_dose
            dlts += tox
            if batch.tox is not None:
                if everyone:
                    batch.tox[:, i] = tox
                else:
                    batch.tox[rows, i] = tox
        flat = rows * k + dose
        n_flat[flat] += size
        y_flat[flat] += dlts
        if everyone:
            batch.last_tox[:] = dlts
            batch.cohort_dose[:, j] = dose
        else:
            batch.last_tox[rows] = dlts
            batch.cohort_dose[rows, j] = dose
        if j == cohorts - 1:
            break
        next_dose, stop = rule.decide(batch, rows)
        if stop.any():
            ended = rows[stop]
            cohorts_treated[ended] = j + 1
            stopped_early[ended] = True
            rows = rows[~stop]
            next_dose = next_dose[~stop]
            everyone = False
        if rows.size == 0:
            break
        if everyone:
            batch.dose[:] = next_dose
        else:
            batch.dose[rows] = next_dose
    selected = rule.select(batch, np.arange(trials, dtype=np.int64))
    return TrialRecords(
        n=batch.n,
        dlt=batch.y,
        selected=selected,
        cohorts_treated=cohorts_treated,
        cohort_dose=batch.cohort_dose,
        stopped_early=stopped_early,
    )


def records_sums(records: TrialRecords, scenario: DoseFindingScenario) -> OCSums:
    """Reduce per-trial records to :class:`OCSums` (weight 1 per trial)."""
    sums = OCSums(scenario.num_doses)
    sums.add(
        None,
        records.n,
        records.dlt,
        records.selected,
        records.stopped_early,
        scenario.above_mtd,
    )
    return sums


@dataclass(frozen=True)
class ChunkTask:
    """One chunk: the same virtual patients for every (rule, scenario) pair."""

    arms: tuple[tuple[DecisionRule, DoseFindingScenario], ...]
    seed: np.random.SeedSequence
    trials: int
    patients: int


@dataclass(frozen=True)
class ChunkFailure:
    """A mexards error raised while running a chunk, carried back as data (it may have crossed a process)."""

    field: str | None
    rule: str

    def raise_again(self) -> None:
        """Raise the error in the calling process."""
        if self.field is not None:
            raise ValidationError(self.field, self.rule)
        raise DesignError(self.rule)


def run_chunk(task: ChunkTask) -> list[OCSums] | ChunkFailure:
    """Draw the chunk's tolerances once and run every rule on them."""
    u = tolerances(task.seed, task.trials, task.patients)
    try:
        return [records_sums(run_trials(rule, scenario, u), scenario) for rule, scenario in task.arms]
    except ValidationError as exc:
        return ChunkFailure(exc.field, exc.rule)
    except MexardsError as exc:
        return ChunkFailure(None, str(exc))


def _check(trials: int, seed: int) -> None:
    if trials < 1:
        raise ValidationError("trials", "must be at least 1", trials)
    if seed < 0:
        raise ValidationError("seed", "must be a non-negative integer", seed)


def compare_designs(
    arms: Sequence[tuple[Design, DoseFindingScenario]],
    *,
    trials: int,
    seed: int,
    executor: Executor | None = None,
    live: bool = False,
) -> list[OperatingCharacteristics]:
    """Simulate several designs on the same virtual patients (common random numbers).

    Every arm is a design with its scenario (same true DLT rates; cohorts may differ, e.g. a 3+3 runs at most
    two cohorts per dose). The tolerances are drawn for the largest planned sample size, so patient ``i`` of
    trial ``t`` is the same person for every design. ``live=True`` drives every design by its live ``fit``.
    """
    _check(trials, seed)
    if not arms:
        raise ValidationError("designs", "give at least one design", [])
    arms = [(design, for_design(scenario, design)) for design, scenario in arms]
    prepared = [(rule_for(design, live=live), scenario) for design, scenario in arms]
    patients = max(scenario.max_patients for _, scenario in arms)
    sizes = chunk_sizes(trials)
    seeds = chunk_seeds(seed, len(sizes))
    tasks = [ChunkTask(tuple(prepared), s, m, patients) for s, m in zip(seeds, sizes, strict=True)]
    runner = executor if executor is not None else default_executor()
    per_chunk: list[list[OCSums]] = []
    for outcome in runner.map(run_chunk, tasks):
        if isinstance(outcome, ChunkFailure):
            outcome.raise_again()
        else:
            per_chunk.append(outcome)
    results: list[OperatingCharacteristics] = []
    for index, (design, scenario) in enumerate(arms):
        total = OCSums(scenario.num_doses)
        for chunk in per_chunk:
            total = total.merge(chunk[index])
        results.append(
            summarise(
                total,
                design=design.name,
                true_tox=scenario.true_tox,
                target=scenario.target,
                true_mtd=scenario.true_mtd,
                cohort_size=scenario.cohort_size,
                num_cohorts=scenario.num_cohorts,
                trials=trials,
                seed=seed,
            )
        )
    return results


def simulate_operating_characteristics(
    design: Design,
    scenario: DoseFindingScenario,
    *,
    trials: int,
    seed: int,
    executor: Executor | None = None,
    live: bool = False,
) -> OperatingCharacteristics:
    """Monte Carlo operating characteristics of one design (with standard errors, ``trials`` and ``seed``)."""
    return compare_designs([(design, scenario)], trials=trials, seed=seed, executor=executor, live=live)[0]

