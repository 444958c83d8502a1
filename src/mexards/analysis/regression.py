"""Ordinary least squares and the baseline-adjusted comparison of arms (ANCOVA).

OLS: beta = (X'X)^-1 X'y, residual variance s^2 = RSS / (n - p), Cov(beta) = s^2 (X'X)^-1, t = beta / SE on
n - p df (e.g. Draper NR, Smith H, *Applied Regression Analysis*, 3rd ed., Wiley 1998, ch. 5).

ANCOVA for a continuous outcome (e.g. change in PaO2/FiO2 from baseline to Day 7) models
outcome = b0 + sum_a tau_a [arm = a] + gamma * baseline + error, with one indicator per arm other than the
control (treatment contrasts), so tau_a is the baseline-adjusted difference of arm a from control. This is the
analysis recommended for randomised trials with a baseline measurement (Vickers AJ, Altman DG, BMJ
2001;323:1123-1124; ICH E9 section 5.7; EMA Guideline on adjustment for baseline covariates,
EMA/CHMP/295050/2013). With a baseline covariate, the effect on change from baseline equals the effect on the
follow-up value. Adjusted (least-squares) means are the model predictions at the mean baseline of all analysed
participants.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

from mexards.analysis.observation import (
    FloatArray,
    MaybeFloat,
    check_confidence,
    check_label,
    check_same_length,
    finite_values,
    is_missing,
)
from mexards.domain.errors import ValidationError


@dataclass(frozen=True, slots=True)
class Coefficient:
    """One estimated coefficient (or contrast) with its standard error, t statistic, p-value and interval."""

    name: str
    estimate: float
    std_error: float
    t: float
    df: int
    p_value: float
    lower: float
    upper: float


@dataclass(frozen=True, slots=True)
class LeastSquaresFit:
    """An OLS fit."""

    coefficients: tuple[Coefficient, ...]
    residual_sd: float
    df_residual: int
    r_squared: float
    n: int
    n_missing: int
    confidence: float
    method: str


@dataclass(frozen=True, slots=True)
class AdjustedMean:
    """Model-based mean of the outcome in one arm at the mean baseline value."""

    arm: str
    n: int
    estimate: float
    std_error: float
    lower: float
    upper: float


@dataclass(frozen=True, slots=True)
class AncovaResult:
    """Treatment contrasts against control, adjusted for baseline."""

    control: str
    contrasts: tuple[Coefficient, ...]
    baseline_slope: Coefficient
    adjusted_means: tuple[AdjustedMean, ...]
    residual_sd: float
    df_residual: int
    mean_baseline: float
    n: int
    n_missing: int
    confidence: float
    method: str


def least_squares(
    design: Sequence[Sequence[float]],
    response: Sequence[float],
    *,
    names: Sequence[str] | None = None,
    confidence: float = 0.95,
    n_missing: int = 0,
) -> LeastSquaresFit:
    """OLS of ``response`` on the columns of ``design`` (include a column of ones for an intercept)."""
    confidence = check_confidence(confidence)
    x = np.asarray(design, dtype=np.float64)
    y, missing_response = finite_values(list(response), "response")
    if missing_response:
        raise ValidationError("response", "must not contain missing values; remove and count them first", None)
    if x.ndim != 2 or x.shape[0] != y.size:
        raise ValidationError("design", f"must be a matrix with one row per response ({y.size})", x.shape)
    if not np.all(np.isfinite(x)):
        raise ValidationError("design", "must contain finite numbers only", None)
    column_names = list(names) if names is not None else [f"x{j}" for j in range(x.shape[1])]
    if len(column_names) != x.shape[1]:
        raise ValidationError("names", f"must name each of the {x.shape[1]} columns", column_names)
    n, p = x.shape
    if np.linalg.matrix_rank(x) < p:
        raise ValidationError("design", "columns must be linearly independent (the model is not estimable)", p)
    if n <= p:
        raise ValidationError("response", f"needs more observations ({n}) than coefficients ({p})", n)

    beta, xtx_inverse, residual_sd, df, r_squared = _fit(x, y)
    t_critical = float(stats.t.ppf(0.5 + confidence / 2.0, df))
    coefficients = tuple(
        _coefficient(name, float(beta[j]), residual_sd * float(np.sqrt(xtx_inverse[j, j])), df, t_critical)
        for j, name in enumerate(column_names)
    )
    return LeastSquaresFit(
        coefficients=coefficients,
        residual_sd=residual_sd,
        df_residual=df,
        r_squared=r_squared,
        n=n,
        n_missing=n_missing,
        confidence=confidence,
        method=f"ordinary least squares, t-based {confidence * 100:g}% intervals on {df} df",
    )


def ancova(
    outcome: Sequence[MaybeFloat],
    baseline: Sequence[MaybeFloat],
    arm: Sequence[str],
    *,
    control: str,
    confidence: float = 0.95,
) -> AncovaResult:
    """Baseline-adjusted difference of each arm from ``control`` in ``outcome`` (ANCOVA by OLS).

    Participants missing the outcome or the baseline are excluded and counted in ``n_missing`` (complete-case
    analysis); a missing arm label is an error.
    """
    confidence = check_confidence(confidence)
    check_same_length(outcome, baseline, ("outcome", "baseline"))
    check_same_length(outcome, arm, ("outcome", "arm"))
    labels = [check_label(label, f"arm[{index}]") for index, label in enumerate(arm)]
    complete = [i for i in range(len(labels)) if not (is_missing(outcome[i]) or is_missing(baseline[i]))]
    finite_values(outcome, "outcome")  # reject a non-number by its position among all participants
    finite_values(baseline, "baseline")
    y = np.asarray([outcome[i] for i in complete], dtype=np.float64)
    x_baseline = np.asarray([baseline[i] for i in complete], dtype=np.float64)
    arms = [labels[i] for i in complete]
    n_missing = len(labels) - len(complete)

    if control not in arms:
        raise ValidationError("control", "must be an arm with at least one complete observation", control)
    others = sorted(set(arms) - {control})
    if not others:
        raise ValidationError("arm", "needs at least one arm besides control with complete observations", control)
    arm_codes = np.asarray(arms, dtype=object)
    columns = [np.ones(y.size)] + [(arm_codes == a).astype(np.float64) for a in others] + [x_baseline]
    x = np.column_stack(columns)
    n, p = x.shape
    if n <= p:
        raise ValidationError("outcome", f"needs more complete observations ({n}) than coefficients ({p})", n)
    if np.linalg.matrix_rank(x) < p:
        raise ValidationError("baseline", "must vary within arms for the slope to be estimable", None)

    beta, xtx_inverse, residual_sd, df, _ = _fit(x, y)
    t_critical = float(stats.t.ppf(0.5 + confidence / 2.0, df))
    covariance = residual_sd**2 * xtx_inverse
    contrasts = tuple(
        _coefficient(f"{a} - {control}", float(beta[1 + j]), float(np.sqrt(covariance[1 + j, 1 + j])), df, t_critical)
        for j, a in enumerate(others)
    )
    slope = _coefficient("baseline", float(beta[-1]), float(np.sqrt(covariance[-1, -1])), df, t_critical)

    mean_baseline = float(x_baseline.mean())
    adjusted: list[AdjustedMean] = []
    for name in [control, *others]:
        row = np.zeros(p)
        row[0] = 1.0
        if name != control:
            row[1 + others.index(name)] = 1.0
        row[-1] = mean_baseline
        estimate = float(row @ beta)
        std_error = float(np.sqrt(row @ covariance @ row))
        adjusted.append(
            AdjustedMean(
                arm=name,
                n=int(np.count_nonzero(arm_codes == name)),
                estimate=estimate,
                std_error=std_error,
                lower=estimate - t_critical * std_error,
                upper=estimate + t_critical * std_error,
            )
        )
    return AncovaResult(
        control=control,
        contrasts=contrasts,
        baseline_slope=slope,
        adjusted_means=tuple(adjusted),
        residual_sd=residual_sd,
        df_residual=df,
        mean_baseline=mean_baseline,
        n=n,
        n_missing=n_missing,
        confidence=confidence,
        method=(
            f"ANCOVA by ordinary least squares: outcome ~ arm + baseline, treatment contrasts vs {control}, "
            f"complete cases, t-based {confidence * 100:g}% intervals on {df} df"
        ),
    )


def _fit(x: FloatArray, y: FloatArray) -> tuple[FloatArray, FloatArray, float, int, float]:
    n, p = x.shape
    q, r = np.linalg.qr(x)
    beta = np.linalg.solve(r, q.T @ y)
    r_inverse = np.linalg.inv(r)
    xtx_inverse = r_inverse @ r_inverse.T
    residuals = y - x @ beta
    df = n - p
    rss = float(residuals @ residuals)
    residual_sd = float(np.sqrt(rss / df))
    centred = y - y.mean()
    total = float(centred @ centred)
    r_squared = 1.0 - rss / total if total > 0.0 else 0.0
    return beta, xtx_inverse, residual_sd, df, r_squared


def _coefficient(name: str, estimate: float, std_error: float, df: int, t_critical: float) -> Coefficient:
    if std_error > 0.0:
        t_value = estimate / std_error
        p_value = float(2.0 * stats.t.sf(abs(t_value), df))
    else:
        t_value = math.copysign(math.inf, estimate) if estimate != 0.0 else 0.0
        p_value = 0.0 if estimate != 0.0 else 1.0
    return Coefficient(
        name=name,
        estimate=estimate,
        std_error=std_error,
        t=t_value,
        df=df,
        p_value=p_value,
        lower=estimate - t_critical * std_error,
        upper=estimate + t_critical * std_error,
    )
