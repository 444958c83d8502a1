"""Exact enumeration: probabilities add up, deterministic scenarios, fast and live rules agree."""

from __future__ import annotations

import math

import pytest

from mexards.dosefinding import BOIN, CRM, DontSkipDoses, StopAtN, StopWhenTooToxic, ThreePlusThree, getprior
from mexards.dosefinding.design import Design
from mexards.simulation import DoseFindingScenario, exact_operating_characteristics

B3 = DoseFindingScenario((0.10, 0.25, 0.40), 3, 6)


@pytest.mark.parametrize(
    "design",
    [
        BOIN(3, 0.25),
        BOIN(3, 0.25, extrasafe=True),
        CRM(getprior(0.05, 0.25, 2, 3), 0.25),
        ThreePlusThree(3),
        ThreePlusThree(3, allow_deescalate=True),
        StopAtN(BOIN(3, 0.25), 12),
    ],
)
def test_selection_probabilities_and_no_mtd_add_up_to_one(design: Design) -> None:
    oc = exact_operating_characteristics(design, B3)
    assert math.isclose(sum(oc.p_select) + oc.p_no_mtd, 1.0, abs_tol=1e-12)
    assert oc.trials is None and oc.seed is None and oc.standard_errors is None
    assert math.isclose(sum(oc.mean_n), oc.mean_total_n, rel_tol=1e-12)


def test_mean_dlts_are_the_true_rates_times_mean_patients_per_dose() -> None:
    # every patient at dose d has a DLT with probability p_d, whatever the design did before
    oc = exact_operating_characteristics(BOIN(3, 0.25), B3)
    for p, n, y in zip(B3.true_tox, oc.mean_n, oc.mean_dlt, strict=True):
        assert math.isclose(y, p * n, rel_tol=1e-12)


def test_a_design_without_stopping_treats_the_planned_sample_size() -> None:
    oc = exact_operating_characteristics(CRM(getprior(0.05, 0.25, 2, 3), 0.25), B3)
    assert math.isclose(oc.mean_total_n, 18.0, rel_tol=1e-12)
    assert oc.p_stop_early == 0.0 and oc.p_no_mtd == 0.0


def test_with_no_toxicity_boin_climbs_to_the_top_dose_and_selects_it() -> None:
    scenario = DoseFindingScenario((0.0, 0.0, 0.0), 3, 6)
    oc = exact_operating_characteristics(BOIN(3, 0.25), scenario)
    assert oc.p_select == (0.0, 0.0, 1.0)
    assert oc.mean_n == (3.0, 3.0, 12.0)
    assert oc.mean_dlt == (0.0, 0.0, 0.0)


def test_with_certain_toxicity_boin_stops_after_the_first_cohort_without_an_mtd() -> None:
    scenario = DoseFindingScenario((1.0, 1.0, 1.0), 3, 6, target=0.25)
    oc = exact_operating_characteristics(BOIN(3, 0.25), scenario)
    assert oc.p_no_mtd == 1.0 and oc.p_stop_early == 1.0
    assert oc.mean_n == (3.0, 0.0, 0.0)
    assert oc.p_treated_above_mtd == 1.0 and oc.mean_n_above_mtd == 3.0


def test_a_scenario_start_dose_overrides_the_design_start() -> None:
    scenario = DoseFindingScenario((0.0, 0.0, 0.0), 3, 1, start_dose=2)
    oc = exact_operating_characteristics(BOIN(3, 0.25), scenario)
    assert oc.mean_n == pytest.approx((0.0, 3.0, 0.0), abs=1e-12)


def test_the_crm_starts_at_its_own_start_dose() -> None:
    scenario = DoseFindingScenario((0.1, 0.2, 0.3), 3, 1)
    oc = exact_operating_characteristics(CRM(getprior(0.05, 0.25, 2, 3), 0.25, start_dose=3), scenario)
    assert oc.mean_n == pytest.approx((0.0, 0.0, 3.0), abs=1e-12)


@pytest.mark.parametrize(
    "design",
    [
        BOIN(3, 0.25),
        BOIN(4, 0.30, extrasafe=True, n_earlystop=9),
        CRM(getprior(0.05, 0.25, 2, 3, "logistic"), 0.25, model="logistic"),
        CRM(getprior(0.05, 0.25, 2, 3), 0.25, restrict=False),
    ],
)
def test_fast_rules_give_the_same_exact_numbers_as_the_live_fit(design: Design) -> None:
    scenario = DoseFindingScenario((0.05, 0.2, 0.35, 0.5)[: design.num_doses], 3, 6)
    fast = exact_operating_characteristics(design, scenario)
    live = exact_operating_characteristics(design, scenario, live=True)
    for a, b in zip(
        (*fast.p_select, fast.p_no_mtd, *fast.mean_n, *fast.mean_dlt, fast.p_stop_early),
        (*live.p_select, live.p_no_mtd, *live.mean_n, *live.mean_dlt, live.p_stop_early),
        strict=True,
    ):
        assert math.isclose(a, b, abs_tol=1e-12)


def test_modifiers_are_enumerated_through_their_live_fit() -> None:
    capped = exact_operating_characteristics(StopAtN(BOIN(3, 0.25), 9), B3)
    assert capped.mean_total_n <= 9.0 + 1e-12
    assert capped.p_stop_early > 0.99
    no_skip = exact_operating_characteristics(DontSkipDoses(CRM(getprior(0.05, 0.25, 2, 3), 0.25)), B3)
    assert math.isclose(sum(no_skip.p_select), 1.0, abs_tol=1e-12)
    toxic = DoseFindingScenario((0.6, 0.7, 0.8), 3, 6, target=0.25)
    guarded = StopWhenTooToxic(CRM(getprior(0.05, 0.25, 2, 3), 0.25), 1, 0.25, 0.9)
    assert exact_operating_characteristics(guarded, toxic).p_no_mtd > 0.5


def test_overdosing_summaries_follow_the_true_mtd() -> None:
    oc = exact_operating_characteristics(BOIN(3, 0.25), B3)
    assert oc.true_mtd == 2
    assert oc.p_select_above_mtd == pytest.approx(oc.p_select[2], abs=1e-12)
    assert oc.mean_n_above_mtd == pytest.approx(oc.mean_n[2], abs=1e-12)
    assert 0.0 < oc.p_treated_above_mtd < 1.0  # type: ignore[operator]


def test_without_any_target_the_overdosing_summaries_are_absent() -> None:
    oc = exact_operating_characteristics(ThreePlusThree(3), B3)
    assert oc.target is None and oc.true_mtd is None
    assert oc.p_select_above_mtd is None and oc.p_treated_above_mtd is None and oc.mean_n_above_mtd is None
