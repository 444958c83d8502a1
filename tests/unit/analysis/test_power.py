"""Unit tests of power and sample size."""

from __future__ import annotations

import math

import pytest
from scipy import stats

from mexards.analysis.power import (
    mean_difference_power_curve,
    power_mean_difference,
    power_two_proportions,
    proportion_power_curve,
    sample_size_mean_difference,
    sample_size_two_proportions,
)
from mexards.domain.errors import ValidationError


def test_normal_power_follows_the_closed_form() -> None:
    result = power_mean_difference(10.0, 40.0, 100, method="normal")
    shift = 10 / 40 * math.sqrt(50)
    z = stats.norm.ppf(0.975)
    assert result.power == pytest.approx(stats.norm.cdf(shift - z) + stats.norm.cdf(-shift - z))


def test_power_at_no_effect_equals_the_type_one_error() -> None:
    for method in ("t", "normal"):
        assert power_mean_difference(0.0, 1.0, 30, method=method).power == pytest.approx(0.05)  # type: ignore[arg-type]
    assert power_two_proportions(0.3, 0.3, 50).power == pytest.approx(0.05)


def test_the_sign_of_the_effect_does_not_matter_for_a_two_sided_test() -> None:
    assert power_mean_difference(-0.4, 1.0, 50).power == pytest.approx(power_mean_difference(0.4, 1.0, 50).power)


def test_a_one_sided_test_has_more_power_in_its_direction_and_little_against_it() -> None:
    two = power_mean_difference(0.4, 1.0, 50).power
    one = power_mean_difference(0.4, 1.0, 50, sides=1).power
    against = power_mean_difference(-0.4, 1.0, 50, sides=1).power
    assert one > two
    assert against < 0.05


def test_unequal_allocation_uses_the_harmonic_size() -> None:
    unequal = power_mean_difference(0.5, 1.0, 30, n_control=90, method="normal")
    z = stats.norm.ppf(0.975)
    shift = 0.5 * math.sqrt(30 * 90 / 120)
    assert unequal.power == pytest.approx(stats.norm.cdf(shift - z) + stats.norm.cdf(-shift - z))
    assert (unequal.n_1, unequal.n_2) == (30, 90)


def test_sample_size_is_the_smallest_whole_size_reaching_the_target() -> None:
    size = sample_size_mean_difference(0.5, 1.0, power=0.9)
    assert size.achieved_power >= 0.9
    assert power_mean_difference(0.5, 1.0, size.n_1 - 1).power < 0.9
    assert size.n_1 - 1 < size.n_exact <= size.n_1


def test_sample_size_with_two_to_one_allocation() -> None:
    size = sample_size_two_proportions(0.4, 0.25, power=0.8, allocation_ratio=2.0)
    assert size.n_2 == math.ceil(2 * size.n_1)
    assert power_two_proportions(0.4, 0.25, size.n_1, n_control=size.n_2).power >= 0.8


def test_two_proportion_power_follows_the_fleiss_formula() -> None:
    p1, p2, n = 0.3, 0.15, 120
    pooled = (p1 + p2) / 2
    z = stats.norm.ppf(0.975)
    null_sd = math.sqrt(pooled * (1 - pooled) * 2 / n)
    alt_sd = math.sqrt((p1 * (1 - p1) + p2 * (1 - p2)) / n)
    expected = stats.norm.cdf((0.15 - z * null_sd) / alt_sd) + stats.norm.cdf((-0.15 - z * null_sd) / alt_sd)
    assert power_two_proportions(p1, p2, n).power == pytest.approx(expected)


def test_power_curves_list_the_power_at_each_effect() -> None:
    curve = mean_difference_power_curve([0.0, 0.2, 0.4], 1.0, 64)
    assert curve.effects == (0.0, 0.2, 0.4)
    assert curve.powers[0] == pytest.approx(0.05)
    assert curve.powers[1] < curve.powers[2]
    mortality = proportion_power_curve(0.4, [0.4, 0.3, 0.2], 100)
    assert mortality.effects == pytest.approx((0.0, -0.1, -0.2))
    assert mortality.powers[0] < mortality.powers[1] < mortality.powers[2]


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda: power_mean_difference(1.0, 0.0, 10), "sd"),
        (lambda: power_mean_difference(1.0, 1.0, 1), "n_per_group"),
        (lambda: power_mean_difference(1.0, 1.0, 10, alpha=1.5), "alpha"),
        (lambda: power_mean_difference(1.0, 1.0, 10, sides=3), "sides"),
        (lambda: power_mean_difference(math.inf, 1.0, 10), "delta"),
        (lambda: power_two_proportions(1.2, 0.5, 10), "p_1"),
        (lambda: sample_size_mean_difference(0.0, 1.0), "delta"),
        (lambda: sample_size_mean_difference(0.5, 1.0, power=0.01), "power"),
        (lambda: sample_size_two_proportions(0.3, 0.3), "p_2"),
        (lambda: sample_size_two_proportions(0.3, 0.2, allocation_ratio=0.0), "allocation_ratio"),
    ],
)
def test_bad_design_inputs_are_rejected_naming_the_field(call: object, field: str) -> None:
    with pytest.raises(ValidationError) as raised:
        call()  # type: ignore[operator]
    assert raised.value.field == field


def test_t_power_stays_right_where_the_noncentral_t_routine_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    reference = power_mean_difference(0.5, 1.0, 64).power
    monkeypatch.setattr(stats.nct, "sf", lambda *args: float("nan"))
    assert power_mean_difference(0.5, 1.0, 64).power == pytest.approx(reference, abs=1e-7)
