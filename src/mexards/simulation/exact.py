"""Exact operating characteristics by enumerating every cohort outcome path.

With a cohort of ``c`` patients at a dose with true DLT probability ``p``, the number of DLTs is
``Binomial(c, p)``. Starting from the start dose, every state is expanded into its ``c + 1`` outcomes with their
binomial probabilities; states with the same key (current dose, DLTs in the last cohort, patients and DLTs per
dose; see :mod:`mexards.simulation.batch`) are merged by adding their probabilities; the design's
:class:`~mexards.simulation.rule.DecisionRule` then moves or stops every state, exactly as in the Monte Carlo
(BOIN 2.7.2 ``get.oc`` / dfcrm ``crmsim`` conduct: no check after the last cohort, then MTD selection).

This is the "gold standard" of dosefinding.md section 0: no random numbers, only floating point. It reproduces
the exact BOIN (3.3), 3+3 (3.6) and CRM (3.8) vectors of that file. Outcomes of zero probability (``p`` of 0 or
1) are dropped.
"""

from __future__ import annotations

import numpy as np
from scipy.stats import binom

from mexards.dosefinding.design import Design
from mexards.simulation.batch import TrialBatch, distinct
from mexards.simulation.montecarlo import start_dose
from mexards.simulation.result import OCSums, OperatingCharacteristics, summarise
from mexards.simulation.rule import DecisionRule, rule_for
from mexards.simulation.scenario import DoseFindingScenario, for_design


def _expand(batch: TrialBatch, weights: np.ndarray, cohort: int, pmf: np.ndarray) -> tuple[TrialBatch, np.ndarray]:
    """Every state times every number of DLTs in the next cohort (at the state's current dose)."""
    size = batch.cohort_size
    states = len(weights)
    parent = np.repeat(np.arange(states, dtype=np.int64), size + 1)
    dlts = np.tile(np.arange(size + 1, dtype=np.int64), states)
    child = batch.take(parent)
    dose = child.dose
    rows = np.arange(len(parent), dtype=np.int64)
    child.n[rows, dose] += size
    child.y[rows, dose] += dlts
    child.last_tox = dlts
    child.cohort_dose[:, cohort] = dose
    if child.tox is not None:
        child.tox[:, cohort * size : (cohort + 1) * size] = np.arange(size)[None, :] < dlts[:, None]
    child_weights = weights[parent] * pmf[dose, dlts]
    keep = child_weights > 0.0
    return child.take(rows[keep]), child_weights[keep]


def _merge(batch: TrialBatch, weights: np.ndarray) -> tuple[TrialBatch, np.ndarray]:
    """Merge states with equal keys, adding their probabilities (the first path is kept as representative)."""
    first, inverse = distinct(batch.codes(np.arange(len(weights), dtype=np.int64)))
    merged = np.bincount(inverse, weights=weights, minlength=len(first))
    return batch.take(first), merged


def enumerate_sums(rule: DecisionRule, scenario: DoseFindingScenario) -> OCSums:
    """The exact probability-weighted sums of ``rule`` under ``scenario``."""
    size = scenario.cohort_size
    p_true = np.asarray(scenario.true_tox, dtype=np.float64)
    pmf = binom.pmf(np.arange(size + 1)[None, :], size, p_true[:, None])
    batch = TrialBatch.empty(
        1, scenario.num_doses, scenario.num_cohorts, size, start_dose(rule, scenario), histories=rule.needs_histories
    )
    weights = np.ones(1)
    sums = OCSums(scenario.num_doses)
    above = scenario.above_mtd
    for cohort in range(scenario.num_cohorts):
        batch, weights = _merge(*_expand(batch, weights, cohort, pmf))
        every = np.arange(len(weights), dtype=np.int64)
        if cohort == scenario.num_cohorts - 1:
            selected = rule.select(batch, every)
            sums.add(weights, batch.n, batch.y, selected, np.zeros(len(every), dtype=np.bool_), above)
            break
        next_dose, stop = rule.decide(batch, every)
        if stop.any():
            ended = every[stop]
            finished = batch.take(ended)
            selected = rule.select(finished, np.arange(len(ended), dtype=np.int64))
            sums.add(weights[ended], finished.n, finished.y, selected, np.ones(len(ended), dtype=np.bool_), above)
        going = every[~stop]
        if going.size == 0:
            break
        batch = batch.take(going)
        batch.dose = next_dose[~stop]
        weights = weights[going]
    return sums


def exact_operating_characteristics(
    design: Design, scenario: DoseFindingScenario, *, live: bool = False
) -> OperatingCharacteristics:
    """Exact operating characteristics of ``design`` under ``scenario`` (``trials`` and ``seed`` are ``None``).

    ``live=True`` drives the enumeration by the design's live ``fit`` (one call per distinct state) instead of
    the fast table/grid rule; both give the same numbers.
    """
    scenario = for_design(scenario, design)
    rule = rule_for(design, live=live)
    sums = enumerate_sums(rule, scenario)
    return summarise(
        sums,
        design=design.name,
        true_tox=scenario.true_tox,
        target=scenario.target,
        true_mtd=scenario.true_mtd,
        cohort_size=scenario.cohort_size,
        num_cohorts=scenario.num_cohorts,
        trials=None,
        seed=None,
    )
