"""BOIN boundaries and MTD selection against BOIN 2.7.2 (R) outputs recorded in dosefinding.md 3.1 and 3.2.

R calls: ``BOIN::get.boundary(target, ncohort = 10, cohortsize = 3)`` (and ``cohortsize = 1`` for the full
n = 1..30 tables), ``BOIN::select.mtd(...)``. Lambdas: Liu & Yuan (2015) JRSS-C 64:507-523, eq. 2.5; rounded
values tabulated in Yuan et al. (2016) Clin Cancer Res 22:4291, Table 1. Boundaries are integers and compared
exactly; lambdas to 1e-9 (the reference prints 10 significant digits).
"""

from __future__ import annotations

import pytest

from mexards.dosefinding.boin import boin_boundaries, boin_lambdas, select_mtd
from mexards.dosefinding.isotonic import isotonic_estimates

LAMBDA_TOLERANCE = 1e-9


@pytest.mark.parametrize(
    ("target", "lambda_e", "lambda_d"),
    [
        (0.20, 0.1572422867, 0.2384624388),
        (0.25, 0.1968008706, 0.2983921524),
        (0.30, 0.2364906852, 0.3585194646),
        (0.33, 0.2603767437, 0.3947158683),
    ],
)
def test_lambdas_match_boin_get_boundary(target: float, lambda_e: float, lambda_d: float) -> None:
    # dosefinding.md 3.1, lambda table (BOIN 2.7.2 get.boundary$lambda_e / $lambda_d)
    computed_e, computed_d = boin_lambdas(target)
    assert computed_e == pytest.approx(lambda_e, abs=LAMBDA_TOLERANCE)
    assert computed_d == pytest.approx(lambda_d, abs=LAMBDA_TOLERANCE)


FULL_TABLES = {
    0.25: (
        "0 0 0 0 0 1 1 1 1 1 2 2 2 2 2 3 3 3 3 3 4 4 4 4 4 5 5 5 5 5",
        "1 1 1 2 2 2 3 3 3 3 4 4 4 5 5 5 6 6 6 6 7 7 7 8 8 8 9 9 9 9",
        "NA NA 3 3 3 4 4 4 5 5 6 6 6 7 7 7 8 8 8 9 9 9 10 10 10 11 11 11 12 12",
    ),
    0.30: (
        "0 0 0 0 1 1 1 1 2 2 2 2 3 3 3 3 4 4 4 4 4 5 5 5 5 6 6 6 6 7",
        "1 1 2 2 2 3 3 3 4 4 4 5 5 6 6 6 7 7 7 8 8 8 9 9 9 10 10 11 11 11",
        "NA NA 3 3 4 4 5 5 5 6 6 7 7 8 8 8 9 9 9 10 10 11 11 11 12 12 12 13 13 14",
    ),
}


def _row(text: str) -> list[int | None]:
    return [None if token == "NA" else int(token) for token in text.split()]


def _eliminate(bounds_target: float) -> list[int | None]:
    bounds = boin_boundaries(bounds_target, 30)
    return [bounds.eliminate_at(n) for n in range(1, 31)]


@pytest.mark.parametrize("target", [0.25, 0.30])
def test_full_boundary_table_n_1_to_30_matches_get_boundary(target: float) -> None:
    # dosefinding.md 3.1 "Full tables for n = 1..30" (get.boundary(target, 30, 1)$full_boundary_tab)
    escalate, deescalate, eliminate = FULL_TABLES[target]
    bounds = boin_boundaries(target, 30)
    assert bounds.escalate_max[1:].tolist() == _row(escalate)
    assert bounds.deescalate_min[1:].tolist() == _row(deescalate)
    assert _eliminate(target) == _row(eliminate)


PER_COHORT = {
    # dosefinding.md 3.1 per-cohort tables, n = 3, 6, ..., 30 (get.boundary(target, 10, 3)$boundary_tab)
    0.25: ([0, 1, 1, 2, 2, 3, 4, 4, 5, 5], [1, 2, 3, 4, 5, 6, 7, 8, 9, 9], [3, 4, 5, 6, 7, 8, 9, 10, 11, 12]),
    0.30: (
        [0, 1, 2, 2, 3, 4, 4, 5, 6, 7],
        [2, 3, 4, 5, 6, 7, 8, 9, 10, 11],
        [3, 4, 5, 7, 8, 9, 10, 11, 12, 14],
    ),
}


@pytest.mark.parametrize("target", [0.25, 0.30])
def test_per_cohort_boundary_table_for_ten_cohorts_of_three_matches_get_boundary(target: float) -> None:
    escalate, deescalate, eliminate = PER_COHORT[target]
    bounds = boin_boundaries(target, 30)
    ns = range(3, 31, 3)
    assert [int(bounds.escalate_max[n]) for n in ns] == escalate
    assert [int(bounds.deescalate_min[n]) for n in ns] == deescalate
    assert [bounds.eliminate_at(n) for n in ns] == eliminate


def test_extrasafe_stopping_boundary_for_target_030_matches_get_boundary() -> None:
    # dosefinding.md 3.1: get.boundary(0.3, 30, 1, extrasafe = TRUE)$stop_boundary, offset 0.05
    expected = _row("NA NA 2 3 3 4 4 4 5 5 6 6 6 7 7 8 8 8 9 9 9 10 10 10 11 11 12 12 12 13")
    bounds = boin_boundaries(0.30, 30, extrasafe=True)
    assert [bounds.stop_at(n) for n in range(1, 31)] == expected


def test_select_mtd_first_example_gives_dose_3_with_its_isotonic_estimates() -> None:
    # dosefinding.md 3.2: select.mtd(0.3, npts = c(3,3,15,9,0), ntox = c(0,0,4,4,0)) -> MTD 3,
    # p_est 0.02, 0.02, 0.27, 0.45 (printed to 2 decimals, so tolerance 0.005)
    assert select_mtd(0.3, [3, 3, 15, 9, 0], [0, 0, 4, 4, 0]) == 3
    iso = isotonic_estimates([3, 3, 15, 9, 0], [0, 0, 4, 4, 0], [True] * 5)
    assert iso.doses == (1, 2, 3, 4)
    assert iso.estimates == pytest.approx((0.02, 0.02, 0.27, 0.45), abs=0.005)


def test_select_mtd_second_example_gives_dose_2() -> None:
    # dosefinding.md 3.2: select.mtd(0.25, npts = c(3,6,9), ntox = c(0,1,4)) -> MTD 2, p_est 0.02, 0.17, 0.45
    assert select_mtd(0.25, [3, 6, 9], [0, 1, 4]) == 2
    iso = isotonic_estimates([3, 6, 9], [0, 1, 4], [True] * 3)
    assert iso.estimates == pytest.approx((0.02, 0.17, 0.45), abs=0.005)


def test_select_mtd_third_example_selects_no_dose_when_the_lowest_is_eliminated() -> None:
    # dosefinding.md 3.2: select.mtd(0.25, npts = c(3,0,0), ntox = c(3,0,0)) -> MTD 99 (none)
    assert select_mtd(0.25, [3, 0, 0], [3, 0, 0]) is None
