"""Exact operating characteristics against the published / reference vectors.

Sources:
- dosefinding.md 3.3: exact BOIN 2.7.2 ``get.oc`` semantics, scenario B3 (target 0.25, p = 0.10/0.25/0.40,
  6 cohorts of 3), computed by an independent enumeration that reproduces BOIN 2.7.2 exactly;
- dosefinding.md 3.6: exact 3+3 V1 (no de-escalation) for p = 0.10/0.25/0.40, by exact rational arithmetic,
  and the closed forms of Storer (1989, Biometrics 45:925-937) and Lin & Shih (2001, Biostatistics 2:203-215)
  for the probability that a dose passes, (1-p)^3 + 3p(1-p)^5;
- dosefinding.md 3.8: exact dfcrm ``crmsim`` semantics for E3 (empiric, skeleton getprior(0.05, 0.25, 2, 3),
  start dose 1, restrict=TRUE, 6 cohorts of 3), by enumeration with adaptive quadrature at epsrel 1e-10.
The reference prints 6 decimals, hence the tolerance 1e-6 (5e-7 rounding plus floating point).
"""

from __future__ import annotations

import math

import pytest

from mexards.dosefinding import BOIN, CRM, ThreePlusThree, getprior
from mexards.simulation import DoseFindingScenario, exact_operating_characteristics

P_TRUE = (0.10, 0.25, 0.40)
TOLERANCE = 1e-6
SCENARIO = DoseFindingScenario(P_TRUE, cohort_size=3, num_cohorts=6)


def test_boin_b3_exact_operating_characteristics_match_dosefinding_3_3() -> None:
    oc = exact_operating_characteristics(BOIN(3, 0.25), SCENARIO)
    assert oc.p_no_mtd == pytest.approx(0.002786, abs=TOLERANCE)
    assert oc.p_select == pytest.approx((0.228819, 0.577256, 0.191139), abs=TOLERANCE)
    assert oc.mean_n == pytest.approx((7.866891, 7.038956, 3.061669), abs=TOLERANCE)
    assert oc.mean_total_n == pytest.approx(17.967516, abs=TOLERANCE)
    assert oc.mean_dlt == pytest.approx((0.786689, 1.759739, 1.224668), abs=TOLERANCE)
    assert oc.mean_total_dlt == pytest.approx(3.771096, abs=TOLERANCE)


def test_three_plus_three_v1_exact_operating_characteristics_match_dosefinding_3_6() -> None:
    oc = exact_operating_characteristics(ThreePlusThree(3), SCENARIO)
    assert oc.p_no_mtd == pytest.approx(0.093853, abs=TOLERANCE)
    assert oc.p_select == pytest.approx((0.362592, 0.375427, 0.168128), abs=TOLERANCE)
    assert oc.mean_n == pytest.approx((3.729000, 3.865283, 2.335114), abs=TOLERANCE)
    assert oc.mean_total_n == pytest.approx(9.929398, abs=TOLERANCE)
    assert oc.mean_dlt == pytest.approx((0.372900, 0.966321, 0.934046), abs=TOLERANCE)
    assert oc.mean_total_dlt == pytest.approx(2.273267, abs=TOLERANCE)


def test_crm_e3_exact_operating_characteristics_match_dosefinding_3_8() -> None:
    design = CRM(getprior(0.05, 0.25, 2, 3), 0.25)
    oc = exact_operating_characteristics(design, SCENARIO)
    assert oc.p_select == pytest.approx((0.210609, 0.462324, 0.327066), abs=TOLERANCE)
    assert oc.p_no_mtd == 0.0
    assert oc.mean_n == pytest.approx((6.643987, 7.232926, 4.123086), abs=TOLERANCE)
    assert oc.mean_dlt == pytest.approx((0.664399, 1.808232, 1.649235), abs=TOLERANCE)
    assert oc.mean_total_dlt == pytest.approx(4.121865, abs=TOLERANCE)


# --- 3+3 closed forms (Storer 1989; Lin & Shih 2001), derived independently of the enumeration -------------


def _pass_with_3(p: float) -> float:
    return (1 - p) ** 3  # 0/3


def _pass_with_6(p: float) -> float:
    return 3 * p * (1 - p) ** 2 * (1 - p) ** 3  # 1/3 then 0/3


def _extra_three_pass(p: float) -> float:
    return (1 - p) ** 3 + 3 * p * (1 - p) ** 2  # <= 1 DLT in 3 more patients


def _v1(p_true: tuple[float, ...]) -> tuple[list[float], float, list[float]]:
    """V1: the MTD is the dose below the first failing dose; E[n] at a reached dose is 3 + 3 P(1/3)."""
    k = len(p_true)
    passes = [_pass_with_3(p) + _pass_with_6(p) for p in p_true]
    reach = [math.prod(passes[:i]) for i in range(k)]
    select = [reach[i] * passes[i] * (1 - passes[i + 1]) for i in range(k - 1)] + [reach[-1] * passes[-1]]
    mean_n = [reach[i] * (3 + 3 * 3 * p * (1 - p) ** 2) for i, p in enumerate(p_true)]
    return select, 1 - passes[0], mean_n


def _v2(p_true: tuple[float, ...]) -> tuple[list[float], float, list[float]]:
    """V2: after a failing dose, walk down; a dose that passed with 0/3 gets 3 more patients and is the MTD
    with <= 1/6, a dose that passed with <= 1/6 is the MTD at once; below dose 1 there is no MTD."""
    k = len(p_true)
    a = [_pass_with_3(p) for p in p_true]
    b = [_pass_with_6(p) for p in p_true]
    q = [_extra_three_pass(p) for p in p_true]
    fail = [1 - a[i] - b[i] for i in range(k)]
    reach = [math.prod(a[m] + b[m] for m in range(i)) for i in range(k)]
    select = [0.0] * k
    extra = [0.0] * k  # probability that the descent treats 3 more patients at the dose
    for i in range(k):
        for j in range(i + 1, k):  # first failing dose j above i
            through = math.prod(a[m] * (1 - q[m]) for m in range(i + 1, j))  # doses i+1..j-1 fail again
            select[i] += reach[i] * (b[i] + a[i] * q[i]) * through * fail[j]
            extra[i] += reach[i] * a[i] * through * fail[j]
    select[-1] += reach[-1] * (a[-1] + b[-1])
    mean_n = [reach[i] * (3 + 9 * p * (1 - p) ** 2) + 3 * extra[i] for i, p in enumerate(p_true)]
    return select, 1 - sum(select), mean_n


@pytest.mark.parametrize(
    "p_true",
    [P_TRUE, (0.05, 0.15, 0.30, 0.45, 0.60), (0.5, 0.6, 0.7), (0.0, 0.2, 1.0), (0.3, 0.3, 0.3, 0.3)],
)
@pytest.mark.parametrize("deescalate", [False, True])
def test_three_plus_three_exact_results_equal_the_closed_forms(p_true: tuple[float, ...], deescalate: bool) -> None:
    select, none, mean_n = (_v2 if deescalate else _v1)(p_true)
    scenario = DoseFindingScenario(p_true, 3, 2 * len(p_true))
    oc = exact_operating_characteristics(ThreePlusThree(len(p_true), allow_deescalate=deescalate), scenario)
    assert oc.p_select == pytest.approx(select, abs=1e-12)
    assert oc.p_no_mtd == pytest.approx(none, abs=1e-12)
    assert oc.mean_n == pytest.approx(mean_n, abs=1e-12)
    assert oc.mean_dlt == pytest.approx([p * n for p, n in zip(p_true, mean_n, strict=True)], abs=1e-12)


def test_three_plus_three_v2_for_the_b3_rates_derived_from_the_closed_form() -> None:
    # V2 is not tabulated in dosefinding.md 3.6; these are the closed-form values of _v2 to 6 decimals
    oc = exact_operating_characteristics(ThreePlusThree(3, allow_deescalate=True), SCENARIO)
    assert oc.p_no_mtd == pytest.approx(0.102950, abs=TOLERANCE)
    assert oc.p_select == pytest.approx((0.394750, 0.334171, 0.168128), abs=TOLERANCE)
    assert oc.mean_n == pytest.approx((4.703692, 4.657394, 2.335114), abs=TOLERANCE)


def test_the_probability_that_one_dose_passes_matches_the_tabulated_storer_values() -> None:
    # dosefinding.md 3.6: P(escalate) for p = 0.10, 0.30, 0.50 is 0.906147, 0.494263, 0.171875; a one-dose
    # 3+3 selects its dose exactly when it passes
    for p, passes in ((0.10, 0.906147), (0.30, 0.494263), (0.50, 0.171875)):
        oc = exact_operating_characteristics(ThreePlusThree(1), DoseFindingScenario((p,), 3, 2))
        assert oc.p_select[0] == pytest.approx(passes, abs=TOLERANCE)
