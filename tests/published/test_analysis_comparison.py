"""Two-sample tests and least squares against R's documented examples and textbook formulas."""

from __future__ import annotations

import pytest

from mexards.analysis.comparison import mann_whitney, welch_t_test
from mexards.analysis.regression import least_squares

# Student's sleep data (Cushny & Peebles; Student, Biometrika 1908;6:1-25), R's ``sleep`` data set.
SLEEP_1 = [0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0]
SLEEP_2 = [1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4]


def test_welch_t_test_on_the_sleep_data_matches_r() -> None:
    # R: t.test(extra ~ group, data = sleep)
    #   t = -1.8608, df = 17.776, p-value = 0.07939
    #   95 percent confidence interval: -3.3654832  0.2054832; means 0.75 and 2.33
    result = welch_t_test(SLEEP_1, SLEEP_2)
    assert result.t == pytest.approx(-1.8608, abs=0.00005)
    assert result.df == pytest.approx(17.776, abs=0.0005)
    assert result.p_value == pytest.approx(0.07939, abs=0.000005)
    assert (result.lower, result.upper) == pytest.approx((-3.3654832, 0.2054832), abs=5e-8)
    assert (result.mean_x, result.mean_y) == pytest.approx((0.75, 2.33))


def test_mann_whitney_with_ties_on_the_sleep_data_matches_r() -> None:
    # R: wilcox.test(extra ~ group, data = sleep)  ->  W = 25.5, p-value = 0.06933 (normal approximation with
    # continuity correction, because of ties).
    result = mann_whitney(SLEEP_1, SLEEP_2)
    assert result.u_statistic == 25.5
    assert not result.exact
    assert result.p_value == pytest.approx(0.06933, abs=0.000005)


def test_exact_mann_whitney_matches_the_hollander_wolfe_example_in_r() -> None:
    # R ?wilcox.test, data from Hollander & Wolfe (1973), p. 69:
    #   wilcox.test(x, y, alternative = "g")  ->  W = 35, p-value = 0.1272 (exact).
    # Without ties the two-sided exact p-value is twice the smaller tail: 0.2544.
    x = [0.80, 0.83, 1.89, 1.04, 1.45, 1.38, 1.91, 1.64, 0.73, 1.46]
    y = [1.15, 0.88, 0.90, 0.74, 1.21]
    result = mann_whitney(x, y)
    assert result.exact
    assert result.u_statistic == 35
    assert result.p_value / 2 == pytest.approx(0.1272, abs=0.00005)


def test_least_squares_on_dobson_plant_weights_matches_r_lm() -> None:
    # Dobson AJ, An Introduction to Generalized Linear Models (1990), p. 9; R ?lm:
    #   lm(weight ~ group): (Intercept) 5.0320 (SE 0.2202, t 22.850), groupTrt -0.3710 (SE 0.3114, t -1.191,
    #   p 0.249); residual standard error 0.6964 on 18 df; multiple R-squared 0.07308.
    control = [4.17, 5.58, 5.18, 6.11, 4.50, 4.61, 5.17, 4.53, 5.33, 5.14]
    treated = [4.81, 4.17, 4.41, 3.59, 5.87, 3.83, 6.03, 4.89, 4.32, 4.69]
    fit = least_squares([[1, 0]] * 10 + [[1, 1]] * 10, control + treated, names=["(Intercept)", "groupTrt"])
    intercept, group = fit.coefficients
    assert (intercept.estimate, intercept.std_error, intercept.t) == pytest.approx((5.0320, 0.2202, 22.850), abs=0.0005)
    assert (group.estimate, group.std_error, group.t) == pytest.approx((-0.3710, 0.3114, -1.191), abs=0.0005)
    assert group.p_value == pytest.approx(0.249, abs=0.0005)
    assert fit.residual_sd == pytest.approx(0.6964, abs=0.00005)
    assert fit.df_residual == 18
    assert fit.r_squared == pytest.approx(0.07308, abs=0.000005)
