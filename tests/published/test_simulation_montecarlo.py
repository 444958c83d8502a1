"""Monte Carlo operating characteristics agree with the exact reference vectors within 4 standard errors.

Sources: dosefinding.md 3.3 (BOIN B3), 3.6 (3+3 V1) and 3.8 (CRM E3), exact values; the reference notes that
MC-vs-exact comparisons need a tolerance of at least 3-4 sqrt(p(1-p)/ntrial) (BOIN's own seed-6 10k-trial run
is 2.3 SE away). Tolerance here: 4 standard errors of the estimate (computed from the exact value for
proportions), with fixed seeds, so the tests are deterministic.
"""

from __future__ import annotations

import math

import pytest

from mexards.dosefinding import BOIN, CRM, ThreePlusThree, getprior
from mexards.dosefinding.design import Design
from mexards.simulation import DoseFindingScenario, SerialExecutor, simulate_operating_characteristics

TRIALS = 20_000
SCENARIO = DoseFindingScenario((0.10, 0.25, 0.40), cohort_size=3, num_cohorts=6)
REFERENCE: list[tuple[str, Design, tuple[float, ...], float, tuple[float, ...]]] = [
    ("BOIN B3, 3.3", BOIN(3, 0.25), (0.228819, 0.577256, 0.191139), 0.002786, (7.866891, 7.038956, 3.061669)),
    ("3+3 V1, 3.6", ThreePlusThree(3), (0.362592, 0.375427, 0.168128), 0.093853, (3.729000, 3.865283, 2.335114)),
    (
        "CRM E3, 3.8",
        CRM(getprior(0.05, 0.25, 2, 3), 0.25),
        (0.210609, 0.462324, 0.327066),
        0.0,
        (6.643987, 7.232926, 4.123086),
    ),
]


def _within(estimate: float, exact: float, se: float) -> bool:
    return abs(estimate - exact) <= 4 * se + 1e-12


@pytest.mark.parametrize(("label", "design", "select", "none", "mean_n"), REFERENCE, ids=[r[0] for r in REFERENCE])
@pytest.mark.parametrize("seed", [1, 2])
def test_monte_carlo_is_within_four_standard_errors_of_the_exact_values(
    label: str, design: Design, select: tuple[float, ...], none: float, mean_n: tuple[float, ...], seed: int
) -> None:
    oc = simulate_operating_characteristics(design, SCENARIO, trials=TRIALS, seed=seed, executor=SerialExecutor())
    assert oc.standard_errors is not None
    for estimate, exact in zip((*oc.p_select, oc.p_no_mtd), (*select, none), strict=True):
        assert _within(estimate, exact, math.sqrt(exact * (1 - exact) / TRIALS)), label
    for estimate, exact, se in zip(oc.mean_n, mean_n, oc.standard_errors["mean_n"], strict=True):
        assert _within(estimate, exact, se), label
