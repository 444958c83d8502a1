"""Vectorised Monte Carlo: reproducible by seed on every executor, common random numbers, standard errors."""

from __future__ import annotations

import math

import numpy as np
import pytest

from mexards.domain.errors import ValidationError
from mexards.dosefinding import BOIN, CRM, DontSkipDoses, StopAtN, ThreePlusThree, getprior
from mexards.dosefinding.design import Design
from mexards.simulation import (
    DoseFindingScenario,
    LocalPoolExecutor,
    SerialExecutor,
    compare_designs,
    patient,
    replay_operating_characteristics,
    simulate_operating_characteristics,
)
from mexards.simulation.montecarlo import run_trials
from mexards.simulation.patient import chunk_seeds, tolerances
from mexards.simulation.rule import rule_for

B3 = DoseFindingScenario((0.10, 0.25, 0.40), 3, 6)
SERIAL = SerialExecutor()


def test_the_same_seed_gives_the_same_result_on_every_executor(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(patient, "CHUNK_TRIALS", 250)  # 1,100 trials = 5 chunks
    design = BOIN(3, 0.25)
    serial = simulate_operating_characteristics(design, B3, trials=1100, seed=42, executor=SERIAL)
    pooled = simulate_operating_characteristics(design, B3, trials=1100, seed=42, executor=LocalPoolExecutor(2))
    assert serial == pooled
    assert serial.trials == 1100 and serial.seed == 42


def test_different_seeds_give_different_virtual_trials() -> None:
    design = BOIN(3, 0.25)
    a = simulate_operating_characteristics(design, B3, trials=2000, seed=1, executor=SERIAL)
    b = simulate_operating_characteristics(design, B3, trials=2000, seed=2, executor=SERIAL)
    assert a.mean_n != b.mean_n


@pytest.mark.parametrize(
    "design",
    [
        BOIN(3, 0.25),
        BOIN(3, 0.25, extrasafe=True, n_earlystop=9),
        CRM(getprior(0.05, 0.25, 2, 3), 0.25),
        ThreePlusThree(3, allow_deescalate=True),
        StopAtN(DontSkipDoses(BOIN(3, 0.25)), 12),
    ],
)
def test_the_vectorised_simulator_equals_the_per_trial_loop_on_the_same_patients(design: Design) -> None:
    vectorised = simulate_operating_characteristics(design, B3, trials=400, seed=9, executor=SERIAL)
    looped = replay_operating_characteristics(design, B3, trials=400, seed=9)
    assert vectorised == looped


def test_compared_designs_see_the_same_virtual_patients() -> None:
    boin = BOIN(3, 0.25)
    crm = CRM(getprior(0.05, 0.25, 2, 3), 0.25)
    together = compare_designs([(boin, B3), (crm, B3)], trials=3000, seed=5, executor=SERIAL)
    alone = [simulate_operating_characteristics(d, B3, trials=3000, seed=5, executor=SERIAL) for d in (boin, crm)]
    assert together == alone


def test_common_random_numbers_couple_the_patients_of_two_designs() -> None:
    # patient i of trial t has a DLT at dose d iff u[t, i] < p_true[d]: on the same tolerances, a design that
    # only ever treats the lowest dose sees a subset of the DLTs another design sees at dose 1 for each patient
    u = tolerances(chunk_seeds(3, 1)[0], 500, 18)
    boin = run_trials(rule_for(BOIN(3, 0.25)), B3, u)
    first_patients_dlt = (u[:, :3] < 0.10).sum(axis=1)
    assert np.array_equal(boin.dlt[:, 0] >= first_patients_dlt, np.ones(500, dtype=bool))


def test_records_keep_every_cohort_dose_and_the_planned_sample_size() -> None:
    u = tolerances(chunk_seeds(8, 1)[0], 300, 18)
    records = run_trials(rule_for(CRM(getprior(0.05, 0.25, 2, 3), 0.25)), B3, u)
    assert (records.cohort_dose >= 0).all()
    assert (records.n.sum(axis=1) == 18).all()
    assert not records.stopped_early.any()
    assert (records.cohorts_treated == 6).all()


def test_monte_carlo_results_carry_standard_errors() -> None:
    oc = simulate_operating_characteristics(BOIN(3, 0.25), B3, trials=5000, seed=1, executor=SERIAL)
    errors = oc.standard_errors
    assert errors is not None
    for p, se in zip(oc.p_select, errors["p_select"], strict=True):
        assert se == pytest.approx(math.sqrt(p * (1 - p) / 5000))
    assert all(0 < se < 0.2 for se in errors["mean_n"])
    assert errors["p_no_mtd"] == pytest.approx(math.sqrt(oc.p_no_mtd * (1 - oc.p_no_mtd) / 5000))
    assert set(errors) >= {"mean_dlt", "mean_total_n", "p_stop_early", "mean_n_above_mtd"}


def test_the_result_is_json_ready() -> None:
    data = simulate_operating_characteristics(ThreePlusThree(3), B3, trials=100, seed=3, executor=SERIAL).to_dict()
    assert isinstance(data["p_select"], list) and len(data["p_select"]) == 3
    assert {"p_no_mtd", "mean_n", "mean_dlt", "p_stop_early", "trials", "seed"} <= set(data)


@pytest.mark.parametrize(("trials", "seed", "field"), [(0, 1, "trials"), (10, -1, "seed")])
def test_bad_trials_or_seed_are_rejected(trials: int, seed: int, field: str) -> None:
    with pytest.raises(ValidationError) as info:
        simulate_operating_characteristics(BOIN(3, 0.25), B3, trials=trials, seed=seed, executor=SERIAL)
    assert info.value.field == field


def test_a_scenario_with_the_wrong_number_of_doses_is_rejected() -> None:
    with pytest.raises(ValidationError) as info:
        simulate_operating_characteristics(BOIN(4, 0.25), B3, trials=10, seed=1, executor=SERIAL)
    assert info.value.field == "true_tox"


def test_comparing_no_design_is_rejected() -> None:
    with pytest.raises(ValidationError) as info:
        compare_designs([], trials=10, seed=1, executor=SERIAL)
    assert info.value.field == "designs"


def test_an_error_raised_by_a_design_in_a_worker_process_reaches_the_caller(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(patient, "CHUNK_TRIALS", 100)
    too_big = DoseFindingScenario((0.1, 0.2, 0.3), 4, 6)  # cohorts of 4: the 3+3 refuses 8 patients at a dose
    pool = LocalPoolExecutor(2)
    with pytest.raises(ValidationError) as info:
        simulate_operating_characteristics(ThreePlusThree(3), too_big, trials=300, seed=1, executor=pool)
    assert info.value.field == "outcomes"
    assert "at most 6 patients" in info.value.rule
