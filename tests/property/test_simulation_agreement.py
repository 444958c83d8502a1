"""Properties of the simulators.

1. The vectorised simulator and the live ``fit`` agree decision by decision: trials simulated together on shared
   latent tolerances are replayed one at a time through ``fit``, cohort by cohort, and must visit the same doses,
   see the same DLTs, stop at the same time and select the same MTD - for BOIN (extrasafe, n_earlystop), CRM
   (empiric/logistic, restrict or not), both 3+3 variants and modifiers.
2. Monte Carlo frequencies lie within binomial error of the exact dose-path probabilities.
Examples are derandomised so the suite is deterministic.
"""

from __future__ import annotations

import math

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mexards.dosefinding import BOIN, CRM, DontSkipDoses, StopAtN, ThreePlusThree, getprior
from mexards.dosefinding.design import Design
from mexards.simulation import (
    DoseFindingScenario,
    SerialExecutor,
    exact_operating_characteristics,
    replay_trial,
    simulate_operating_characteristics,
)
from mexards.simulation.montecarlo import run_trials
from mexards.simulation.patient import chunk_seeds, tolerances
from mexards.simulation.rule import rule_for

SETTINGS = settings(
    max_examples=150, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)


@st.composite
def designs(draw: st.DrawFn) -> tuple[Design, int]:
    """A design and a cohort size it accepts."""
    k = draw(st.integers(2, 5))
    target = draw(st.sampled_from([0.2, 0.25, 0.3, 0.33]))
    kind = draw(st.sampled_from(["boin", "crm", "3+3", "3+3-deescalate"]))
    design: Design
    if kind == "boin":
        design = BOIN(
            k,
            target,
            extrasafe=draw(st.booleans()),
            n_earlystop=draw(st.sampled_from([6, 9, 12, 100])),
        )
        size = draw(st.integers(1, 3))
    elif kind == "crm":
        model = draw(st.sampled_from(["empiric", "logistic"]))
        skeleton = getprior(draw(st.sampled_from([0.04, 0.06])), target, draw(st.integers(1, k)), k, model)
        design = CRM(skeleton, target, model=model, restrict=draw(st.booleans()), start_dose=draw(st.integers(1, k)))
        size = draw(st.integers(1, 3))
    else:
        design = ThreePlusThree(k, allow_deescalate=kind == "3+3-deescalate")
        size = 3
    modifier = draw(st.sampled_from(["none", "none", "stop_at_n", "dont_skip"]))
    if modifier == "stop_at_n":
        design = StopAtN(design, draw(st.integers(3, 15)))
    elif modifier == "dont_skip":
        design = DontSkipDoses(design)
    return design, size


@st.composite
def rates(draw: st.DrawFn, k: int) -> tuple[float, ...]:
    values = draw(st.lists(st.floats(0.0, 0.8), min_size=k, max_size=k))
    return tuple(sorted(round(v, 3) for v in values))


@SETTINGS
@given(data=st.data(), chosen=designs(), cohorts=st.integers(1, 8), seed=st.integers(0, 2**32))
def test_vectorised_trials_replay_identically_through_the_live_fit(
    data: st.DataObject, chosen: tuple[Design, int], cohorts: int, seed: int
) -> None:
    design, size = chosen
    p_true = data.draw(rates(design.num_doses))
    scenario = DoseFindingScenario(p_true, size, cohorts)
    u = tolerances(chunk_seeds(seed, 1)[0], 25, scenario.max_patients)
    records = run_trials(rule_for(design), scenario, u)
    for t in range(len(u)):
        trial = replay_trial(design, scenario, u[t])
        doses = [c.dose - 1 for c in trial.cohorts]
        assert list(records.cohort_dose[t, : len(doses)]) == doses
        assert (records.cohort_dose[t, len(doses) :] == -1).all()
        n, y = trial.counts(design.num_doses)
        assert list(records.n[t]) == n and list(records.dlt[t]) == y
        assert bool(records.stopped_early[t]) == trial.stopped_early
        assert records.selected[t] == (-1 if trial.selected is None else trial.selected - 1)


@settings(max_examples=12, deadline=None, derandomize=True)
@given(data=st.data(), chosen=designs(), cohorts=st.integers(1, 5), seed=st.integers(0, 2**32))
def test_monte_carlo_frequencies_are_within_binomial_error_of_exact_probabilities(
    data: st.DataObject, chosen: tuple[Design, int], cohorts: int, seed: int
) -> None:
    design, size = chosen
    p_true = data.draw(rates(design.num_doses))
    scenario = DoseFindingScenario(p_true, size, cohorts)
    trials = 4000
    exact = exact_operating_characteristics(design, scenario)
    mc = simulate_operating_characteristics(design, scenario, trials=trials, seed=seed, executor=SerialExecutor())
    for estimate, p in zip((*mc.p_select, mc.p_no_mtd, mc.p_stop_early),
                           (*exact.p_select, exact.p_no_mtd, exact.p_stop_early), strict=True):
        assert abs(estimate - p) <= 4.5 * math.sqrt(p * (1 - p) / trials) + 1e-9
    sizes = np.asarray(exact.mean_n)
    assert np.all(np.abs(np.asarray(mc.mean_n) - sizes) <= 4.5 * np.asarray(mc.standard_errors["mean_n"]) + 1e-9)  # type: ignore[index]
