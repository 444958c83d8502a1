"""Invariants of the whole-trial model and analysis (hypothesis)."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from mexards.analysis.regression import ancova
from mexards.simulation.trial_analysis import ArmSums, ancova_contrasts, rejections
from mexards.simulation.trial_course import (
    TreatmentModel,
    death_day,
    death_probability_by,
    truncated_normal,
)
from mexards.simulation.trial_scenario import load_trial_scenario

SCENARIO = load_trial_scenario("mexards")
COURSE = SCENARIO.course
MODEL = TreatmentModel.of(SCENARIO, (2.0e8, 8.0e8, 16.0e8))
values = st.floats(min_value=-300, max_value=600, allow_nan=False, allow_infinity=False)


@settings(max_examples=60, deadline=None)
@given(
    u=st.floats(min_value=0.0, max_value=1.0 - 1e-12),
    severity=st.integers(min_value=0, max_value=2),
    odds_ratio=st.floats(min_value=0.05, max_value=5.0),
    day=st.integers(min_value=1, max_value=60),
)
def test_death_by_a_day_is_exactly_a_uniform_below_its_probability(
    u: float, severity: int, odds_ratio: float, day: int
) -> None:
    cls = np.array([severity])
    died = int(death_day(np.array([u]), cls, odds_ratio, COURSE)[0])
    threshold = float(death_probability_by(day, cls, odds_ratio, COURSE)[0])
    if abs(u - threshold) > 1e-9:
        assert (died <= day) == (u < threshold)


@settings(max_examples=60, deadline=None)
@given(
    u=st.lists(st.floats(min_value=0.0, max_value=1.0), min_size=1, max_size=20),
    mean=st.floats(min_value=-50, max_value=400),
    sd=st.floats(min_value=0.1, max_value=200),
    low=st.floats(min_value=-100, max_value=300),
    width=st.floats(min_value=0.5, max_value=300),
)
def test_truncated_normal_draws_stay_in_their_bounds(
    u: list[float], mean: float, sd: float, low: float, width: float
) -> None:
    drawn = truncated_normal(np.array(u), mean, sd, low, low + width)
    assert np.all(drawn >= low) and np.all(drawn <= low + width)
    assert np.all(np.diff(drawn[np.argsort(u)]) >= -1e-9)  # monotone in u: an inverse CDF


@settings(max_examples=80, deadline=None)
@given(a=st.floats(min_value=0, max_value=3e9), b=st.floats(min_value=0, max_value=3e9))
def test_dlt_probability_and_benefit_never_decrease_with_the_dose(a: float, b: float) -> None:
    low, high = sorted((a, b))
    assert MODEL.dlt_probability(low) <= MODEL.dlt_probability(high) + 1e-15
    assert float(MODEL.pf_effect_mmhg(low)) <= float(MODEL.pf_effect_mmhg(high)) + 1e-12
    assert float(MODEL.odds_ratio(low)) >= float(MODEL.odds_ratio(high)) - 1e-12


@settings(max_examples=40, deadline=None)
@given(
    data=st.lists(st.tuples(values, values, st.integers(min_value=0, max_value=2)), min_size=9, max_size=40),
)
def test_the_vectorised_ancova_agrees_with_the_reference_on_any_data(
    data: list[tuple[float, float, int]],
) -> None:
    arms = [[(x, y) for x, y, a in data if a == k] for k in range(3)]
    assume(all(len(arm) >= 2 for arm in arms))
    xs = [x for arm in arms for x, _ in arm]
    assume(
        max(xs) - min(xs) >= 1.0
        and not any(max(x for x, _ in arm) - min(x for x, _ in arm) < 1e-6 for arm in arms)
    )
    sums = [
        ArmSums.of(
            np.array([[x for x, _ in arm]]),
            np.array([[y for _, y in arm]]),
            np.ones((1, len(arm)), dtype=bool),
        )
        for arm in arms
    ]
    found = ancova_contrasts(sums, control=2)
    reference = ancova(
        [y for arm in arms for _, y in arm],
        xs,
        [f"a{k}" for k, arm in enumerate(arms) for _ in arm],
        control="a2",
    )
    for contrast, expected in zip(found, reference.contrasts, strict=True):
        scale = max(1.0, abs(expected.estimate))
        assert math.isclose(
            float(contrast.estimate[0]), expected.estimate, rel_tol=1e-6, abs_tol=1e-6 * scale
        )
        if expected.std_error > 1e-6:
            assert math.isclose(float(contrast.p_value[0]), expected.p_value, rel_tol=1e-5, abs_tol=1e-9)


@settings(max_examples=100, deadline=None)
@given(
    p=st.lists(
        st.tuples(st.floats(min_value=0, max_value=1), st.floats(min_value=0, max_value=1)),
        min_size=1,
        max_size=30,
    ),
    alpha=st.floats(min_value=0.001, max_value=0.2),
)
def test_the_fixed_sequence_never_rejects_the_second_hypothesis_alone(
    p: list[tuple[float, float]], alpha: float
) -> None:
    quarter = np.array([a for a, _ in p])
    mtd = np.array([b for _, b in p])
    rejected = rejections([quarter, mtd], order=[1, 0], alpha=alpha, method="fixed_sequence")
    assert not np.any(rejected[0] & ~rejected[1])
    bonferroni = rejections([quarter, mtd], order=[1, 0], alpha=alpha, method="bonferroni")
    assert np.all(bonferroni[1] <= (mtd < alpha))
