"""Unit tests of Fisher's exact test, the risk difference and the binary comparison."""

from __future__ import annotations

import math

import pytest
from scipy import stats

from mexards.analysis.binomial import wilson
from mexards.analysis.contingency import compare_binary, fisher_exact, risk_difference
from mexards.domain.errors import ValidationError


def test_fisher_p_values_agree_with_the_hypergeometric_distribution() -> None:
    result = fisher_exact(7, 3, 2, 8)
    # a ~ Hypergeometric(N = 20, K = 9 events, n = 10 in row 1)
    assert result.p_greater == pytest.approx(stats.hypergeom.sf(6, 20, 9, 10))
    assert result.p_less == pytest.approx(stats.hypergeom.cdf(7, 20, 9, 10))
    assert result.p_value == pytest.approx(stats.fisher_exact([[7, 3], [2, 8]]).pvalue)


def test_fisher_odds_ratio_solves_the_conditional_likelihood_equation() -> None:
    result = fisher_exact(7, 3, 2, 8)
    support = range(0, 10)
    weights = [math.comb(10, x) * math.comb(10, 9 - x) * result.odds_ratio**x for x in support]
    mean = sum(x * w for x, w in zip(support, weights, strict=True)) / sum(weights)
    assert mean == pytest.approx(7, abs=1e-8)


def test_fisher_interval_limits_make_each_tail_equal_to_half_alpha() -> None:
    result = fisher_exact(7, 3, 2, 8)
    support = range(0, 10)

    def probabilities(psi: float) -> list[float]:
        weights = [math.comb(10, x) * math.comb(10, 9 - x) * psi**x for x in support]
        return [w / sum(weights) for w in weights]

    assert sum(probabilities(result.odds_ratio_lower)[7:]) == pytest.approx(0.025, abs=1e-8)
    assert sum(probabilities(result.odds_ratio_upper)[:8]) == pytest.approx(0.025, abs=1e-8)


def test_a_zero_cell_gives_a_zero_or_infinite_odds_ratio_with_a_one_sided_open_interval() -> None:
    none_in_first = fisher_exact(0, 10, 5, 5)
    assert none_in_first.odds_ratio == 0.0 and none_in_first.odds_ratio_lower == 0.0
    all_in_first = fisher_exact(10, 0, 5, 5)
    assert math.isinf(all_in_first.odds_ratio) and math.isinf(all_in_first.odds_ratio_upper)


def test_a_table_with_a_degenerate_margin_has_p_value_one() -> None:
    result = fisher_exact(0, 4, 0, 6)
    assert result.p_value == 1.0
    assert math.isnan(result.odds_ratio)


def test_fisher_rejects_negative_cells_and_an_empty_table() -> None:
    with pytest.raises(ValidationError) as raised:
        fisher_exact(1, -1, 2, 2)
    assert raised.value.field == "b"
    with pytest.raises(ValidationError, match="table"):
        fisher_exact(0, 0, 0, 0)


def test_risk_difference_combines_the_two_wilson_intervals() -> None:
    result = risk_difference(12, 40, 5, 38)
    first, second = wilson(12, 40), wilson(5, 38)
    d = 12 / 40 - 5 / 38
    assert result.estimate == pytest.approx(d)
    assert result.lower == pytest.approx(d - math.hypot(first.estimate - first.lower, second.upper - second.estimate))
    assert result.upper == pytest.approx(d + math.hypot(first.upper - first.estimate, second.estimate - second.lower))


def test_the_difference_interval_is_antisymmetric_when_the_groups_swap() -> None:
    forward = risk_difference(3, 11, 7, 13)
    backward = risk_difference(7, 13, 3, 11)
    assert (forward.lower, forward.upper) == pytest.approx((-backward.upper, -backward.lower))


def test_compare_binary_reports_proportions_difference_test_and_missing() -> None:
    result = compare_binary([True, False, None, True, True], [False, False, True, None, None])
    assert (result.proportion_1.events, result.proportion_1.n) == (3, 4)
    assert (result.proportion_2.events, result.proportion_2.n) == (1, 3)
    assert result.n_missing == result.risk_difference.n_missing == result.fisher.n_missing == 3
    assert result.fisher.table == ((3, 1), (1, 2))
