"""Exact operating characteristics obtained by replaying every cohort path through the designs' own ``fit``.

Source: dosefinding.md 3.3 (BOIN B3 exact = BOIN 2.7.2 get.oc semantics), 3.6 (3+3 V1) and 3.8 (CRM E3,
dfcrm crmsim semantics), all for true DLT probabilities (0.10, 0.25, 0.40), target 0.25, cohorts of 3.
get.oc semantics: fixed number of cohorts, the last cohort is added without any check, then select.mtd.
Numbers are printed to 6 decimals in the reference, hence the tolerance 1e-6.
"""

from __future__ import annotations

from collections.abc import Callable
from math import comb

import pytest

from mexards.dosefinding import BOIN, CRM, Cohort, Design, ThreePlusThree, counts, getprior

P_TRUE = (0.10, 0.25, 0.40)
TOLERANCE = 1e-6

Final = Callable[[tuple[Cohort, ...]], int | None]


def _enumerate(design: Design, cohorts: int, final: Final) -> tuple[list[float], list[float]]:
    """Selection probabilities (index 0 = no dose) and expected patients per dose."""
    select = [0.0] * (design.num_doses + 1)
    patients = [0.0] * design.num_doses

    def leaf(path: tuple[Cohort, ...], prob: float, chosen: int | None) -> None:
        select[0 if chosen is None else chosen] += prob
        for cohort in path:
            patients[cohort.dose - 1] += prob * cohort.size

    def grow(path: tuple[Cohort, ...], prob: float) -> None:
        decision = design.fit(path)
        if not decision.should_continue or decision.recommended_dose is None:
            leaf(path, prob, decision.recommended_dose)
            return
        dose = decision.recommended_dose
        for k in range(4):
            nxt = (*path, Cohort(dose, tuple(i >= 3 - k for i in range(3))))
            weight = prob * comb(3, k) * P_TRUE[dose - 1] ** k * (1 - P_TRUE[dose - 1]) ** (3 - k)
            if len(nxt) == cohorts:
                leaf(nxt, weight, final(nxt))
            else:
                grow(nxt, weight)

    grow((), 1.0)
    return select, patients


def test_boin_b3_exact_operating_characteristics_match_get_oc() -> None:
    # dosefinding.md 3.3, scenario B3 (6 cohorts of 3)
    design = BOIN(3, 0.25)
    select, patients = _enumerate(design, 6, lambda path: design.select_mtd(*counts(path, 3)))
    assert select == pytest.approx([0.002786, 0.228819, 0.577256, 0.191139], abs=TOLERANCE)
    assert patients == pytest.approx([7.866891, 7.038956, 3.061669], abs=TOLERANCE)


def test_crm_e3_exact_operating_characteristics_match_dfcrm_crmsim_semantics() -> None:
    # dosefinding.md 3.8, scenario E3: skeleton getprior(0.05, 0.25, 2, 3), start dose 1, restrict = TRUE
    design = CRM(getprior(0.05, 0.25, 2, 3), 0.25)
    select, patients = _enumerate(design, 6, lambda path: design.fit(path).mtd)
    assert select == pytest.approx([0.0, 0.210609, 0.462324, 0.327066], abs=TOLERANCE)
    assert patients == pytest.approx([6.643987, 7.232926, 4.123086], abs=TOLERANCE)


def test_three_plus_three_v1_exact_operating_characteristics() -> None:
    # dosefinding.md 3.6, V1 (no de-escalation): P(no MTD) 0.093853; selection 0.362592, 0.375427, 0.168128
    design = ThreePlusThree(3)
    select, patients = _enumerate(design, 100, lambda path: design.fit(path).mtd)
    assert select == pytest.approx([0.093853, 0.362592, 0.375427, 0.168128], abs=TOLERANCE)
    assert patients == pytest.approx([3.729000, 3.865283, 2.335114], abs=TOLERANCE)
