"""Confidence intervals for a single binomial proportion (e.g. the DLT rate at one dose level).

The seven methods are those compared by Newcombe RG, "Two-sided confidence intervals for the single proportion:
comparison of seven methods", Stat Med 1998;17:857-872 (methods 1-7 of its Table I):

1. ``wald``: simple asymptotic, p ± z·sqrt(pq/n).
2. ``wald-cc``: the same with continuity correction, p ± (z·sqrt(pq/n) + 1/(2n)).
3. ``wilson``: score interval of Wilson EB, JASA 1927;22:209-212.
4. ``wilson-cc``: score interval with continuity correction (Newcombe 1998, method 4; Fleiss 1981).
5. ``clopper-pearson``: exact, by inverting two one-sided binomial tests (Clopper CJ, Pearson ES,
   Biometrika 1934;26:404-413), computed with beta quantiles.
6. ``mid-p``: exact with the mid-p correction (Newcombe 1998, method 6; Miettinen 1974).
7. ``likelihood-ratio``: the set of p whose likelihood-ratio statistic is below the chi-square(1) quantile
   (Newcombe 1998, method 7).

All limits are clipped to [0, 1] (Newcombe reports the Wald overshoots as aberrations; a clipped interval is
what a report shows).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal, get_args

from scipy import optimize, stats

from mexards.analysis.observation import MaybeBool, check_confidence, check_count, check_same_length, is_missing
from mexards.domain.errors import ValidationError

ProportionMethod = Literal["clopper-pearson", "wilson", "wilson-cc", "wald", "wald-cc", "mid-p", "likelihood-ratio"]
PROPORTION_METHODS: tuple[ProportionMethod, ...] = get_args(ProportionMethod)

_METHOD_TEXT: dict[str, str] = {
    "clopper-pearson": "exact Clopper-Pearson interval (beta quantiles)",
    "wilson": "Wilson score interval",
    "wilson-cc": "Wilson score interval with continuity correction",
    "wald": "Wald (simple asymptotic) interval, clipped to [0, 1]",
    "wald-cc": "Wald interval with continuity correction, clipped to [0, 1]",
    "mid-p": "exact mid-p interval",
    "likelihood-ratio": "likelihood-ratio interval",
}


@dataclass(frozen=True, slots=True)
class ProportionInterval:
    """A proportion with its two-sided confidence interval."""

    events: int
    n: int
    estimate: float
    lower: float
    upper: float
    confidence: float
    method: str
    n_missing: int = 0


def proportion_interval(
    events: int,
    n: int,
    *,
    confidence: float = 0.95,
    method: ProportionMethod = "clopper-pearson",
    n_missing: int = 0,
) -> ProportionInterval:
    """The proportion ``events / n`` with a two-sided interval by ``method`` (see the module docstring)."""
    events = check_count(events, "events")
    n = check_count(n, "n", minimum=1)
    if events > n:
        raise ValidationError("events", f"must not exceed n ({n})", events)
    confidence = check_confidence(confidence)
    n_missing = check_count(n_missing, "n_missing")
    if method not in _LIMITS:
        raise ValidationError("method", f"must be one of {', '.join(PROPORTION_METHODS)}", method)
    lower, upper = _LIMITS[method](events, n, confidence)
    estimate = events / n
    # Every method's interval contains the estimate; min/max only absorb floating-point rounding.
    return ProportionInterval(
        events=events,
        n=n,
        estimate=estimate,
        lower=min(max(lower, 0.0), estimate),
        upper=max(min(upper, 1.0), estimate),
        confidence=confidence,
        method=f"{_METHOD_TEXT[method]}, {confidence * 100:g}%",
        n_missing=n_missing,
    )


def clopper_pearson(events: int, n: int, *, confidence: float = 0.95) -> ProportionInterval:
    """Exact Clopper-Pearson interval (Clopper & Pearson 1934)."""
    return proportion_interval(events, n, confidence=confidence, method="clopper-pearson")


def wilson(events: int, n: int, *, confidence: float = 0.95, continuity_correction: bool = False) -> ProportionInterval:
    """Wilson score interval (Wilson 1927), optionally continuity-corrected (Newcombe 1998, method 4)."""
    method: ProportionMethod = "wilson-cc" if continuity_correction else "wilson"
    return proportion_interval(events, n, confidence=confidence, method=method)


def proportion_from_outcomes(
    outcomes: Sequence[MaybeBool],
    *,
    confidence: float = 0.95,
    method: ProportionMethod = "clopper-pearson",
    field: str = "outcomes",
) -> ProportionInterval:
    """The proportion of true outcomes among those observed; ``None`` outcomes are counted as missing."""
    events = 0
    n = 0
    n_missing = 0
    for index, outcome in enumerate(outcomes):
        if is_missing(outcome):
            n_missing += 1
            continue
        if outcome not in (0, 1):
            raise ValidationError(f"{field}[{index}]", "must be true, false or missing", outcome)
        n += 1
        events += int(bool(outcome))
    if n == 0:
        raise ValidationError(field, "needs at least one observed outcome", n_missing)
    return proportion_interval(events, n, confidence=confidence, method=method, n_missing=n_missing)


def proportion_intervals_by_dose(
    events: Sequence[int],
    n_treated: Sequence[int],
    *,
    confidence: float = 0.95,
    method: ProportionMethod = "clopper-pearson",
) -> tuple[ProportionInterval | None, ...]:
    """The event (e.g. DLT) rate with its interval at each dose level; ``None`` for a dose nobody received."""
    check_same_length(events, n_treated, ("events", "n_treated"))
    intervals: list[ProportionInterval | None] = []
    for index, (count, total) in enumerate(zip(events, n_treated, strict=True)):
        count = check_count(count, f"events[{index}]")
        total = check_count(total, f"n_treated[{index}]")
        if count > total:
            raise ValidationError(f"events[{index}]", f"must not exceed n_treated ({total})", count)
        intervals.append(
            None if total == 0 else proportion_interval(count, total, confidence=confidence, method=method)
        )
    return tuple(intervals)


def _z(confidence: float) -> float:
    return float(stats.norm.ppf(0.5 + confidence / 2.0))


def _wald(events: int, n: int, confidence: float) -> tuple[float, float]:
    p = events / n
    half = _z(confidence) * math.sqrt(p * (1.0 - p) / n)
    return p - half, p + half


def _wald_cc(events: int, n: int, confidence: float) -> tuple[float, float]:
    p = events / n
    half = _z(confidence) * math.sqrt(p * (1.0 - p) / n) + 1.0 / (2.0 * n)
    return p - half, p + half


def _wilson(events: int, n: int, confidence: float) -> tuple[float, float]:
    z = _z(confidence)
    p = events / n
    centre = 2.0 * n * p + z * z
    half = z * math.sqrt(z * z + 4.0 * n * p * (1.0 - p))
    denominator = 2.0 * (n + z * z)
    return (centre - half) / denominator, (centre + half) / denominator


def _wilson_cc(events: int, n: int, confidence: float) -> tuple[float, float]:
    # Newcombe 1998, method 4: L = 0 when p = 0 and U = 1 when p = 1.
    z = _z(confidence)
    p = events / n
    q = 1.0 - p
    denominator = 2.0 * (n + z * z)
    if events == 0:
        lower = 0.0
    else:
        root = math.sqrt(max(z * z - 2.0 - 1.0 / n + 4.0 * p * (n * q + 1.0), 0.0))
        lower = (2.0 * n * p + z * z - 1.0 - z * root) / denominator
    if events == n:
        upper = 1.0
    else:
        root = math.sqrt(max(z * z + 2.0 - 1.0 / n + 4.0 * p * (n * q - 1.0), 0.0))
        upper = (2.0 * n * p + z * z + 1.0 + z * root) / denominator
    return lower, upper


def _clopper_pearson(events: int, n: int, confidence: float) -> tuple[float, float]:
    tail = (1.0 - confidence) / 2.0
    lower = 0.0 if events == 0 else float(stats.beta.ppf(tail, events, n - events + 1))
    upper = 1.0 if events == n else float(stats.beta.ppf(1.0 - tail, events + 1, n - events))
    return lower, upper


def _mid_p(events: int, n: int, confidence: float) -> tuple[float, float]:
    tail = (1.0 - confidence) / 2.0

    def upper_tail(p: float) -> float:  # P(X > x) + P(X = x) / 2, increasing in p
        return float(stats.binom.sf(events, n, p) + 0.5 * stats.binom.pmf(events, n, p))

    def lower_tail(p: float) -> float:  # P(X < x) + P(X = x) / 2, decreasing in p
        return float(stats.binom.cdf(events - 1, n, p) + 0.5 * stats.binom.pmf(events, n, p))

    lower = 0.0 if events == 0 else _root(lambda p: upper_tail(p) - tail)
    upper = 1.0 if events == n else _root(lambda p: lower_tail(p) - tail)
    return lower, upper


def _likelihood_ratio(events: int, n: int, confidence: float) -> tuple[float, float]:
    critical = float(stats.chi2.ppf(confidence, 1))
    p_hat = events / n

    def log_likelihood(p: float) -> float:
        value = 0.0
        if events > 0:
            value += events * math.log(p)
        if events < n:
            value += (n - events) * math.log1p(-p)
        return value

    peak = log_likelihood(p_hat)

    def excess(p: float) -> float:
        return 2.0 * (peak - log_likelihood(p)) - critical

    lower = 0.0 if events == 0 else _root(excess, 0.0, p_hat)
    upper = 1.0 if events == n else _root(excess, p_hat, 1.0)
    return lower, upper


def _root(function: Callable[[float], float], low: float = 0.0, high: float = 1.0) -> float:
    eps = 1e-15
    return float(optimize.brentq(function, low + eps, high - eps, xtol=1e-14, rtol=1e-14))


_LIMITS: dict[str, Callable[[int, int, float], tuple[float, float]]] = {
    "clopper-pearson": _clopper_pearson,
    "wilson": _wilson,
    "wilson-cc": _wilson_cc,
    "wald": _wald,
    "wald-cc": _wald_cc,
    "mid-p": _mid_p,
    "likelihood-ratio": _likelihood_ratio,
}
