"""Unit tests of the log-rank test."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from mexards.analysis.logrank import log_rank_test
from mexards.domain.errors import ValidationError


def test_two_group_statistic_matches_a_hand_computation() -> None:
    # Group a: deaths at 1 and 3; group b: death at 2, censored at 4.
    result = log_rank_test([1, 3, 2, 4], [1, 1, 1, 0], ["a", "a", "b", "b"])
    # t=1: n=(2,2), d=1 -> E_a=0.5, V=0.25; t=2: n=(1,2), d=1 -> E_a=1/3, V=2/9; t=3: n=(1,1), d=1 -> E_a=1/2, V=1/4.
    expected_a = 0.5 + 1 / 3 + 0.5
    variance = 0.25 + 2 / 9 + 0.25
    assert result.observed == (2.0, 1.0)
    assert result.expected[0] == pytest.approx(expected_a)
    assert result.statistic == pytest.approx((2 - expected_a) ** 2 / variance)
    assert result.df == 1
    assert result.p_value == pytest.approx(stats.chi2.sf(result.statistic, 1))


def test_identical_groups_give_a_statistic_of_zero() -> None:
    result = log_rank_test([1, 2, 3, 1, 2, 3], [1, 1, 0, 1, 1, 0], ["x"] * 3 + ["y"] * 3)
    assert result.statistic == pytest.approx(0.0, abs=1e-12)
    assert result.p_value == pytest.approx(1.0)


def test_three_groups_have_two_degrees_of_freedom_and_observed_equals_expected_in_total() -> None:
    rng = np.random.default_rng(7)
    times = rng.exponential(10, 30).round(1).tolist()
    events = rng.integers(0, 2, 30).tolist()
    groups = ["a", "b", "c"] * 10
    result = log_rank_test(times, events, groups)
    assert result.df == 2
    assert sum(result.observed) == pytest.approx(sum(result.expected))
    assert result.n_per_group == (10, 10, 10)


def test_stratification_with_a_single_stratum_changes_nothing() -> None:
    times = [1, 3, 2, 4, 5, 6]
    events = [1, 1, 1, 0, 1, 1]
    groups = ["a", "a", "b", "b", "a", "b"]
    plain = log_rank_test(times, events, groups)
    stratified = log_rank_test(times, events, groups, strata=["s"] * 6)
    assert stratified.statistic == pytest.approx(plain.statistic)
    assert stratified.stratified and "stratified" in stratified.method


def test_stratified_test_sums_observed_and_expected_over_strata() -> None:
    times = [1, 2, 3, 4, 1, 2, 3, 4]
    events = [1] * 8
    groups = ["a", "b", "a", "b", "b", "a", "b", "a"]
    strata = ["s1"] * 4 + ["s2"] * 4
    result = log_rank_test(times, events, groups, strata=strata)
    first = log_rank_test(times[:4], events[:4], groups[:4])
    second = log_rank_test(times[4:], events[4:], groups[4:])
    assert result.expected == pytest.approx(tuple(a + b for a, b in zip(first.expected, second.expected, strict=True)))


def test_missing_times_are_counted_and_missing_groups_are_errors() -> None:
    result = log_rank_test([1, 2, None, 3], [1, 1, 1, 0], ["a", "b", "a", "b"])
    assert (result.n, result.n_missing) == (3, 1)
    with pytest.raises(ValidationError, match=r"groups\[1\]"):
        log_rank_test([1, 2], [1, 1], ["a", None])  # type: ignore[list-item]


def test_one_group_is_not_a_comparison() -> None:
    with pytest.raises(ValidationError, match="two groups"):
        log_rank_test([1, 2], [1, 1], ["a", "a"])


def test_no_events_gives_no_evidence_of_a_difference() -> None:
    result = log_rank_test([1, 2, 3], [0, 0, 0], ["a", "b", "a"])
    assert result.statistic == 0.0 and result.p_value == 1.0


def test_three_group_statistic_equals_the_reduced_matrix_form_dropping_the_last_group() -> None:
    times = [3, 5, 7, 9, 12, 2, 4, 4, 8, 10, 1, 2, 6, 6, 11]
    events = [1, 0, 1, 1, 0, 1, 1, 1, 0, 1, 1, 1, 1, 0, 1]
    groups = ["a"] * 5 + ["b"] * 5 + ["c"] * 5
    result = log_rank_test(times, events, groups)

    observed = np.zeros(3)
    expected = np.zeros(3)
    variance = np.zeros((3, 3))
    for t in sorted({t for t, e in zip(times, events, strict=True) if e}):
        at_risk = np.array([sum(1 for u, g in zip(times, groups, strict=True) if g == k and u >= t) for k in "abc"])
        died = np.array(
            [sum(1 for u, e, g in zip(times, events, groups, strict=True) if g == k and u == t and e) for k in "abc"]
        )
        n, d = at_risk.sum(), died.sum()
        observed += died
        expected += d * at_risk / n
        for g in range(3):
            for h in range(3):
                share = at_risk[g] / n * ((g == h) - at_risk[h] / n)
                variance[g, h] += d * (n - d) / (n - 1) * share if n > 1 else 0.0
    reduced = observed[:2] - expected[:2]
    statistic = float(reduced @ np.linalg.solve(variance[:2, :2], reduced))
    assert result.statistic == pytest.approx(statistic, rel=1e-10)
    assert result.expected == pytest.approx(tuple(expected))
    assert result.p_value == pytest.approx(stats.chi2.sf(statistic, 2))
