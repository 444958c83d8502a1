"""Unit tests of the single-proportion intervals."""

from __future__ import annotations

import math

import pytest
from scipy import stats

from mexards.analysis.binomial import (
    PROPORTION_METHODS,
    clopper_pearson,
    proportion_from_outcomes,
    proportion_interval,
    proportion_intervals_by_dose,
    wilson,
)
from mexards.domain.errors import ValidationError


def test_clopper_pearson_limits_are_the_beta_quantiles() -> None:
    result = clopper_pearson(3, 12, confidence=0.9)
    assert result.lower == pytest.approx(stats.beta.ppf(0.05, 3, 10), abs=1e-12)
    assert result.upper == pytest.approx(stats.beta.ppf(0.95, 4, 9), abs=1e-12)


def test_clopper_pearson_limits_make_each_binomial_tail_equal_to_half_alpha() -> None:
    result = clopper_pearson(4, 15)
    assert stats.binom.sf(3, 15, result.lower) == pytest.approx(0.025, abs=1e-9)
    assert stats.binom.cdf(4, 15, result.upper) == pytest.approx(0.025, abs=1e-9)


def test_zero_events_give_a_lower_limit_of_zero_and_all_events_an_upper_limit_of_one() -> None:
    for method in PROPORTION_METHODS:
        assert proportion_interval(0, 9, method=method).lower == 0.0
        assert proportion_interval(9, 9, method=method).upper == 1.0


def test_the_rule_of_three_approximates_the_exact_upper_limit_for_zero_events() -> None:
    # 0/n: exact one-sided 97.5% upper limit is 1 - 0.025^(1/n) (Clopper & Pearson 1934).
    assert clopper_pearson(0, 30).upper == pytest.approx(1 - 0.025 ** (1 / 30), abs=1e-12)


def test_wilson_interval_is_the_root_of_the_score_equation() -> None:
    result = wilson(7, 20)
    z = stats.norm.ppf(0.975)
    for limit in (result.lower, result.upper):
        assert abs(0.35 - limit) / math.sqrt(limit * (1 - limit) / 20) == pytest.approx(z, abs=1e-9)


def test_continuity_correction_widens_the_wilson_interval() -> None:
    plain = wilson(5, 17)
    corrected = wilson(5, 17, continuity_correction=True)
    assert corrected.lower < plain.lower
    assert corrected.upper > plain.upper
    assert "continuity" in corrected.method


def test_higher_confidence_gives_a_wider_interval_for_every_method() -> None:
    for method in PROPORTION_METHODS:
        narrow = proportion_interval(6, 25, method=method, confidence=0.8)
        wide = proportion_interval(6, 25, method=method, confidence=0.99)
        assert wide.lower <= narrow.lower and wide.upper >= narrow.upper


def test_the_result_reports_the_estimate_counts_and_method() -> None:
    result = proportion_interval(2, 8, method="mid-p", n_missing=1)
    assert (result.events, result.n, result.estimate, result.n_missing) == (2, 8, 0.25, 1)
    assert result.confidence == 0.95
    assert "mid-p" in result.method


def test_outcomes_with_missing_values_are_counted_not_dropped_silently() -> None:
    result = proportion_from_outcomes([True, False, None, True, float("nan"), 0])
    assert (result.events, result.n, result.n_missing) == (2, 4, 2)


@pytest.mark.parametrize(
    ("events", "n", "field"),
    [(-1, 5, "events"), (6, 5, "events"), (1, 0, "n"), (1.5, 5, "events"), (True, 5, "events")],
)
def test_impossible_counts_are_rejected_naming_the_field(events: object, n: int, field: str) -> None:
    with pytest.raises(ValidationError) as raised:
        proportion_interval(events, n)  # type: ignore[arg-type]
    assert raised.value.field == field


def test_an_unknown_method_or_confidence_outside_zero_one_is_rejected() -> None:
    with pytest.raises(ValidationError, match="method"):
        proportion_interval(1, 5, method="bayes")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="confidence"):
        proportion_interval(1, 5, confidence=95)


def test_outcomes_must_be_boolean_and_at_least_one_observed() -> None:
    with pytest.raises(ValidationError, match=r"outcomes\[1\]"):
        proportion_from_outcomes([True, 2])
    with pytest.raises(ValidationError, match="at least one observed"):
        proportion_from_outcomes([None, None])


def test_rates_by_dose_give_an_interval_per_treated_dose_and_none_for_untreated_doses() -> None:
    intervals = proportion_intervals_by_dose([0, 1, 2, 0], [3, 6, 6, 0], method="wilson")
    assert intervals[3] is None
    assert [(i.events, i.n) for i in intervals if i is not None] == [(0, 3), (1, 6), (2, 6)]
    assert intervals[1] == wilson(1, 6)
    with pytest.raises(ValidationError, match=r"events\[0\]"):
        proportion_intervals_by_dose([4], [3])
    with pytest.raises(ValidationError, match="n_treated"):
        proportion_intervals_by_dose([1, 2], [3])
