"""Power and sample size for two-arm comparisons of a mean (e.g. change in PaO2/FiO2) or a proportion
(e.g. 28-day mortality).

With n_1 and n_2 per arm, the noncentrality is lambda = (delta / sigma) * sqrt(n_1 n_2 / (n_1 + n_2)).

- Normal approximation (Chow SC, Shao J, Wang H, *Sample Size Calculations in Clinical Research*, 2nd ed.,
  Chapman & Hall 2008, section 3.2): two-sided power = Phi(lambda - z_{1-alpha/2}) + Phi(-lambda - z_{1-alpha/2});
  one-sided power (alternative delta > 0) = Phi(lambda - z_{1-alpha}).
- t-based (exact for the two-sample t test with equal variances): power = P(T' > t_crit) + P(T' < -t_crit)
  where T' is noncentral t on n_1 + n_2 - 2 df with noncentrality lambda (as R ``power.t.test(strict = TRUE)``).
- Two proportions, normal approximation with the pooled variance under H0 and the unpooled variance under H1
  (Fleiss JL, Levin B, Paik MC, *Statistical Methods for Rates and Proportions*, 3rd ed., Wiley 2003,
  section 4.2; R ``power.prop.test``): with d = p_1 - p_2, p_bar = (n_1 p_1 + n_2 p_2) / (n_1 + n_2),
  power = Phi((|d| - z sqrt(p_bar q_bar (1/n_1 + 1/n_2))) / sqrt(p_1 q_1 / n_1 + p_2 q_2 / n_2)) plus the
  opposite tail for two-sided tests.

Sample sizes are the smallest whole numbers per arm reaching the target power; ``n_exact`` is the real-valued
solution (what R's ``power.*.test`` prints).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from scipy import integrate, optimize, stats

from mexards.analysis.observation import check_confidence, check_positive, check_probability
from mexards.domain.errors import ValidationError

PowerMethod = Literal["t", "normal"]


@dataclass(frozen=True, slots=True)
class PowerResult:
    """Power of a two-arm comparison at a given effect and size."""

    power: float
    effect: float
    n_1: float
    n_2: float
    alpha: float
    sides: int
    method: str


@dataclass(frozen=True, slots=True)
class SampleSize:
    """Smallest whole sizes per arm reaching ``target_power``, with the power they achieve."""

    n_1: int
    n_2: int
    n_exact: float
    target_power: float
    achieved_power: float
    effect: float
    alpha: float
    sides: int
    method: str


@dataclass(frozen=True, slots=True)
class PowerCurve:
    """Power as a function of the effect, at fixed sizes."""

    effects: tuple[float, ...]
    powers: tuple[float, ...]
    n_1: float
    n_2: float
    alpha: float
    sides: int
    method: str


def power_mean_difference(
    delta: float,
    sd: float,
    n_per_group: float,
    *,
    n_control: float | None = None,
    alpha: float = 0.05,
    sides: int = 2,
    method: PowerMethod = "t",
) -> PowerResult:
    """Power to detect a mean difference ``delta`` with common SD ``sd`` (two-sample t test or z test)."""
    delta, sd, alpha, sides, method = _check_mean_inputs(delta, sd, alpha, sides, method)
    n_1, n_2 = _sizes(n_per_group, n_control, minimum=2.0 if method == "t" else 1.0)
    return PowerResult(
        power=_mean_power(delta / sd, n_1, n_2, alpha, sides, method),
        effect=delta,
        n_1=n_1,
        n_2=n_2,
        alpha=alpha,
        sides=sides,
        method=_mean_text(method, sides),
    )


def sample_size_mean_difference(
    delta: float,
    sd: float,
    *,
    power: float = 0.8,
    alpha: float = 0.05,
    sides: int = 2,
    method: PowerMethod = "t",
    allocation_ratio: float = 1.0,
) -> SampleSize:
    """Per-arm sizes (n_2 = allocation_ratio * n_1) giving at least ``power`` for a mean difference ``delta``."""
    delta, sd, alpha, sides, method = _check_mean_inputs(delta, sd, alpha, sides, method)
    if delta == 0.0:
        raise ValidationError("delta", "must not be 0 to compute a sample size", delta)
    target = check_probability(power, "power", open_interval=True)
    ratio = check_positive(allocation_ratio, "allocation_ratio")
    if target <= alpha / sides:
        raise ValidationError("power", "must exceed the type I error of the test", power)
    minimum = max(2.0, 2.0 / ratio) if method == "t" else 1.0 / min(1.0, ratio)

    def power_at(n: float) -> float:
        return _mean_power(delta / sd, n, ratio * n, alpha, sides, method)

    return _sample_size(power_at, minimum, ratio, target, delta, alpha, sides, _mean_text(method, sides))


def power_two_proportions(
    p_1: float,
    p_2: float,
    n_per_group: float,
    *,
    n_control: float | None = None,
    alpha: float = 0.05,
    sides: int = 2,
) -> PowerResult:
    """Power to detect proportions ``p_1`` vs ``p_2`` (normal approximation, Fleiss et al. 2003)."""
    p_1, p_2, alpha, sides = _check_proportion_inputs(p_1, p_2, alpha, sides)
    n_1, n_2 = _sizes(n_per_group, n_control, minimum=1.0)
    return PowerResult(
        power=_proportion_power(p_1, p_2, n_1, n_2, alpha, sides),
        effect=p_1 - p_2,
        n_1=n_1,
        n_2=n_2,
        alpha=alpha,
        sides=sides,
        method=_proportion_text(sides),
    )


def sample_size_two_proportions(
    p_1: float,
    p_2: float,
    *,
    power: float = 0.8,
    alpha: float = 0.05,
    sides: int = 2,
    allocation_ratio: float = 1.0,
) -> SampleSize:
    """Per-arm sizes (n_2 = allocation_ratio * n_1) giving at least ``power`` to detect ``p_1`` vs ``p_2``."""
    p_1, p_2, alpha, sides = _check_proportion_inputs(p_1, p_2, alpha, sides)
    if p_1 == p_2:
        raise ValidationError("p_2", "must differ from p_1 to compute a sample size", p_2)
    target = check_probability(power, "power", open_interval=True)
    ratio = check_positive(allocation_ratio, "allocation_ratio")
    if target <= alpha / sides:
        raise ValidationError("power", "must exceed the type I error of the test", power)

    def power_at(n: float) -> float:
        return _proportion_power(p_1, p_2, n, ratio * n, alpha, sides)

    minimum = 1.0 / min(1.0, ratio)
    return _sample_size(power_at, minimum, ratio, target, p_1 - p_2, alpha, sides, _proportion_text(sides))


def mean_difference_power_curve(
    deltas: Sequence[float],
    sd: float,
    n_per_group: float,
    *,
    n_control: float | None = None,
    alpha: float = 0.05,
    sides: int = 2,
    method: PowerMethod = "t",
) -> PowerCurve:
    """Power at each mean difference in ``deltas`` for fixed sizes."""
    results = [
        power_mean_difference(delta, sd, n_per_group, n_control=n_control, alpha=alpha, sides=sides, method=method)
        for delta in deltas
    ]
    return _curve(results, deltas, n_per_group, n_control, alpha, sides, _mean_text(method, sides))


def proportion_power_curve(
    p_control: float,
    p_treatment: Sequence[float],
    n_per_group: float,
    *,
    n_control: float | None = None,
    alpha: float = 0.05,
    sides: int = 2,
) -> PowerCurve:
    """Power at each treatment-arm proportion in ``p_treatment`` against ``p_control``; effects are differences."""
    results = [
        power_two_proportions(p, p_control, n_per_group, n_control=n_control, alpha=alpha, sides=sides)
        for p in p_treatment
    ]
    effects = [result.effect for result in results]
    return _curve(results, effects, n_per_group, n_control, alpha, sides, _proportion_text(sides))


def _mean_power(standardised: float, n_1: float, n_2: float, alpha: float, sides: int, method: str) -> float:
    noncentrality = standardised * math.sqrt(n_1 * n_2 / (n_1 + n_2))
    if method == "normal":
        if sides == 2:
            z = float(stats.norm.isf(alpha / 2.0))
            return float(stats.norm.cdf(abs(noncentrality) - z) + stats.norm.cdf(-abs(noncentrality) - z))
        return float(stats.norm.cdf(noncentrality - stats.norm.isf(alpha)))
    df = n_1 + n_2 - 2.0
    if sides == 2:
        t_critical = float(stats.t.isf(alpha / 2.0, df))
        # P(T' < -c) is computed as P(T'(-lambda) > c): scipy's nct.cdf can return NaN far in the tail.
        return _noncentral_t_sf(t_critical, df, abs(noncentrality)) + _noncentral_t_sf(
            t_critical, df, -abs(noncentrality)
        )
    return _noncentral_t_sf(float(stats.t.isf(alpha, df)), df, noncentrality)


def _noncentral_t_sf(x: float, df: float, noncentrality: float) -> float:
    """P(T' > x) for noncentral t; falls back to P = E[Phi(lambda - x sqrt(V / df))], V ~ chi-square(df)."""
    value = float(stats.nct.sf(x, df, noncentrality))
    if math.isfinite(value) and 0.0 <= value <= 1.0:
        return value

    def integrand(v: float) -> float:
        return float(stats.norm.cdf(noncentrality - x * math.sqrt(v / df)) * stats.chi2.pdf(v, df))

    return min(1.0, max(0.0, float(integrate.quad(integrand, 0.0, math.inf, limit=200)[0])))


def _proportion_power(p_1: float, p_2: float, n_1: float, n_2: float, alpha: float, sides: int) -> float:
    difference = p_1 - p_2
    pooled = (n_1 * p_1 + n_2 * p_2) / (n_1 + n_2)
    null_sd = math.sqrt(pooled * (1.0 - pooled) * (1.0 / n_1 + 1.0 / n_2))
    alternative_sd = math.sqrt(p_1 * (1.0 - p_1) / n_1 + p_2 * (1.0 - p_2) / n_2)
    z = float(stats.norm.isf(alpha / sides))
    if alternative_sd == 0.0:
        # Both proportions are 0 or 1: the observed difference is certain.
        return 1.0 if abs(difference) > z * null_sd else alpha
    if sides == 2:
        return float(
            stats.norm.cdf((abs(difference) - z * null_sd) / alternative_sd)
            + stats.norm.cdf((-abs(difference) - z * null_sd) / alternative_sd)
        )
    return float(stats.norm.cdf((difference - z * null_sd) / alternative_sd))


def _sample_size(
    power_at: Callable[[float], float],
    minimum: float,
    ratio: float,
    target: float,
    effect: float,
    alpha: float,
    sides: int,
    method: str,
) -> SampleSize:
    if power_at(minimum) >= target:
        n_exact = minimum
    else:
        high = max(2.0 * minimum, 4.0)
        while power_at(high) < target:
            high *= 2.0
            if high > 1e9:
                raise ValidationError("power", "is not reachable with any sample size", target)
        n_exact = float(optimize.brentq(lambda n: power_at(n) - target, minimum, high, xtol=1e-10))
    n_1 = max(math.ceil(n_exact - 1e-9), math.ceil(minimum))
    n_2 = math.ceil(ratio * n_1 - 1e-9)
    while power_at(n_1) < target:  # whole sizes are checked against the target, never assumed
        n_1 += 1
        n_2 = math.ceil(ratio * n_1 - 1e-9)
    return SampleSize(
        n_1=n_1,
        n_2=n_2,
        n_exact=n_exact,
        target_power=target,
        achieved_power=power_at(float(n_1)),
        effect=effect,
        alpha=alpha,
        sides=sides,
        method=method,
    )


def _curve(
    results: list[PowerResult],
    effects: Sequence[float],
    n_per_group: float,
    n_control: float | None,
    alpha: float,
    sides: int,
    method: str,
) -> PowerCurve:
    n_1, n_2 = _sizes(n_per_group, n_control, minimum=1.0)
    return PowerCurve(
        effects=tuple(float(e) for e in effects),
        powers=tuple(result.power for result in results),
        n_1=n_1,
        n_2=n_2,
        alpha=alpha,
        sides=sides,
        method=method,
    )


def _check_mean_inputs(
    delta: float, sd: float, alpha: float, sides: int, method: str
) -> tuple[float, float, float, int, PowerMethod]:
    if not isinstance(delta, int | float) or isinstance(delta, bool) or not math.isfinite(delta):
        raise ValidationError("delta", "must be a finite number", delta)
    if method not in ("t", "normal"):
        raise ValidationError("method", "must be t or normal", method)
    return float(delta), check_positive(sd, "sd"), _check_alpha(alpha), _check_sides(sides), method  # type: ignore[return-value]


def _check_proportion_inputs(p_1: float, p_2: float, alpha: float, sides: int) -> tuple[float, float, float, int]:
    return (
        check_probability(p_1, "p_1"),
        check_probability(p_2, "p_2"),
        _check_alpha(alpha),
        _check_sides(sides),
    )


def _check_alpha(alpha: float) -> float:
    return check_confidence(alpha, "alpha")


def _check_sides(sides: int) -> int:
    if sides not in (1, 2) or isinstance(sides, bool):
        raise ValidationError("sides", "must be 1 or 2", sides)
    return int(sides)


def _sizes(n_per_group: float, n_control: float | None, *, minimum: float) -> tuple[float, float]:
    n_1 = check_positive(n_per_group, "n_per_group")
    n_2 = n_1 if n_control is None else check_positive(n_control, "n_control")
    for name, value in (("n_per_group", n_1), ("n_control", n_2)):
        if value < minimum:
            raise ValidationError(name, f"must be at least {minimum:g}", value)
    return n_1, n_2


def _mean_text(method: str, sides: int) -> str:
    test = "two-sample t test (noncentral t)" if method == "t" else "two-sample z test (normal approximation)"
    return f"power of the {'two' if sides == 2 else 'one'}-sided {test}"


def _proportion_text(sides: int) -> str:
    return (
        f"power of the {'two' if sides == 2 else 'one'}-sided two-proportion z test "
        "(pooled variance under H0, Fleiss et al. 2003)"
    )
