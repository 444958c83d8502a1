"""Kaplan-Meier and log-rank against the Freireich et al. (Blood 1963;21:699-716) 6-mercaptopurine remission data
as tabulated in Kleinbaum DG, Klein M, *Survival Analysis: A Self-Learning Text*, 3rd ed., Springer 2012, ch. 2
(weeks in remission; + = censored), and against R's ``survival`` package on the same data (MASS::gehan):

    library(survival); library(MASS)
    fit <- survfit(Surv(time, cens) ~ treat, data = gehan)   # conf.type = "log" (R's default)
    summary(fit); print(fit)
    survdiff(Surv(time, cens) ~ treat, data = gehan)

Kleinbaum & Klein print S(t) to 4 decimals (tolerance 0.00005) and the log-rank statistic 16.79 (tolerance
0.005); R prints standard errors to 4 decimals and limits and expected counts to 3 or 2 (tolerance half a unit).
"""

from __future__ import annotations

import pytest

from mexards.analysis.logrank import log_rank_test
from mexards.analysis.survival import kaplan_meier, median_survival

MP_TIMES = [6, 6, 6, 7, 10, 13, 16, 22, 23, 6, 9, 10, 11, 17, 19, 20, 25, 32, 32, 34, 35]
MP_EVENTS = [1] * 9 + [0] * 12
PLACEBO_TIMES = [1, 1, 2, 2, 3, 4, 4, 5, 5, 8, 8, 8, 8, 11, 11, 12, 12, 15, 17, 22, 23]
PLACEBO_EVENTS = [1] * 21

# Kleinbaum & Klein ch. 2 (S) and R summary(fit) (n.risk, std.err, lower/upper 95% CI, log type).
MP_TABLE = [
    # time, n at risk, events, S(t), SE, lower, upper
    (6, 21, 3, 0.8571, 0.0764, 0.720, 1.000),
    (7, 17, 1, 0.8067, 0.0869, 0.653, 0.996),
    (10, 15, 1, 0.7529, 0.0963, 0.586, 0.968),
    (13, 12, 1, 0.6902, 0.1068, 0.510, 0.935),
    (16, 11, 1, 0.6275, 0.1141, 0.439, 0.896),
    (22, 7, 1, 0.5378, 0.1282, 0.337, 0.858),
    (23, 6, 1, 0.4482, 0.1346, 0.249, 0.807),
]

# Kleinbaum & Klein ch. 2, placebo group, S(t) to 2 decimals.
PLACEBO_SURVIVAL = {
    1: 0.90,
    2: 0.81,
    3: 0.76,
    4: 0.67,
    5: 0.57,
    8: 0.38,
    11: 0.29,
    12: 0.19,
    15: 0.14,
    17: 0.10,
    22: 0.05,
    23: 0.00,
}


def test_kaplan_meier_estimates_for_the_6mp_group_match_the_textbook_and_r() -> None:
    curve = kaplan_meier(MP_TIMES, MP_EVENTS, confidence_type="log")
    event_steps = [step for step in curve.steps if step.n_events > 0]
    assert len(event_steps) == len(MP_TABLE)
    for step, (time, at_risk, events, survival, std_error, lower, upper) in zip(event_steps, MP_TABLE, strict=True):
        assert (step.time, step.n_at_risk, step.n_events) == (time, at_risk, events)
        assert step.survival == pytest.approx(survival, abs=0.00005)
        assert step.std_error == pytest.approx(std_error, abs=0.00005)
        assert step.lower == pytest.approx(lower, abs=0.0005)
        assert step.upper == pytest.approx(upper, abs=0.0005)


def test_kaplan_meier_estimates_for_the_placebo_group_match_the_textbook() -> None:
    curve = kaplan_meier(PLACEBO_TIMES, PLACEBO_EVENTS)
    assert {int(step.time): step.survival for step in curve.steps} == pytest.approx(PLACEBO_SURVIVAL, abs=0.005)


def test_median_remission_is_23_weeks_on_6mp_and_8_weeks_on_placebo_with_r_intervals() -> None:
    # R print(fit): 6-MP median 23, 0.95LCL 16, 0.95UCL NA; control median 8, 0.95LCL 4, 0.95UCL 12.
    mp = median_survival(kaplan_meier(MP_TIMES, MP_EVENTS, confidence_type="log"))
    placebo = median_survival(kaplan_meier(PLACEBO_TIMES, PLACEBO_EVENTS, confidence_type="log"))
    assert (mp.estimate, mp.lower, mp.upper) == (23.0, 16.0, None)
    assert (placebo.estimate, placebo.lower, placebo.upper) == (8.0, 4.0, 12.0)


def test_log_rank_chi_square_is_16_79_on_one_df() -> None:
    result = log_rank_test(MP_TIMES + PLACEBO_TIMES, MP_EVENTS + PLACEBO_EVENTS, ["6-MP"] * 21 + ["placebo"] * 21)
    assert result.statistic == pytest.approx(16.79, abs=0.005)
    assert result.df == 1
    # Kleinbaum & Klein: O = 9 and 21, E = 19.25 and 10.75; R survdiff: p = 4e-05.
    assert result.observed == (9.0, 21.0)
    assert result.expected == pytest.approx((19.25, 10.75), abs=0.005)
    assert result.p_value == pytest.approx(4e-5, abs=0.5e-5)
