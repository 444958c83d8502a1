"""Unit tests of the Kaplan-Meier estimator, its intervals, quantiles and at-risk tables."""

from __future__ import annotations

import math

import pytest

from mexards.analysis.survival import (
    at_risk_table,
    kaplan_meier,
    kaplan_meier_by_group,
    median_survival,
    survival_at,
    survival_quantile,
)
from mexards.domain.errors import ValidationError

TIMES = [2.0, 3.0, 3.0, 5.0, 8.0, 8.0, 9.0, 12.0]
EVENTS = [1, 1, 0, 1, 1, 1, 0, 1]


def test_survival_is_the_product_of_conditional_survival_at_each_event_time() -> None:
    curve = kaplan_meier(TIMES, EVENTS)
    # t=2: 7/8; t=3: x 6/7 (one censored at 3 stays at risk); t=5: x 4/5; t=8: x 2/4; t=12: x 0.
    expected = {2.0: 7 / 8, 3.0: 7 / 8 * 6 / 7, 5.0: 0.6, 8.0: 0.3, 9.0: 0.3, 12.0: 0.0}
    assert {s.time: s.survival for s in curve.steps} == pytest.approx(expected)
    assert [s.n_at_risk for s in curve.steps] == [8, 7, 5, 4, 2, 1]
    assert [(s.n_events, s.n_censored) for s in curve.steps][1] == (1, 1)
    assert (curve.n, curve.n_events, curve.n_missing) == (8, 6, 0)


def test_greenwood_standard_error_matches_the_formula() -> None:
    step = kaplan_meier(TIMES, EVENTS).steps[2]  # t = 5
    greenwood = 1 / (8 * 7) + 1 / (7 * 6) + 1 / (5 * 4)
    assert step.std_error == pytest.approx(0.6 * math.sqrt(greenwood), rel=1e-12)


def test_the_three_interval_types_follow_their_transformations() -> None:
    z = 1.959963984540054
    s = 0.6
    sigma = math.sqrt(1 / (8 * 7) + 1 / (7 * 6) + 1 / (5 * 4))
    plain = kaplan_meier(TIMES, EVENTS, confidence_type="plain").steps[2]
    log = kaplan_meier(TIMES, EVENTS, confidence_type="log").steps[2]
    loglog = kaplan_meier(TIMES, EVENTS, confidence_type="log-log").steps[2]
    assert (plain.lower, plain.upper) == pytest.approx((s - z * s * sigma, min(1.0, s + z * s * sigma)))
    assert (log.lower, log.upper) == pytest.approx((s * math.exp(-z * sigma), min(1.0, s * math.exp(z * sigma))))
    theta = z * sigma / abs(math.log(s))
    assert (loglog.lower, loglog.upper) == pytest.approx((s ** math.exp(theta), s ** math.exp(-theta)))


def test_when_everyone_has_died_the_curve_and_its_limits_are_zero() -> None:
    last = kaplan_meier(TIMES, EVENTS).steps[-1]
    assert (last.survival, last.std_error, last.lower, last.upper) == (0.0, 0.0, 0.0, 0.0)


def test_subjects_with_a_missing_time_or_event_are_counted_as_missing() -> None:
    curve = kaplan_meier([*TIMES, None, 4.0], [*EVENTS, 1, None])
    assert (curve.n, curve.n_missing) == (8, 2)


def test_survival_at_a_landmark_day_reads_the_step_function() -> None:
    curve = kaplan_meier(TIMES, EVENTS)
    assert survival_at(curve, 1.0).survival == 1.0
    assert survival_at(curve, 5.0).survival == pytest.approx(0.6)
    at_seven = survival_at(curve, 7.0)
    assert at_seven.survival == pytest.approx(0.6)
    assert at_seven.n_at_risk == 4
    assert survival_at(curve, 28.0).n_at_risk == 0


def test_median_is_the_first_time_survival_falls_to_one_half() -> None:
    assert median_survival(kaplan_meier(TIMES, EVENTS)).estimate == 8.0


def test_a_curve_exactly_at_one_half_takes_the_midpoint_to_the_next_event() -> None:
    # S = 0.5 from t = 2 until t = 6.
    curve = kaplan_meier([1, 2, 4, 6], [1, 1, 0, 1])
    assert median_survival(curve).estimate == 4.0


def test_a_curve_that_never_reaches_the_quantile_reports_none() -> None:
    result = median_survival(kaplan_meier([1, 2, 3, 4], [1, 0, 0, 0]))
    assert result.estimate is None and result.upper is None


def test_quantile_interval_brackets_the_estimate() -> None:
    result = survival_quantile(kaplan_meier(list(range(1, 31)), [1] * 30), 0.25)
    assert result.lower is not None and result.upper is not None and result.estimate is not None
    assert result.lower <= result.estimate <= result.upper
    assert result.estimate == 23.0


def test_at_risk_table_counts_subjects_still_under_observation() -> None:
    rows = at_risk_table(kaplan_meier(TIMES, EVENTS), [0, 3, 8.5, 20])
    assert [(r.n_at_risk, r.cumulative_events, r.cumulative_censored) for r in rows] == [
        (8, 0, 0),
        (7, 2, 1),
        (2, 5, 1),
        (0, 6, 2),
    ]


@pytest.mark.parametrize(
    ("times", "events", "field"),
    [
        ([1.0, -1.0], [1, 1], "times[1]"),
        ([1.0, 2.0], [1, 2], "events[1]"),
        ([1.0], [1, 0], "events"),
        ([None], [1], "times"),
    ],
)
def test_bad_survival_data_is_rejected_naming_the_field(
    times: list[float | None], events: list[int], field: str
) -> None:
    with pytest.raises(ValidationError) as raised:
        kaplan_meier(times, events)
    assert raised.value.field == field


def test_an_unknown_interval_type_is_rejected() -> None:
    with pytest.raises(ValidationError, match="confidence_type"):
        kaplan_meier([1.0], [1], confidence_type="arcsine")  # type: ignore[arg-type]


def test_one_curve_per_group_in_label_order() -> None:
    curves = kaplan_meier_by_group([1, 2, 3, 4, None], [1, 0, 1, 1, 1], ["b", "a", "b", "a", "a"])
    assert [group for group, _ in curves] == ["a", "b"]
    a, b = (curve for _, curve in curves)
    assert (a.n, a.n_missing, b.n) == (2, 1, 2)
    assert a.steps[-1].survival == 0.0
    with pytest.raises(ValidationError, match="groups"):
        kaplan_meier_by_group([1, None], [1, 1], ["a", "b"])
    with pytest.raises(ValidationError, match=r"times\[1\]"):
        kaplan_meier_by_group([1, -2], [1, 1], ["a", "b"])


def test_method_text_states_the_confidence_level() -> None:
    assert "97.5%" in kaplan_meier(TIMES, EVENTS, confidence=0.975).method
