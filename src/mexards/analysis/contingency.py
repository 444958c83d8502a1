"""Binary outcomes in two groups (e.g. 28-day mortality, AE incidence): Fisher's exact test and the risk
difference with Newcombe's hybrid score interval.

The 2x2 table is [[a, b], [c, d]]: rows are the groups (1, 2), columns are (event, no event).

- Fisher's exact test (Fisher RA, *The Design of Experiments*, 1935, section 2; Agresti A, *Categorical Data
  Analysis*, 2nd ed., Wiley 2002, section 3.5): given the margins, a follows the hypergeometric distribution.
  One-sided p-values are its tails; the two-sided p-value sums the probabilities of all tables no more likely than
  the observed one (relative tolerance 1e-7, as R's ``fisher.test``). The odds ratio is the conditional maximum
  likelihood estimate under the noncentral hypergeometric distribution, with the exact conditional interval
  obtained by inverting the two one-sided tests (Agresti 2002, section 3.6.1; R ``fisher.test``).
- Risk difference p1 - p2 with Newcombe's hybrid score interval (Newcombe RG, "Interval estimation for the
  difference between independent proportions: comparison of eleven methods", Stat Med 1998;17:873-890, method
  10; with continuity-corrected Wilson limits, method 11): with (l_i, u_i) the Wilson limits for p_i,
  L = d - sqrt((p1 - l1)^2 + (u2 - p2)^2) and U = d + sqrt((u1 - p1)^2 + (p2 - l2)^2).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import optimize, special

from mexards.analysis.binomial import ProportionInterval, proportion_from_outcomes, proportion_interval
from mexards.analysis.observation import MaybeBool, check_confidence, check_count
from mexards.domain.errors import ValidationError


@dataclass(frozen=True, slots=True)
class FisherExactTest:
    """Fisher's exact test for a 2x2 table with the conditional MLE odds ratio and its exact interval."""

    table: tuple[tuple[int, int], tuple[int, int]]
    p_value: float
    p_less: float
    p_greater: float
    odds_ratio: float
    odds_ratio_lower: float
    odds_ratio_upper: float
    confidence: float
    n_missing: int
    method: str


@dataclass(frozen=True, slots=True)
class RiskDifference:
    """p1 - p2 with Newcombe's hybrid score interval."""

    events_1: int
    n_1: int
    events_2: int
    n_2: int
    estimate: float
    lower: float
    upper: float
    confidence: float
    n_missing: int
    method: str


@dataclass(frozen=True, slots=True)
class BinaryComparison:
    """Everything a results table shows for a binary outcome in two groups."""

    proportion_1: ProportionInterval
    proportion_2: ProportionInterval
    risk_difference: RiskDifference
    fisher: FisherExactTest
    n_missing: int


def fisher_exact(a: int, b: int, c: int, d: int, *, confidence: float = 0.95, n_missing: int = 0) -> FisherExactTest:
    """Fisher's exact test of the table [[a, b], [c, d]] (rows: groups; columns: event, no event)."""
    cells = [check_count(value, name) for value, name in ((a, "a"), (b, "b"), (c, "c"), (d, "d"))]
    a, b, c, d = cells
    confidence = check_confidence(confidence)
    if a + b + c + d == 0:
        raise ValidationError("table", "must contain at least one observation", cells)
    row_1, row_2, column_1 = a + b, c + d, a + c
    support = np.arange(max(0, column_1 - row_2), min(row_1, column_1) + 1)
    log_weights = _log_comb(row_1, support) + _log_comb(row_2, column_1 - support)
    null = _normalised(log_weights)
    observed = int(np.searchsorted(support, a))
    p_less = float(null[: observed + 1].sum())
    p_greater = float(null[observed:].sum())
    p_value = float(null[null <= null[observed] * (1.0 + 1e-7)].sum())

    def mean_at(log_psi: float) -> float:
        return float(_normalised(log_weights + support * log_psi) @ support)

    def upper_tail(log_psi: float) -> float:
        return float(_normalised(log_weights + support * log_psi)[observed:].sum())

    def lower_tail(log_psi: float) -> float:
        return float(_normalised(log_weights + support * log_psi)[: observed + 1].sum())

    low, high = int(support[0]), int(support[-1])
    tail = (1.0 - confidence) / 2.0
    if low == high:
        odds_ratio, lower, upper = math.nan, 0.0, math.inf
    else:
        odds_ratio = 0.0 if a == low else math.inf if a == high else _solve(lambda t: mean_at(t) - a)
        lower = 0.0 if a == low else _solve(lambda t: upper_tail(t) - tail)
        upper = math.inf if a == high else _solve(lambda t: lower_tail(t) - tail)
    return FisherExactTest(
        table=((a, b), (c, d)),
        p_value=min(1.0, p_value),
        p_less=min(1.0, p_less),
        p_greater=min(1.0, p_greater),
        odds_ratio=odds_ratio,
        odds_ratio_lower=lower,
        odds_ratio_upper=upper,
        confidence=confidence,
        n_missing=n_missing,
        method=(
            f"Fisher's exact test; conditional maximum likelihood odds ratio with exact {confidence * 100:g}% interval"
        ),
    )


def risk_difference(
    events_1: int,
    n_1: int,
    events_2: int,
    n_2: int,
    *,
    confidence: float = 0.95,
    continuity_correction: bool = False,
    n_missing: int = 0,
) -> RiskDifference:
    """Difference of proportions events_1/n_1 - events_2/n_2 with Newcombe's hybrid score interval."""
    first = proportion_interval(
        events_1, n_1, confidence=confidence, method="wilson-cc" if continuity_correction else "wilson"
    )
    second = proportion_interval(
        events_2, n_2, confidence=confidence, method="wilson-cc" if continuity_correction else "wilson"
    )
    estimate = first.estimate - second.estimate
    lower = estimate - math.hypot(first.estimate - first.lower, second.upper - second.estimate)
    upper = estimate + math.hypot(first.upper - first.estimate, second.estimate - second.lower)
    return RiskDifference(
        events_1=first.events,
        n_1=first.n,
        events_2=second.events,
        n_2=second.n,
        estimate=estimate,
        lower=max(lower, -1.0),
        upper=min(upper, 1.0),
        confidence=first.confidence,
        n_missing=check_count(n_missing, "n_missing"),
        method=(
            f"risk difference with Newcombe hybrid score {first.confidence * 100:g}% interval"
            + (" (continuity-corrected Wilson limits)" if continuity_correction else "")
        ),
    )


def compare_binary(
    outcomes_1: Sequence[MaybeBool],
    outcomes_2: Sequence[MaybeBool],
    *,
    confidence: float = 0.95,
) -> BinaryComparison:
    """Proportions (Wilson intervals), risk difference (Newcombe) and Fisher's test for two groups' outcomes.

    Missing outcomes (``None``) are excluded and counted.
    """
    first = proportion_from_outcomes(outcomes_1, confidence=confidence, method="wilson", field="outcomes_1")
    second = proportion_from_outcomes(outcomes_2, confidence=confidence, method="wilson", field="outcomes_2")
    n_missing = first.n_missing + second.n_missing
    return BinaryComparison(
        proportion_1=first,
        proportion_2=second,
        risk_difference=risk_difference(
            first.events, first.n, second.events, second.n, confidence=confidence, n_missing=n_missing
        ),
        fisher=fisher_exact(
            first.events,
            first.n - first.events,
            second.events,
            second.n - second.events,
            confidence=confidence,
            n_missing=n_missing,
        ),
        n_missing=n_missing,
    )


def _log_comb(n: int, k: np.ndarray) -> np.ndarray:
    return np.asarray(special.gammaln(n + 1) - special.gammaln(k + 1) - special.gammaln(n - k + 1))


def _normalised(log_weights: np.ndarray) -> np.ndarray:
    shifted = np.exp(log_weights - log_weights.max())
    return np.asarray(shifted / shifted.sum())


def _solve(function: Callable[[float], float]) -> float:
    """exp of the root in log(psi) of an increasing-or-decreasing function, found by widening the bracket."""
    low, high = -1.0, 1.0
    while function(low) * function(high) > 0.0:
        low, high = low * 2.0, high * 2.0
        if high > 1e3:
            raise ValidationError("table", "odds ratio equation has no finite root", None)
    return math.exp(float(optimize.brentq(function, low, high, xtol=1e-12, rtol=1e-12)))
