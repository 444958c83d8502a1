"""Two-sample comparisons of a continuous outcome: Welch's t test and the Mann-Whitney / Hodges-Lehmann shift.

- Welch: t = (mean_x - mean_y) / sqrt(s_x^2/n_x + s_y^2/n_y) on the Welch-Satterthwaite df
  (s_x^2/n_x + s_y^2/n_y)^2 / ((s_x^2/n_x)^2/(n_x-1) + (s_y^2/n_y)^2/(n_y-1)) (Welch BL, Biometrika
  1947;34:28-35; Satterthwaite FE, Biometrics Bull 1946;2:110-114). ``equal_variance=True`` gives Student's
  pooled t on n_x + n_y - 2 df.
- Mann-Whitney: U = #{x_i > y_j} + #{x_i = y_j}/2 (Mann HB, Whitney DR, Ann Math Stat 1947;18:50-60; R's
  ``wilcox.test`` W). Without ties and with both samples below 50, the two-sided p-value is exact (null
  distribution of U from the generating function prod_{i=1..m} (1 - q^(n+i)) / (1 - q^i)); otherwise the normal
  approximation with tie-corrected variance
  Var U = n_x n_y / 12 * ((N + 1) - sum (t^3 - t) / (N (N - 1))) and a continuity correction of 1/2.
- Hodges-Lehmann shift: the median of the n_x n_y differences x_i - y_j, with the distribution-free interval
  [D_(k), D_(n_x n_y + 1 - k)] whose k comes from the null distribution of U (exact case) or from
  k = floor(n_x n_y / 2 - z sqrt(Var U)) (large-sample case) (Hodges JL, Lehmann EL, Ann Math Stat
  1963;34:598-611; Hollander M, Wolfe DA, *Nonparametric Statistical Methods*, 2nd ed., Wiley 1999,
  section 4.3). Suited to skewed outcomes such as ventilator-free days.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
from scipy import stats

from mexards.analysis.observation import MaybeFloat, check_confidence, finite_values
from mexards.domain.errors import ValidationError

_EXACT_LIMIT = 50


@dataclass(frozen=True, slots=True)
class MeanDifference:
    """Difference in means (x minus y) with its t test and interval."""

    estimate: float
    std_error: float
    t: float
    df: float
    p_value: float
    lower: float
    upper: float
    mean_x: float
    mean_y: float
    n_x: int
    n_y: int
    n_missing: int
    confidence: float
    method: str


@dataclass(frozen=True, slots=True)
class ShiftComparison:
    """Mann-Whitney test and Hodges-Lehmann shift (x minus y) with its interval."""

    u_statistic: float
    p_value: float
    exact: bool
    estimate: float
    lower: float
    upper: float
    achieved_confidence: float | None
    n_x: int
    n_y: int
    n_missing: int
    confidence: float
    method: str


def welch_t_test(
    x: Sequence[MaybeFloat],
    y: Sequence[MaybeFloat],
    *,
    confidence: float = 0.95,
    equal_variance: bool = False,
) -> MeanDifference:
    """Welch's (or with ``equal_variance`` Student's) two-sample t test of mean(x) - mean(y)."""
    confidence = check_confidence(confidence)
    sample_x, missing_x = finite_values(x, "x")
    sample_y, missing_y = finite_values(y, "y")
    for name, sample in (("x", sample_x), ("y", sample_y)):
        if sample.size < 2:
            raise ValidationError(name, "needs at least two observed values", int(sample.size))
    n_x, n_y = int(sample_x.size), int(sample_y.size)
    var_x, var_y = float(sample_x.var(ddof=1)), float(sample_y.var(ddof=1))
    if equal_variance:
        df = float(n_x + n_y - 2)
        pooled = ((n_x - 1) * var_x + (n_y - 1) * var_y) / df
        std_error = math.sqrt(pooled * (1.0 / n_x + 1.0 / n_y))
    else:
        share_x, share_y = var_x / n_x, var_y / n_y
        std_error = math.sqrt(share_x + share_y)
        denominator = share_x**2 / (n_x - 1) + share_y**2 / (n_y - 1)
        df = (share_x + share_y) ** 2 / denominator if denominator > 0.0 else float(n_x + n_y - 2)
    if std_error == 0.0:
        raise ValidationError("x", "both samples are constant: the t statistic is undefined", None)
    mean_x, mean_y = float(sample_x.mean()), float(sample_y.mean())
    estimate = mean_x - mean_y
    t_value = estimate / std_error
    t_critical = float(stats.t.ppf(0.5 + confidence / 2.0, df))
    return MeanDifference(
        estimate=estimate,
        std_error=std_error,
        t=t_value,
        df=df,
        p_value=float(2.0 * stats.t.sf(abs(t_value), df)),
        lower=estimate - t_critical * std_error,
        upper=estimate + t_critical * std_error,
        mean_x=mean_x,
        mean_y=mean_y,
        n_x=n_x,
        n_y=n_y,
        n_missing=missing_x + missing_y,
        confidence=confidence,
        method=("Student pooled-variance" if equal_variance else "Welch")
        + f" two-sample t test, {confidence * 100:g}% interval",
    )


def mann_whitney(x: Sequence[MaybeFloat], y: Sequence[MaybeFloat], *, confidence: float = 0.95) -> ShiftComparison:
    """Mann-Whitney U test with the Hodges-Lehmann shift estimate of x - y and its interval."""
    confidence = check_confidence(confidence)
    sample_x, missing_x = finite_values(x, "x")
    sample_y, missing_y = finite_values(y, "y")
    for name, sample in (("x", sample_x), ("y", sample_y)):
        if sample.size < 1:
            raise ValidationError(name, "needs at least one observed value", 0)
    n_x, n_y = int(sample_x.size), int(sample_y.size)
    pairs = n_x * n_y
    differences = np.sort(np.subtract.outer(sample_x, sample_y).ravel())
    u_statistic = float(np.count_nonzero(differences > 0) + 0.5 * np.count_nonzero(differences == 0))
    combined = np.concatenate([sample_x, sample_y])
    _, tie_counts = np.unique(combined, return_counts=True)
    has_ties = bool(np.any(tie_counts > 1))
    exact = not has_ties and n_x < _EXACT_LIMIT and n_y < _EXACT_LIMIT
    alpha = 1.0 - confidence

    if exact:
        cdf = mann_whitney_null_cdf(n_x, n_y)
        u_int = round(u_statistic)
        if u_statistic > pairs / 2.0:
            one_sided = 1.0 - (float(cdf[u_int - 1]) if u_int >= 1 else 0.0)
        else:
            one_sided = float(cdf[u_int])
        p_value = min(1.0, 2.0 * one_sided)
        # qwilcox(alpha/2): the smallest u with P(U <= u) >= alpha/2; the interval is [D_(k), D_(nm+1-k)].
        k = int(np.searchsorted(cdf, alpha / 2.0 - 1e-12, side="left"))
        k = max(k, 1)
        achieved: float | None = 1.0 - 2.0 * float(cdf[k - 1])
    else:
        n_total = n_x + n_y
        tie_term = float(np.sum(tie_counts.astype(np.float64) ** 3 - tie_counts))
        variance = n_x * n_y / 12.0 * ((n_total + 1) - tie_term / (n_total * (n_total - 1)))
        centred = u_statistic - pairs / 2.0
        if variance > 0.0:
            z_value = (centred - math.copysign(0.5, centred) * (centred != 0.0)) / math.sqrt(variance)
            p_value = min(1.0, float(2.0 * stats.norm.sf(abs(z_value))))
        else:
            p_value = 1.0
        z_critical = float(stats.norm.ppf(1.0 - alpha / 2.0))
        k = max(1, math.floor(pairs / 2.0 - z_critical * math.sqrt(max(variance, 0.0))))
        achieved = None
    k = min(k, (pairs + 1) // 2)
    return ShiftComparison(
        u_statistic=u_statistic,
        p_value=p_value,
        exact=exact,
        estimate=float(np.median(differences)),
        lower=float(differences[k - 1]),
        upper=float(differences[pairs - k]),
        achieved_confidence=achieved,
        n_x=n_x,
        n_y=n_y,
        n_missing=missing_x + missing_y,
        confidence=confidence,
        method=(
            "Mann-Whitney U test ("
            + ("exact" if exact else "normal approximation, tie and continuity corrected")
            + f"), Hodges-Lehmann shift with {confidence * 100:g}% distribution-free interval"
        ),
    )


def mann_whitney_null_cdf(n_x: int, n_y: int) -> np.ndarray:
    """P(U <= u) for u = 0..n_x n_y under the null hypothesis, no ties (exact counts, then divided)."""
    counts = _mann_whitney_counts(n_x, n_y)
    total = math.comb(n_x + n_y, n_x)
    running = 0
    cdf = np.empty(len(counts))
    for u, count in enumerate(counts):
        running += count
        cdf[u] = float(Fraction(running, total))
    return cdf


def _mann_whitney_counts(n_x: int, n_y: int) -> list[int]:
    # Coefficients of the Gaussian binomial [n_x + n_y choose n_x]_q = prod_{i=1..m} (1 - q^(n+i)) / (1 - q^i).
    m, n = min(n_x, n_y), max(n_x, n_y)
    size = m * n + 1
    coefficients = [0] * size
    coefficients[0] = 1
    for i in range(1, m + 1):
        step = n + i
        for j in range(size - 1, step - 1, -1):
            coefficients[j] -= coefficients[j - step]
        for j in range(i, size):
            coefficients[j] += coefficients[j - i]
    return coefficients
