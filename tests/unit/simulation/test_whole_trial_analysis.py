"""The vectorised Phase 2 analysis agrees with the reference implementations of mexards.analysis."""

from __future__ import annotations

import numpy as np
import pytest

from mexards.analysis.comparison import welch_t_test
from mexards.analysis.regression import ancova
from mexards.simulation.trial_analysis import ArmSums, ancova_contrasts, rejections, t_test_contrasts

ARMS = ("quarter", "mtd", "control")


def _trial(
    rng: np.random.Generator, sizes: tuple[int, ...], shifts: tuple[float, ...]
) -> list[tuple[np.ndarray, ...]]:
    out = []
    for n, shift in zip(sizes, shifts, strict=True):
        x = rng.normal(150, 40, n)
        y = 60 - 0.3 * (x - 150) + shift + rng.normal(0, 70, n)
        observed = rng.random(n) > 0.15
        out.append((x, y, observed))
    return out


def _sums(trial: list[tuple[np.ndarray, ...]]) -> list[ArmSums]:
    return [ArmSums.of(x[None, :], y[None, :], obs[None, :]) for x, y, obs in trial]


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_vectorised_ancova_equals_the_reference_ancova_on_a_single_trial(seed: int) -> None:
    trial = _trial(np.random.default_rng(seed), (20, 25, 22), (15.0, 40.0, 0.0))
    outcome: list[float | None] = []
    baseline: list[float] = []
    arm: list[str] = []
    for name, (x, y, obs) in zip(ARMS, trial, strict=True):
        outcome += [float(v) if o else None for v, o in zip(y, obs, strict=True)]
        baseline += [float(v) for v in x]
        arm += [name] * len(x)
    reference = ancova(outcome, baseline, arm, control="control")
    found = ancova_contrasts(_sums(trial), control=2)
    by_name = {c.name.split(" - ")[0]: c for c in reference.contrasts}
    for name, contrast in zip(ARMS[:2], found, strict=True):
        expected = by_name[name]
        assert contrast.estimate[0] == pytest.approx(expected.estimate, rel=1e-9, abs=1e-9)
        assert contrast.std_error[0] == pytest.approx(expected.std_error, rel=1e-9)
        assert contrast.df[0] == expected.df
        assert contrast.p_value[0] == pytest.approx(expected.p_value, rel=1e-7, abs=1e-12)


@pytest.mark.parametrize("seed", [11, 12, 13])
def test_vectorised_t_test_equals_the_pooled_student_t_test_on_a_single_trial(seed: int) -> None:
    trial = _trial(np.random.default_rng(seed), (15, 18, 16), (20.0, 35.0, 0.0))
    found = t_test_contrasts(_sums(trial), control=2)
    control_y = trial[2][1][trial[2][2]]
    for (_, y, obs), contrast in zip(trial[:2], found, strict=True):
        expected = welch_t_test(list(y[obs]), list(control_y), equal_variance=True)
        assert contrast.estimate[0] == pytest.approx(expected.estimate, rel=1e-10)
        assert contrast.std_error[0] == pytest.approx(expected.std_error, rel=1e-10)
        assert contrast.df[0] == expected.df
        assert contrast.p_value[0] == pytest.approx(expected.p_value, rel=1e-8)


def test_many_trials_are_analysed_at_once_each_as_if_alone() -> None:
    rng = np.random.default_rng(7)
    trials = [_trial(rng, (12, 12, 12), (10.0, 30.0, 0.0)) for _ in range(6)]
    stacked = [
        ArmSums.of(
            np.stack([t[a][0] for t in trials]),
            np.stack([t[a][1] for t in trials]),
            np.stack([t[a][2] for t in trials]),
        )
        for a in range(3)
    ]
    together = ancova_contrasts(stacked, control=2)
    for i, trial in enumerate(trials):
        alone = ancova_contrasts(_sums(trial), control=2)
        for both, single in zip(together, alone, strict=True):
            assert both.p_value[i] == pytest.approx(single.p_value[0], rel=1e-12)


def test_an_arm_without_two_complete_cases_never_rejects() -> None:
    x = np.array([[150.0, 160.0, 170.0]])
    y = np.array([[10.0, 20.0, 30.0]])
    empty = ArmSums.of(x, y, np.array([[True, False, False]]))
    full = ArmSums.of(x, y + 100.0, np.ones((1, 3), dtype=bool))
    control = ArmSums.of(x, y, np.ones((1, 3), dtype=bool))
    assert t_test_contrasts([empty, full, control], control=2)[0].p_value[0] == 1.0
    assert np.isnan(t_test_contrasts([empty, full, control], control=2)[0].estimate[0])


def test_the_fixed_sequence_tests_the_second_hypothesis_only_after_rejecting_the_first() -> None:
    quarter = np.array([0.01, 0.01, 0.20, 0.03])
    mtd = np.array([0.04, 0.06, 0.01, 0.049])
    rejected = rejections([quarter, mtd], order=[1, 0], alpha=0.05, method="fixed_sequence")
    assert rejected[1].tolist() == [True, False, True, True]
    assert rejected[0].tolist() == [True, False, False, True]


def test_bonferroni_tests_each_hypothesis_at_alpha_over_the_number_of_comparisons() -> None:
    quarter = np.array([0.02, 0.03, 0.2])
    mtd = np.array([0.03, 0.01, 0.024])
    rejected = rejections([quarter, mtd], order=[1, 0], alpha=0.05, method="bonferroni")
    assert rejected[0].tolist() == [True, False, False]
    assert rejected[1].tolist() == [False, True, True]
