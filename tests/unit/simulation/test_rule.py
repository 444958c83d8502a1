"""The fast batch rules (BOIN tables, CRM grid) decide exactly as the live ``fit`` in every reachable state.

Each exact enumeration below is driven by a rule that asks both the fast rule and the live-``fit`` rule about
every state the trial can reach, and fails on the first disagreement (next dose, stop, or final MTD).
"""

from __future__ import annotations

import numpy as np
import pytest

from mexards.dosefinding import BOIN, CRM, DontSkipDoses, StopAtN, ThreePlusThree, getprior
from mexards.dosefinding.design import Design
from mexards.simulation.batch import BoolArray, IntArray, TrialBatch
from mexards.simulation.boin_rule import BOINRule
from mexards.simulation.crm_rule import CRMRule
from mexards.simulation.exact import enumerate_sums
from mexards.simulation.live_rule import LiveFitRule
from mexards.simulation.rule import DecisionRule, rule_for
from mexards.simulation.scenario import DoseFindingScenario


class CheckingRule:
    """Decides like ``live`` and asserts that ``fast`` agrees on every state; counts the states checked."""

    needs_histories = True

    def __init__(self, fast: DecisionRule, live: LiveFitRule) -> None:
        self.fast = fast
        self.live = live
        self.name = live.name
        self.num_doses = live.num_doses
        self.states = 0

    def first_dose(self) -> int:
        assert self.fast.first_dose() == self.live.first_dose()
        return self.live.first_dose()

    def decide(self, batch: TrialBatch, rows: IntArray) -> tuple[IntArray, BoolArray]:
        live_next, live_stop = self.live.decide(batch, rows)
        fast_next, fast_stop = self.fast.decide(batch, rows)
        for i, row in enumerate(rows):
            history = " ".join(str(c) for c in batch.history(int(row)))
            assert fast_stop[i] == live_stop[i], f"stop differs after {history!r}"
            if not live_stop[i]:
                assert fast_next[i] == live_next[i], f"next dose differs after {history!r}"
        self.states += len(rows)
        return live_next, live_stop

    def select(self, batch: TrialBatch, rows: IntArray) -> IntArray:
        live = self.live.select(batch, rows)
        fast = self.fast.select(batch, rows)
        assert np.array_equal(live, fast)
        return live


def _check_every_state(fast: DecisionRule, design: Design, scenario: DoseFindingScenario) -> int:
    checker = CheckingRule(fast, LiveFitRule(design))
    enumerate_sums(checker, scenario)
    return checker.states


@pytest.mark.parametrize(
    ("design", "cohort_size", "cohorts", "start"),
    [
        (BOIN(3, 0.25), 3, 8, None),
        (BOIN(4, 0.30), 3, 7, 2),
        (BOIN(5, 0.30), 1, 12, None),
        (BOIN(3, 0.20), 2, 8, None),
        (BOIN(3, 0.30, extrasafe=True), 3, 7, None),
        (BOIN(3, 0.30, extrasafe=True, offset=0.1), 1, 12, None),
        (BOIN(3, 0.25, n_earlystop=9), 3, 8, None),
        (BOIN(4, 0.33, n_earlystop=6, p_saf=0.15, p_tox=0.5, cutoff_eli=0.9), 2, 9, None),
    ],
)
def test_boin_tables_decide_as_the_live_boin_in_every_reachable_state(
    design: BOIN, cohort_size: int, cohorts: int, start: int | None
) -> None:
    scenario = DoseFindingScenario((0.3,) * design.num_doses, cohort_size, cohorts, start_dose=start)
    assert _check_every_state(BOINRule(design), design, scenario) > 50


@pytest.mark.parametrize(
    ("design", "cohort_size", "cohorts"),
    [
        (CRM(getprior(0.05, 0.25, 2, 3), 0.25), 3, 6),
        (CRM(getprior(0.05, 0.25, 2, 3, "logistic"), 0.25, model="logistic"), 3, 6),
        (CRM(getprior(0.05, 0.30, 3, 5), 0.30, restrict=False), 2, 6),
        (CRM(getprior(0.08, 0.25, 2, 4), 0.25, start_dose=2, prior_sd=0.8), 1, 10),
    ],
)
def test_the_crm_grid_decides_as_the_live_crm_in_every_reachable_state(
    design: CRM, cohort_size: int, cohorts: int
) -> None:
    scenario = DoseFindingScenario((0.3,) * design.num_doses, cohort_size, cohorts)
    assert _check_every_state(CRMRule(design), design, scenario) > 50


def test_plain_boin_and_crm_get_fast_rules_and_everything_else_the_live_fit() -> None:
    boin = BOIN(3, 0.25)
    crm = CRM(getprior(0.05, 0.25, 2, 3), 0.25)
    assert isinstance(rule_for(boin), BOINRule)
    assert isinstance(rule_for(crm), CRMRule)
    assert isinstance(rule_for(boin, live=True), LiveFitRule)
    for wrapped in (ThreePlusThree(3), StopAtN(boin, 12), DontSkipDoses(crm)):
        assert isinstance(rule_for(wrapped), LiveFitRule)


def test_the_live_rule_asks_fit_once_per_distinct_state() -> None:
    calls = 0
    design = ThreePlusThree(3)

    class Counting:
        num_doses = 3
        name = "counting 3+3"

        def fit(self, outcomes):  # type: ignore[no-untyped-def]
            nonlocal calls
            calls += 1
            return design.fit(outcomes)

    rule = LiveFitRule(Counting())
    scenario = DoseFindingScenario((0.3, 0.3, 0.3), 3, 6)
    enumerate_sums(rule, scenario)
    first = calls
    enumerate_sums(rule, scenario)
    assert calls == first  # the second enumeration is answered from the memo
