"""Unit tests of ordinary least squares and ANCOVA."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from mexards.analysis.regression import ancova, least_squares
from mexards.domain.errors import ValidationError


def test_simple_regression_matches_the_closed_form() -> None:
    # x = 0..3, y = 1, 3, 2, 5: Sxx = 5, Sxy = 5.5, slope 1.1, intercept 1.1, RSS = 2.7 on 2 df.
    fit = least_squares([[1, 0], [1, 1], [1, 2], [1, 3]], [1, 3, 2, 5], names=["intercept", "x"])
    intercept, slope = fit.coefficients
    assert (intercept.estimate, slope.estimate) == pytest.approx((1.1, 1.1))
    assert fit.residual_sd == pytest.approx(math.sqrt(1.35))
    assert slope.std_error == pytest.approx(math.sqrt(1.35 / 5))
    assert intercept.std_error == pytest.approx(math.sqrt(1.35 * (1 / 4 + 1.5**2 / 5)))
    assert slope.df == fit.df_residual == 2
    assert slope.p_value == pytest.approx(2 * stats.t.sf(1.1 / math.sqrt(0.27), 2))
    assert fit.r_squared == pytest.approx(1 - 2.7 / 8.75)
    assert slope.name == "x"


def test_interval_uses_the_t_quantile() -> None:
    fit = least_squares([[1, 0], [1, 1], [1, 2], [1, 3]], [1, 3, 2, 5], confidence=0.9)
    slope = fit.coefficients[1]
    half = stats.t.ppf(0.95, 2) * slope.std_error
    assert (slope.lower, slope.upper) == pytest.approx((1.1 - half, 1.1 + half))


def test_collinear_or_too_small_designs_are_rejected() -> None:
    with pytest.raises(ValidationError, match="linearly independent"):
        least_squares([[1, 2], [1, 2], [1, 2]], [1, 2, 3])
    with pytest.raises(ValidationError, match="more observations"):
        least_squares([[1, 0], [1, 1]], [1, 2])
    with pytest.raises(ValidationError, match="design"):
        least_squares([[1, 0], [1, 1], [1, 2]], [1, 2])


def test_ancova_contrast_equals_the_textbook_adjusted_difference() -> None:
    # Within-groups slope b = Sxy_w / Sxx_w; adjusted difference = (ybar_t - ybar_c) - b (xbar_t - xbar_c);
    # SE = s sqrt(1/n_t + 1/n_c + (xbar_t - xbar_c)^2 / Sxx_w) (Armitage, Berry & Matthews 2002, section 11.5).
    baseline_c = np.array([100.0, 120.0, 150.0, 130.0, 90.0])
    outcome_c = np.array([10.0, 25.0, 30.0, 12.0, 5.0])
    baseline_t = np.array([110.0, 95.0, 140.0, 160.0, 125.0, 105.0])
    outcome_t = np.array([40.0, 20.0, 60.0, 55.0, 35.0, 45.0])
    result = ancova(
        [*outcome_c, *outcome_t], [*baseline_c, *baseline_t], ["control"] * 5 + ["active"] * 6, control="control"
    )

    def centred(x: np.ndarray, y: np.ndarray) -> tuple[float, float, float]:
        return (
            float(((x - x.mean()) ** 2).sum()),
            float(((x - x.mean()) * (y - y.mean())).sum()),
            float(((y - y.mean()) ** 2).sum()),
        )

    sxx_c, sxy_c, syy_c = centred(baseline_c, outcome_c)
    sxx_t, sxy_t, syy_t = centred(baseline_t, outcome_t)
    sxx, sxy, syy = sxx_c + sxx_t, sxy_c + sxy_t, syy_c + syy_t
    slope = sxy / sxx
    residual_variance = (syy - sxy**2 / sxx) / (11 - 3)
    gap = baseline_t.mean() - baseline_c.mean()
    difference = outcome_t.mean() - outcome_c.mean() - slope * gap
    std_error = math.sqrt(residual_variance * (1 / 6 + 1 / 5 + gap**2 / sxx))

    (contrast,) = result.contrasts
    assert contrast.name == "active - control"
    assert contrast.estimate == pytest.approx(difference, rel=1e-10)
    assert contrast.std_error == pytest.approx(std_error, rel=1e-10)
    assert contrast.t == pytest.approx(difference / std_error, rel=1e-10)
    assert contrast.df == result.df_residual == 8
    assert result.baseline_slope.estimate == pytest.approx(slope, rel=1e-10)
    assert result.residual_sd == pytest.approx(math.sqrt(residual_variance), rel=1e-10)
    adjusted = {m.arm: m for m in result.adjusted_means}
    assert adjusted["active"].estimate - adjusted["control"].estimate == pytest.approx(difference, rel=1e-10)
    assert result.mean_baseline == pytest.approx((baseline_c.sum() + baseline_t.sum()) / 11)


def test_ancova_with_two_active_arms_gives_one_contrast_each_against_control() -> None:
    rng = np.random.default_rng(3)
    baseline = rng.normal(150, 30, 30).tolist()
    arms = ["placebo", "low", "high"] * 10
    effect = {"placebo": 0.0, "low": 20.0, "high": 40.0}
    outcome = [0.5 * b + effect[a] + e for b, a, e in zip(baseline, arms, rng.normal(0, 5, 30), strict=True)]
    result = ancova(outcome, baseline, arms, control="placebo")
    names = [c.name for c in result.contrasts]
    assert names == ["high - placebo", "low - placebo"]
    design = np.column_stack([np.ones(30), [a == "high" for a in arms], [a == "low" for a in arms], baseline]).astype(
        float
    )
    beta, rss, _, _ = np.linalg.lstsq(design, np.asarray(outcome), rcond=None)
    covariance = rss[0] / 26 * np.linalg.inv(design.T @ design)
    for index, contrast in enumerate(result.contrasts, start=1):
        assert contrast.estimate == pytest.approx(beta[index], rel=1e-9)
        assert contrast.std_error == pytest.approx(math.sqrt(covariance[index, index]), rel=1e-9)
    assert result.df_residual == 30 - 4


def test_ancova_excludes_incomplete_participants_and_counts_them() -> None:
    outcome = [1.0, 2.0, None, 4.0, 5.0, 6.0, 7.0, float("nan")]
    baseline = [1.0, 3.0, 2.0, None, 2.0, 4.0, 1.0, 2.0]
    arms = ["c", "c", "c", "c", "t", "t", "t", "t"]
    result = ancova(outcome, baseline, arms, control="c")
    assert (result.n, result.n_missing) == (5, 3)
    assert "complete cases" in result.method


def test_ancova_rejects_an_absent_control_arm_a_single_arm_and_missing_labels() -> None:
    with pytest.raises(ValidationError) as raised:
        ancova([1.0, 2.0, 3.0], [1.0, 2.0, 3.0], ["a", "a", "b"], control="z")
    assert raised.value.field == "control"
    with pytest.raises(ValidationError, match="besides control"):
        ancova([1.0, 2.0, 3.0], [1.0, 2.0, 4.0], ["a", "a", "a"], control="a")
    with pytest.raises(ValidationError, match=r"arm\[2\]"):
        ancova([1.0, 2.0, 3.0], [1.0, 2.0, 4.0], ["a", "b", None], control="a")  # type: ignore[list-item]
    with pytest.raises(ValidationError, match=r"baseline\[1\]"):
        ancova([1.0, 2.0, 3.0], [1.0, "x", 4.0], ["a", "b", "a"], control="a")  # type: ignore[list-item]


def test_ancova_needs_baseline_variation_to_estimate_the_slope() -> None:
    with pytest.raises(ValidationError, match="baseline"):
        ancova([1.0, 2.0, 3.0, 4.0, 5.0], [2.0] * 5, ["a", "a", "b", "b", "b"], control="a")
