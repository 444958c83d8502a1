"""Fisher's exact test and the Newcombe risk-difference interval against published examples."""

from __future__ import annotations

from fractions import Fraction

import pytest

from mexards.analysis.contingency import fisher_exact, risk_difference


def test_lady_tasting_tea_gives_17_over_70_one_sided_and_34_over_70_two_sided() -> None:
    # Fisher RA, The Design of Experiments (1935), section 2: 8 cups, 4 with milk first, 3 of 4 identified.
    # P = (C(4,3) C(4,1) + C(4,4) C(4,0)) / C(8,4) = 17/70 = 0.2429; two-sided 34/70 = 0.4857.
    # R: fisher.test(TeaTasting, alternative = "greater") prints p-value = 0.2429.
    result = fisher_exact(3, 1, 1, 3)
    assert result.p_greater == pytest.approx(float(Fraction(17, 70)), abs=1e-12)
    assert result.p_value == pytest.approx(float(Fraction(34, 70)), abs=1e-12)
    assert round(result.p_greater, 4) == 0.2429
    assert round(result.p_value, 4) == 0.4857


def test_lady_tasting_tea_conditional_odds_ratio_matches_r() -> None:
    # R: fisher.test(TeaTasting) prints odds ratio 6.408309 and 95% CI lower limit 0.2117329. R finds both roots
    # with uniroot at tolerance ~1e-4, so agreement is checked to a relative 1e-4 (the roots here are exact to
    # ~1e-12, see tests/unit/analysis/test_contingency.py).
    result = fisher_exact(3, 1, 1, 3)
    assert result.odds_ratio == pytest.approx(6.408309, rel=1e-4)
    assert result.odds_ratio_lower == pytest.approx(0.2117329, rel=1e-4)


# Newcombe RG, "Interval estimation for the difference between independent proportions: comparison of eleven
# methods", Stat Med 1998;17:873-890, Table II: method 10 (score, no continuity correction) and method 11
# (score, continuity-corrected). 95% limits printed to 4 decimals: tolerance 0.00005.
TABLE_II = [
    # (m, n, x, y): p1 = m/n, p2 = x/y; method 10 limits; method 11 limits
    ((56, 70, 48, 80), (0.0524, 0.3339), (0.0428, 0.3422)),
    ((9, 10, 3, 10), (0.1705, 0.8090), (0.1013, 0.8387)),
    ((5, 56, 0, 29), (-0.0381, 0.1926), (-0.0667, 0.2037)),
    ((0, 10, 0, 20), (-0.1611, 0.2775), (-0.2005, 0.3445)),
    ((0, 10, 0, 10), (-0.2775, 0.2775), (-0.3445, 0.3445)),
    ((10, 10, 0, 20), (0.6791, 1.0000), (0.6014, 1.0000)),
    ((10, 10, 0, 10), (0.6075, 1.0000), (0.5128, 1.0000)),
]


@pytest.mark.parametrize(("counts", "method_10", "method_11"), TABLE_II)
def test_newcombe_1998_table_two_score_intervals_are_reproduced(
    counts: tuple[int, int, int, int], method_10: tuple[float, float], method_11: tuple[float, float]
) -> None:
    m, n, x, y = counts
    plain = risk_difference(m, n, x, y)
    corrected = risk_difference(m, n, x, y, continuity_correction=True)
    assert (plain.lower, plain.upper) == pytest.approx(method_10, abs=0.00005 + 1e-9)
    assert (corrected.lower, corrected.upper) == pytest.approx(method_11, abs=0.00005 + 1e-9)
