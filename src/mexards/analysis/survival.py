"""Kaplan-Meier estimation of a survival curve with Greenwood confidence intervals and median survival.

- Estimator: S(t) = prod over event times t_j <= t of (1 - d_j / n_j), where n_j are at risk just before t_j and
  d_j die at t_j (Kaplan EL, Meier P, JASA 1958;53:457-481). Censored at t_j counts as at risk at t_j.
- Greenwood variance: Var S(t) = S(t)^2 * sum_{t_j <= t} d_j / (n_j (n_j - d_j)) (Greenwood M, Reports on
  Public Health and Medical Subjects 33, HMSO 1926; Klein JP, Moeschberger ML, *Survival Analysis*, 2nd ed.,
  Springer 2003, eq. 4.2.2).
- Pointwise intervals (Klein & Moeschberger 2003, section 4.3; Kalbfleisch JD, Prentice RL 1980):
  ``plain`` S ± z·SE(S); ``log`` S·exp(± z·sigma); ``log-log`` S^exp(± z·sigma / log S), with
  sigma^2 = sum d_j / (n_j (n_j - d_j)). Limits are clipped to [0, 1].
- Median and other quantiles with the Brookmeyer-Crowley interval (Brookmeyer R, Crowley J, Biometrics
  1982;38:29-41): the interval is the set of times whose pointwise interval for S(t) contains the target
  probability, read off where the lower and the upper confidence curves first fall to the target. When S(t)
  equals the target exactly over an interval, the midpoint of that interval is taken (the convention of R's
  ``survival`` package, ``quantile.survfit``).

Where S reaches 0 the Greenwood sum is undefined; the standard error and both limits are then reported as 0.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, get_args

import numpy as np
from scipy import stats

from mexards.analysis.observation import (
    MaybeBool,
    MaybeFloat,
    check_confidence,
    check_label,
    check_number,
    check_probability,
    check_same_length,
    is_missing,
)
from mexards.domain.errors import ValidationError

ConfidenceType = Literal["log-log", "log", "plain"]
CONFIDENCE_TYPES: tuple[ConfidenceType, ...] = get_args(ConfidenceType)

_TOLERANCE = math.sqrt(np.finfo(float).eps)


@dataclass(frozen=True, slots=True)
class SurvivalStep:
    """One distinct observed time (an event, a censoring or both) of a Kaplan-Meier curve."""

    time: float
    n_at_risk: int
    n_events: int
    n_censored: int
    survival: float
    std_error: float
    lower: float
    upper: float


@dataclass(frozen=True, slots=True)
class KaplanMeier:
    """A Kaplan-Meier curve: the steps at every distinct observed time, in increasing time."""

    steps: tuple[SurvivalStep, ...]
    n: int
    n_events: int
    n_missing: int
    confidence: float
    confidence_type: ConfidenceType
    method: str


@dataclass(frozen=True, slots=True)
class SurvivalEstimate:
    """S(t) at one time with its standard error and pointwise interval."""

    time: float
    survival: float
    std_error: float
    lower: float
    upper: float
    n_at_risk: int
    confidence: float
    n_missing: int
    method: str


@dataclass(frozen=True, slots=True)
class SurvivalQuantile:
    """A survival-time quantile (the median for probability 0.5); ``None`` where the curve never gets there."""

    probability: float
    estimate: float | None
    lower: float | None
    upper: float | None
    confidence: float
    n: int
    n_missing: int
    method: str


@dataclass(frozen=True, slots=True)
class AtRiskRow:
    """Numbers at risk (observed time >= ``time``) and cumulative events and censorings up to ``time``."""

    time: float
    n_at_risk: int
    cumulative_events: int
    cumulative_censored: int


def kaplan_meier(
    times: Sequence[MaybeFloat],
    events: Sequence[MaybeBool],
    *,
    confidence: float = 0.95,
    confidence_type: ConfidenceType = "log-log",
) -> KaplanMeier:
    """Kaplan-Meier estimate from follow-up ``times`` (>= 0) and ``events`` (true = event, false = censored).

    A subject whose time or event indicator is missing is left out and counted in ``n_missing``.
    """
    confidence = check_confidence(confidence)
    if confidence_type not in CONFIDENCE_TYPES:
        raise ValidationError("confidence_type", f"must be one of {', '.join(CONFIDENCE_TYPES)}", confidence_type)
    time_array, event_array, n_missing = survival_data(times, events)
    if time_array.size == 0:
        raise ValidationError("times", "needs at least one observed subject", n_missing)
    z = float(stats.norm.ppf(0.5 + confidence / 2.0))

    steps: list[SurvivalStep] = []
    survival = 1.0
    greenwood = 0.0
    n_at_risk = int(time_array.size)
    for time in np.unique(time_array):
        at_time = time_array == time
        deaths = int(np.count_nonzero(event_array[at_time]))
        censored = int(np.count_nonzero(at_time)) - deaths
        if deaths > 0:
            survival *= 1.0 - deaths / n_at_risk
            greenwood = greenwood + deaths / (n_at_risk * (n_at_risk - deaths)) if deaths < n_at_risk else math.inf
        std_error, lower, upper = _pointwise(survival, greenwood, z, confidence_type)
        steps.append(SurvivalStep(float(time), n_at_risk, deaths, censored, survival, std_error, lower, upper))
        n_at_risk -= deaths + censored

    return KaplanMeier(
        steps=tuple(steps),
        n=int(time_array.size),
        n_events=int(np.count_nonzero(event_array)),
        n_missing=n_missing,
        confidence=confidence,
        confidence_type=confidence_type,
        method=(
            f"Kaplan-Meier estimate, Greenwood variance, {confidence * 100:g}% {confidence_type} pointwise intervals"
        ),
    )


def kaplan_meier_by_group(
    times: Sequence[MaybeFloat],
    events: Sequence[MaybeBool],
    groups: Sequence[str],
    *,
    confidence: float = 0.95,
    confidence_type: ConfidenceType = "log-log",
) -> tuple[tuple[str, KaplanMeier], ...]:
    """One Kaplan-Meier curve per group (groups sorted by label); a missing group label is an error."""
    check_same_length(times, groups, ("times", "groups"))
    check_same_length(times, events, ("times", "events"))
    labels = [check_label(group, f"groups[{index}]") for index, group in enumerate(groups)]
    survival_data(times, events)  # report a bad value by its position among all subjects
    curves: list[tuple[str, KaplanMeier]] = []
    for group in sorted(set(labels)):
        members = [index for index, label in enumerate(labels) if label == group]
        if all(is_missing(times[i]) or is_missing(events[i]) for i in members):
            raise ValidationError("groups", "every group needs at least one subject with a time and an event", None)
        curve = kaplan_meier(
            [times[i] for i in members],
            [events[i] for i in members],
            confidence=confidence,
            confidence_type=confidence_type,
        )
        curves.append((group, curve))
    return tuple(curves)


def survival_data(times: Sequence[MaybeFloat], events: Sequence[MaybeBool]) -> tuple[np.ndarray, np.ndarray, int]:
    """Validated arrays of complete (time, event) pairs and the number of incomplete pairs."""
    check_same_length(times, events, ("times", "events"))
    kept_times: list[float] = []
    kept_events: list[bool] = []
    n_missing = 0
    for index, (time, event) in enumerate(zip(times, events, strict=True)):
        if is_missing(time) or is_missing(event):
            n_missing += 1
            continue
        value = check_number(time, f"times[{index}]")
        if value < 0.0:
            raise ValidationError(f"times[{index}]", "must not be negative", time)
        if event not in (0, 1):
            raise ValidationError(f"events[{index}]", "must be true (event), false (censored) or missing", event)
        kept_times.append(value)
        kept_events.append(bool(event))
    return np.asarray(kept_times, dtype=np.float64), np.asarray(kept_events, dtype=bool), n_missing


def survival_at(curve: KaplanMeier, time: float) -> SurvivalEstimate:
    """S(time) with its pointwise interval (e.g. survival at Day 28 or Day 60)."""
    if is_missing(time):
        raise ValidationError("time", "must not be missing", time)
    value = check_number(time, "time")
    last = _last_step_at_or_before(curve, value)
    survival, std_error, lower, upper = (
        (1.0, 0.0, 1.0, 1.0) if last is None else (last.survival, last.std_error, last.lower, last.upper)
    )
    return SurvivalEstimate(
        time=value,
        survival=survival,
        std_error=std_error,
        lower=lower,
        upper=upper,
        n_at_risk=_at_risk(curve, value),
        confidence=curve.confidence,
        n_missing=curve.n_missing,
        method=curve.method,
    )


def survival_quantile(curve: KaplanMeier, probability: float = 0.5) -> SurvivalQuantile:
    """Time at which S(t) first falls to ``probability`` (0.5: the median), with its Brookmeyer-Crowley interval."""
    target = check_probability(probability, "probability", open_interval=True)
    times = [step.time for step in curve.steps]
    return SurvivalQuantile(
        probability=target,
        estimate=_crossing(times, [step.survival for step in curve.steps], target),
        lower=_crossing(times, [step.lower for step in curve.steps], target),
        upper=_crossing(times, [step.upper for step in curve.steps], target),
        confidence=curve.confidence,
        n=curve.n,
        n_missing=curve.n_missing,
        method=(
            f"first time S(t) <= {target:g}; Brookmeyer-Crowley {curve.confidence * 100:g}% interval from the "
            f"{curve.confidence_type} pointwise limits"
        ),
    )


def median_survival(curve: KaplanMeier) -> SurvivalQuantile:
    """Median survival time with its Brookmeyer-Crowley interval."""
    return survival_quantile(curve, 0.5)


def at_risk_table(curve: KaplanMeier, times: Sequence[float]) -> tuple[AtRiskRow, ...]:
    """Numbers at risk at each of ``times`` (as printed under a Kaplan-Meier plot)."""
    rows: list[AtRiskRow] = []
    for index, time in enumerate(times):
        value = check_number(time, f"times[{index}]")
        events = sum(step.n_events for step in curve.steps if step.time <= value)
        censored = sum(step.n_censored for step in curve.steps if step.time <= value)
        rows.append(AtRiskRow(value, _at_risk(curve, value), events, censored))
    return tuple(rows)


def _pointwise(
    survival: float, greenwood: float, z: float, confidence_type: ConfidenceType
) -> tuple[float, float, float]:
    if survival <= 0.0 or math.isinf(greenwood):
        return 0.0, 0.0, 0.0
    sigma = math.sqrt(greenwood)
    std_error = survival * sigma
    if sigma == 0.0:
        return 0.0, survival, survival
    if confidence_type == "plain":
        lower, upper = survival - z * std_error, survival + z * std_error
    elif confidence_type == "log":
        lower, upper = survival * math.exp(-z * sigma), survival * math.exp(z * sigma)
    else:
        log_survival = math.log(survival)
        if log_survival == 0.0:
            return std_error, survival, survival
        spread = z * sigma / abs(log_survival)
        lower, upper = survival ** math.exp(spread), survival ** math.exp(-spread)
    return std_error, min(max(lower, 0.0), 1.0), min(max(upper, 0.0), 1.0)


def _crossing(times: list[float], curve: list[float], target: float) -> float | None:
    # Keep the first time at which each distinct value of the curve appears.
    xs: list[float] = []
    ys: list[float] = []
    for time, value in zip(times, curve, strict=True):
        if ys and value == ys[-1]:
            continue
        xs.append(time)
        ys.append(value)
    for index, value in enumerate(ys):
        if value <= target + _TOLERANCE:
            if abs(value - target) < _TOLERANCE and index + 1 < len(xs):
                return (xs[index] + xs[index + 1]) / 2.0
            return xs[index]
    return None


def _last_step_at_or_before(curve: KaplanMeier, time: float) -> SurvivalStep | None:
    last: SurvivalStep | None = None
    for step in curve.steps:
        if step.time > time:
            break
        last = step
    return last


def _at_risk(curve: KaplanMeier, time: float) -> int:
    for step in curve.steps:
        if step.time >= time:
            return step.n_at_risk
    return 0
