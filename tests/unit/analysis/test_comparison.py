"""Unit tests of Welch's t test and the Mann-Whitney / Hodges-Lehmann comparison."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
from scipy import stats

from mexards.analysis.comparison import mann_whitney, mann_whitney_null_cdf, welch_t_test
from mexards.domain.errors import ValidationError


def test_welch_statistic_and_df_match_a_hand_computation() -> None:
    # x: mean 3, variance 5/2; y: mean 4, variance 4. SE^2 = 1/2 + 4/3 = 11/6.
    result = welch_t_test([1, 2, 3, 4, 5], [2, 4, 6])
    se2 = Fraction(11, 6)
    df = se2**2 / (Fraction(1, 2) ** 2 / 4 + Fraction(4, 3) ** 2 / 2)
    assert result.estimate == pytest.approx(-1.0)
    assert result.std_error == pytest.approx(math.sqrt(se2))
    assert result.t == pytest.approx(-1 / math.sqrt(se2))
    assert result.df == pytest.approx(float(df))
    assert result.p_value == pytest.approx(2 * stats.t.sf(1 / math.sqrt(se2), float(df)))
    half = stats.t.ppf(0.975, float(df)) * math.sqrt(se2)
    assert (result.lower, result.upper) == pytest.approx((-1 - half, -1 + half))


def test_equal_variance_option_gives_student_pooled_t() -> None:
    result = welch_t_test([1, 2, 3, 4, 5], [2, 4, 6], equal_variance=True)
    pooled = (4 * 2.5 + 2 * 4) / 6
    assert result.df == 6
    assert result.std_error == pytest.approx(math.sqrt(pooled * (1 / 5 + 1 / 3)))
    assert "Student" in result.method


def test_welch_counts_missing_values_of_both_samples() -> None:
    result = welch_t_test([1, None, 3, 4], [2, 5, float("nan"), 7])
    assert (result.n_x, result.n_y, result.n_missing) == (3, 3, 2)


def test_welch_rejects_tiny_or_constant_samples() -> None:
    with pytest.raises(ValidationError, match="y"):
        welch_t_test([1, 2], [3, None])
    with pytest.raises(ValidationError, match="constant"):
        welch_t_test([1, 1], [2, 2])


def test_null_distribution_of_u_matches_enumeration() -> None:
    # For m = 2, n = 3 the 10 arrangements give U = 0,1,2,2,3,3,4,4,5,6.
    cdf = mann_whitney_null_cdf(2, 3)
    counts = [1, 1, 2, 2, 2, 1, 1]
    assert cdf.tolist() == pytest.approx(np.cumsum(counts) / 10)


def test_null_distribution_is_symmetric_and_sums_to_one() -> None:
    cdf = mann_whitney_null_cdf(7, 9)
    pmf = np.diff(np.concatenate([[0.0], cdf]))
    assert cdf[-1] == pytest.approx(1.0)
    assert pmf == pytest.approx(pmf[::-1])


def test_exact_p_value_agrees_with_scipy_without_ties() -> None:
    x = [3.1, 4.7, 5.2, 6.8, 7.7, 8.0]
    y = [1.2, 2.5, 3.3, 4.4, 5.9]
    result = mann_whitney(x, y)
    assert result.exact
    assert result.u_statistic == 25
    assert result.p_value == pytest.approx(stats.mannwhitneyu(x, y, method="exact").pvalue, rel=1e-12)


def test_asymptotic_p_value_with_ties_agrees_with_scipy() -> None:
    x = [0, 0, 3, 5, 5, 12, 20, 21, 24, 26]
    y = [0, 0, 0, 0, 2, 5, 8, 14, 19, 22, 23]
    result = mann_whitney(x, y)
    assert not result.exact
    assert result.p_value == pytest.approx(stats.mannwhitneyu(x, y, method="asymptotic").pvalue, rel=1e-12)


def test_hodges_lehmann_estimate_is_the_median_of_pairwise_differences() -> None:
    x = [5.0, 7.0, 9.0]
    y = [1.0, 4.0]
    # differences: 4, 1, 6, 3, 8, 5 -> median 4.5
    assert mann_whitney(x, y).estimate == 4.5


def test_exact_shift_interval_has_at_least_the_requested_coverage() -> None:
    rng = np.random.default_rng(11)
    x = rng.normal(2, 1, 12).tolist()
    y = rng.normal(0, 1, 10).tolist()
    result = mann_whitney(x, y)
    assert result.achieved_confidence is not None and result.achieved_confidence >= 0.95
    assert result.lower <= result.estimate <= result.upper
    # The interval excludes a shift if and only if the test of that shift rejects at 5%.
    shifted_inside = mann_whitney([v - (result.lower + result.upper) / 2 for v in x], y)
    assert shifted_inside.p_value > 0.05


def test_shift_interval_with_ties_uses_the_normal_approximation() -> None:
    x = [0, 3, 3, 8, 12, 15, 17, 20, 20, 22, 25, 26] * 5
    y = [0, 0, 0, 2, 4, 9, 10, 13, 18, 19, 21] * 5
    result = mann_whitney(x, y)
    assert result.achieved_confidence is None
    assert result.lower <= result.estimate <= result.upper
    assert "normal approximation" in result.method


def test_mann_whitney_reports_missing_and_rejects_an_empty_sample() -> None:
    assert mann_whitney([1, None, 3], [2, 4]).n_missing == 1
    with pytest.raises(ValidationError, match="y"):
        mann_whitney([1, 2], [None])
