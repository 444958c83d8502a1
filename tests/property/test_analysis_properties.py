"""Invariants of the statistics package, checked with hypothesis."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mexards.analysis.binomial import PROPORTION_METHODS, clopper_pearson, proportion_interval, wilson
from mexards.analysis.comparison import mann_whitney
from mexards.analysis.contingency import fisher_exact, risk_difference
from mexards.analysis.isotonic import isotonic_regression
from mexards.analysis.logrank import log_rank_test
from mexards.analysis.power import power_mean_difference, power_two_proportions
from mexards.analysis.survival import kaplan_meier

COUNTS = st.integers(min_value=1, max_value=300).flatmap(
    lambda n: st.tuples(st.integers(min_value=0, max_value=n), st.just(n))
)
CONFIDENCE = st.sampled_from([0.8, 0.9, 0.95, 0.99])


@settings(max_examples=150, deadline=None)
@given(COUNTS, CONFIDENCE, st.sampled_from(PROPORTION_METHODS))
def test_every_proportion_interval_contains_the_estimate_and_lies_in_zero_one(
    counts: tuple[int, int], confidence: float, method: str
) -> None:
    events, n = counts
    result = proportion_interval(events, n, confidence=confidence, method=method)  # type: ignore[arg-type]
    assert 0.0 <= result.lower <= result.estimate <= result.upper <= 1.0


@settings(max_examples=150, deadline=None)
@given(COUNTS, CONFIDENCE)
def test_the_clopper_pearson_interval_contains_the_wilson_midpoint(counts: tuple[int, int], confidence: float) -> None:
    events, n = counts
    score = wilson(events, n, confidence=confidence)
    exact = clopper_pearson(events, n, confidence=confidence)
    midpoint = (score.lower + score.upper) / 2
    assert exact.lower - 1e-12 <= midpoint <= exact.upper + 1e-12


VALUES = st.lists(st.floats(min_value=-100, max_value=100, allow_nan=False), min_size=1, max_size=12)


@settings(max_examples=200, deadline=None)
@given(
    VALUES.flatmap(
        lambda v: st.tuples(
            st.just(v), st.lists(st.floats(min_value=0.1, max_value=50), min_size=len(v), max_size=len(v))
        )
    ),
    st.booleans(),
)
def test_isotonic_fit_is_monotone_and_preserves_the_weighted_mean(
    data: tuple[list[float], list[float]], increasing: bool
) -> None:
    values, weights = data
    fit = isotonic_regression(values, weights, increasing=increasing)
    fitted = [f for f in fit.fitted if f is not None]
    steps = np.diff(fitted) if increasing else -np.diff(fitted)
    assert np.all(steps >= -1e-9)
    total = sum(weights)
    fitted_mean = sum(w * f for w, f in zip(weights, fitted, strict=True)) / total
    assert fitted_mean == pytest.approx(sum(w * v for w, v in zip(weights, values, strict=True)) / total, abs=1e-7)
    # Fitting the fit changes nothing.
    again = isotonic_regression(fitted, weights, increasing=increasing)
    assert again.fitted == pytest.approx(fit.fitted, abs=1e-9)


SURVIVAL = st.lists(st.tuples(st.integers(min_value=0, max_value=60), st.booleans()), min_size=1, max_size=40)


@settings(max_examples=150, deadline=None)
@given(SURVIVAL, st.sampled_from(["log-log", "log", "plain"]))
def test_kaplan_meier_is_non_increasing_in_zero_one_and_inside_its_interval(
    data: list[tuple[int, bool]], confidence_type: str
) -> None:
    curve = kaplan_meier([t for t, _ in data], [e for _, e in data], confidence_type=confidence_type)  # type: ignore[arg-type]
    survival = [step.survival for step in curve.steps]
    assert all(0.0 <= s <= 1.0 for s in survival)
    assert all(b <= a + 1e-12 for a, b in itertools.pairwise(survival))
    for step in curve.steps:
        assert step.lower - 1e-12 <= step.survival <= step.upper + 1e-12
    assert sum(step.n_events + step.n_censored for step in curve.steps) == len(data)


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(min_value=1, max_value=30), st.booleans(), st.integers(min_value=0, max_value=2)),
        min_size=4,
        max_size=40,
    ),
    st.permutations(["alpha", "beta", "gamma"]),
)
def test_log_rank_statistic_does_not_depend_on_the_group_labels(
    data: list[tuple[int, bool, int]], names: list[str]
) -> None:
    if len({g for _, _, g in data}) < 2:
        return
    times = [t for t, _, _ in data]
    events = [e for _, e, _ in data]
    original = log_rank_test(times, events, [["a", "b", "c"][g] for _, _, g in data])
    relabelled = log_rank_test(times, events, [names[g] for _, _, g in data])
    assert math.isclose(original.statistic, relabelled.statistic, rel_tol=1e-9, abs_tol=1e-9)
    assert original.df == relabelled.df
    assert original.statistic >= 0.0 and 0.0 <= original.p_value <= 1.0


@settings(max_examples=100, deadline=None)
@given(
    st.floats(min_value=0.0, max_value=2.0),
    st.floats(min_value=0.0, max_value=2.0),
    st.integers(min_value=2, max_value=300),
    st.integers(min_value=2, max_value=300),
    st.sampled_from(["t", "normal"]),
)
def test_power_grows_with_effect_size_and_with_sample_size(
    effect_a: float, effect_b: float, n_a: int, n_b: int, method: str
) -> None:
    small, large = sorted((effect_a, effect_b))
    fewer, more = sorted((n_a, n_b))
    assert power_mean_difference(small, 1.0, fewer, method=method).power <= (  # type: ignore[arg-type]
        power_mean_difference(large, 1.0, fewer, method=method).power + 1e-12  # type: ignore[arg-type]
    )
    assert power_mean_difference(large, 1.0, fewer, method=method).power <= (  # type: ignore[arg-type]
        power_mean_difference(large, 1.0, more, method=method).power + 1e-12  # type: ignore[arg-type]
    )


@settings(max_examples=100, deadline=None)
@given(st.floats(min_value=0.0, max_value=0.5), st.floats(min_value=0.0, max_value=0.5), st.integers(5, 400))
def test_two_proportion_power_grows_as_the_treatment_moves_away_from_control(
    shift_a: float, shift_b: float, n: int
) -> None:
    small, large = sorted((shift_a, shift_b))
    assert power_two_proportions(0.5 - small, 0.5, n).power <= power_two_proportions(0.5 - large, 0.5, n).power + 1e-12


@settings(max_examples=150, deadline=None)
@given(COUNTS, COUNTS)
def test_risk_difference_interval_contains_the_estimate_and_lies_in_minus_one_one(
    first: tuple[int, int], second: tuple[int, int]
) -> None:
    result = risk_difference(first[0], first[1], second[0], second[1])
    assert -1.0 <= result.lower <= result.estimate <= result.upper <= 1.0


@settings(max_examples=150, deadline=None)
@given(*[st.integers(min_value=0, max_value=15)] * 4)
def test_fisher_p_values_are_probabilities_and_two_sided_is_not_below_the_smaller_tail(
    a: int, b: int, c: int, d: int
) -> None:
    if a + b + c + d == 0:
        return
    result = fisher_exact(a, b, c, d)
    for p in (result.p_value, result.p_less, result.p_greater):
        assert 0.0 <= p <= 1.0
    assert result.p_value >= min(result.p_less, result.p_greater) - 1e-12
    assert result.p_less + result.p_greater >= 1.0 - 1e-12


SAMPLE = st.lists(st.integers(min_value=0, max_value=28), min_size=1, max_size=25)


@settings(max_examples=100, deadline=None)
@given(SAMPLE, SAMPLE)
def test_mann_whitney_statistics_of_the_two_orders_add_up_and_the_shift_flips_sign(x: list[int], y: list[int]) -> None:
    forward = mann_whitney(x, y)
    backward = mann_whitney(y, x)
    assert forward.u_statistic + backward.u_statistic == len(x) * len(y)
    assert math.isclose(forward.p_value, backward.p_value, rel_tol=1e-9)
    assert forward.estimate == -backward.estimate
    assert forward.lower <= forward.estimate <= forward.upper
