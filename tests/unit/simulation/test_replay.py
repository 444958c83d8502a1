"""The per-trial loop: one virtual trial through the live ``fit``, cohort by cohort."""

from __future__ import annotations

import numpy as np

from mexards.dosefinding import BOIN, ThreePlusThree
from mexards.simulation import DoseFindingScenario, replay_trial


def test_a_trial_of_tolerant_patients_escalates_every_cohort_until_the_top() -> None:
    scenario = DoseFindingScenario((0.1, 0.25, 0.4), 3, 5)
    trial = replay_trial(BOIN(3, 0.25), scenario, np.full(15, 0.99))
    assert [c.dose for c in trial.cohorts] == [1, 2, 3, 3, 3]
    assert trial.selected == 3 and not trial.stopped_early
    assert len(trial.decisions) == 5


def test_a_patient_has_a_dlt_exactly_when_the_tolerance_is_below_the_true_rate() -> None:
    scenario = DoseFindingScenario((0.3, 0.5, 0.7), 3, 1)
    trial = replay_trial(ThreePlusThree(3), scenario, np.array([0.29, 0.30, 0.31]))
    assert trial.cohorts[0].tox == (True, False, False)


def test_the_trial_stops_when_the_design_says_so() -> None:
    # 3+3 V1: two DLTs in the first cohort at dose 1 -> stop with no MTD
    scenario = DoseFindingScenario((0.5, 0.6, 0.7), 3, 6)
    trial = replay_trial(ThreePlusThree(3), scenario, np.array([0.1, 0.2, 0.9] + [0.9] * 15))
    assert trial.stopped_early and trial.selected is None
    assert trial.counts(3) == ([3, 0, 0], [2, 0, 0])
