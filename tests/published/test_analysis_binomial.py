"""Single-proportion intervals against Newcombe RG, "Two-sided confidence intervals for the single proportion:
comparison of seven methods", Stat Med 1998;17:857-872, Table I (95% limits, printed to 4 decimals).

Tolerance: 0.00005 (half a unit of the last printed decimal) plus float noise. Newcombe prints the Wald lower
limits of 0/20 and 1/29 as "<0.0000" (overshoot below zero); this package clips limits to [0, 1], so 0 is expected.
"""

from __future__ import annotations

import pytest

from mexards.analysis.binomial import ProportionMethod, proportion_interval

TOLERANCE = 0.00005 + 1e-9

# (events, n): {method: (lower, upper)}; methods 1-7 of Newcombe 1998, Table I.
TABLE_I: dict[tuple[int, int], dict[ProportionMethod, tuple[float, float]]] = {
    (81, 263): {
        "wald": (0.2522, 0.3638),
        "wald-cc": (0.2503, 0.3657),
        "wilson": (0.2553, 0.3662),
        "wilson-cc": (0.2535, 0.3682),
        "clopper-pearson": (0.2527, 0.3676),
        "mid-p": (0.2544, 0.3658),
        "likelihood-ratio": (0.2542, 0.3655),
    },
    (15, 148): {
        "wald": (0.0527, 0.1500),
        "wald-cc": (0.0494, 0.1534),
        "wilson": (0.0624, 0.1605),
        "wilson-cc": (0.0598, 0.1644),
        "clopper-pearson": (0.0578, 0.1617),
        "mid-p": (0.0601, 0.1581),
        "likelihood-ratio": (0.0596, 0.1567),
    },
    (0, 20): {
        "wald": (0.0, 0.0),
        "wald-cc": (0.0, 0.0250),
        "wilson": (0.0, 0.1611),
        "wilson-cc": (0.0, 0.2005),
        "clopper-pearson": (0.0, 0.1684),
        "mid-p": (0.0, 0.1391),
        "likelihood-ratio": (0.0, 0.0916),
    },
    (1, 29): {
        "wald": (0.0, 0.1009),
        "wald-cc": (0.0, 0.1181),
        "wilson": (0.0061, 0.1718),
        "wilson-cc": (0.0018, 0.1963),
        "clopper-pearson": (0.0009, 0.1776),
        "mid-p": (0.0017, 0.1585),
        "likelihood-ratio": (0.0020, 0.1432),
    },
}

CASES = [(events, n, method, limits) for (events, n), methods in TABLE_I.items() for method, limits in methods.items()]


@pytest.mark.parametrize(("events", "n", "method", "limits"), CASES)
def test_newcombe_1998_table_one_limits_are_reproduced(
    events: int, n: int, method: ProportionMethod, limits: tuple[float, float]
) -> None:
    result = proportion_interval(events, n, method=method, confidence=0.95)
    assert result.lower == pytest.approx(limits[0], abs=TOLERANCE)
    assert result.upper == pytest.approx(limits[1], abs=TOLERANCE)
