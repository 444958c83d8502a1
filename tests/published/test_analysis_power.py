"""Power and sample size against the standard formula numbers and R's ``power.t.test`` / ``power.prop.test``.

R's functions solve for n with ``uniroot`` (tolerance ~1e-4) and by default omit the far rejection tail of a
two-sided test (``strict = FALSE``); this package includes it, which changes power by < 1e-5 in these examples.
"""

from __future__ import annotations

import pytest

from mexards.analysis.power import (
    power_mean_difference,
    power_two_proportions,
    sample_size_mean_difference,
    sample_size_two_proportions,
)


def test_half_a_standard_deviation_with_64_per_group_gives_80_percent_power() -> None:
    # Standard formula: power = Phi(0.5 * sqrt(64 / 2) - 1.96) = Phi(0.868) = 0.807 (normal approximation);
    # noncentral t on 126 df: 0.8015 (R: power.t.test(n = 64, delta = 0.5) -> power = 0.8014596).
    assert power_mean_difference(0.5, 1.0, 64, method="normal").power == pytest.approx(0.807, abs=0.0005)
    assert power_mean_difference(0.5, 1.0, 64, method="t").power == pytest.approx(0.8014596, abs=1e-5)


def test_sample_size_for_half_a_standard_deviation_at_80_percent_power() -> None:
    # n = 2 (z_0.975 + z_0.8)^2 / 0.5^2 = 62.8 -> 63 per group (normal); R power.t.test(power = .8, delta = .5)
    # -> n = 63.76576 -> 64 per group (t).
    normal = sample_size_mean_difference(0.5, 1.0, power=0.8, method="normal")
    exact = sample_size_mean_difference(0.5, 1.0, power=0.8, method="t")
    assert normal.n_exact == pytest.approx(62.79, abs=0.005)
    assert normal.n_1 == 63
    assert exact.n_exact == pytest.approx(63.76576, abs=1e-3)
    assert exact.n_1 == exact.n_2 == 64


def test_r_power_t_test_examples() -> None:
    # R ?power.t.test examples:
    #   power.t.test(n = 20, delta = 1)                                    -> power = 0.8689528
    #   power.t.test(power = .90, delta = 1)                               -> n = 22.02110
    #   power.t.test(power = .90, delta = 1, alternative = "one.sided")    -> n = 17.84713
    assert power_mean_difference(1.0, 1.0, 20).power == pytest.approx(0.8689528, abs=1e-5)
    assert sample_size_mean_difference(1.0, 1.0, power=0.9).n_exact == pytest.approx(22.02110, abs=1e-3)
    assert sample_size_mean_difference(1.0, 1.0, power=0.9, sides=1).n_exact == pytest.approx(17.84713, abs=1e-3)


def test_r_power_prop_test_examples() -> None:
    # R ?power.prop.test examples:
    #   power.prop.test(n = 50, p1 = .50, p2 = .75)       ## => power = 0.740
    #   power.prop.test(p1 = .50, p2 = .75, power = .90)  ## =>     n = 76.7
    #   power.prop.test(n = 50, p1 = .5, power = .90)     ## =>    p2 = 0.8026
    assert power_two_proportions(0.50, 0.75, 50).power == pytest.approx(0.740, abs=0.0005)
    assert sample_size_two_proportions(0.50, 0.75, power=0.9).n_exact == pytest.approx(76.7, abs=0.05)
    assert power_two_proportions(0.50, 0.8026, 50).power == pytest.approx(0.90, abs=0.0005)
