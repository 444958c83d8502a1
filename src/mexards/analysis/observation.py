"""Observed values as they arrive from the case report form, and the checks every estimator shares.

A value is *missing* when it is ``None`` or a float NaN. Estimators never drop missing values silently: they
separate them here and report how many there were (``n_missing``) in every result.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from mexards.domain.errors import ValidationError

FloatArray = npt.NDArray[np.float64]

MaybeFloat = float | int | None
MaybeBool = bool | int | None


def is_missing(value: object) -> bool:
    """True for ``None`` and for a float NaN."""
    return value is None or (isinstance(value, float) and math.isnan(value))


def finite_values(values: Sequence[MaybeFloat], field: str) -> tuple[FloatArray, int]:
    """Split ``values`` into an array of the observed values and the count of missing ones.

    Raises ``ValidationError`` when an observed value is not a real finite number.
    """
    observed: list[float] = []
    n_missing = 0
    for index, value in enumerate(values):
        if is_missing(value):
            n_missing += 1
            continue
        observed.append(check_number(value, f"{field}[{index}]"))
    return np.asarray(observed, dtype=np.float64), n_missing


def check_confidence(confidence: float, field: str = "confidence") -> float:
    """Return ``confidence`` if it lies strictly between 0 and 1."""
    value = check_number(confidence, field)
    if not 0.0 < value < 1.0:
        raise ValidationError(field, "must lie strictly between 0 and 1", confidence)
    return value


def check_count(value: int, field: str, *, minimum: int = 0) -> int:
    """Return ``value`` if it is an integer (not a bool) of at least ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise ValidationError(field, "must be an integer", value)
    if value < minimum:
        raise ValidationError(field, f"must be at least {minimum}", value)
    return int(value)


def check_positive(value: float, field: str) -> float:
    """Return ``value`` if it is a finite number greater than zero."""
    number = check_number(value, field)
    if number <= 0.0:
        raise ValidationError(field, "must be greater than 0", value)
    return number


def check_probability(value: float, field: str, *, open_interval: bool = False) -> float:
    """Return ``value`` if it lies in [0, 1] (or in (0, 1) when ``open_interval``)."""
    number = check_number(value, field)
    if open_interval and not 0.0 < number < 1.0:
        raise ValidationError(field, "must lie strictly between 0 and 1", value)
    if not 0.0 <= number <= 1.0:
        raise ValidationError(field, "must lie between 0 and 1", value)
    return number


def check_same_length(first: Sequence[object], second: Sequence[object], fields: tuple[str, str]) -> None:
    """Raise unless the two sequences have the same length."""
    if len(first) != len(second):
        raise ValidationError(fields[1], f"must have the same length as {fields[0]} ({len(first)})", len(second))


def check_label(value: object, field: str) -> str:
    """Return a group label (a non-empty string); a missing label is an error, never dropped."""
    if is_missing(value):
        raise ValidationError(field, "is missing; every observation needs a group", value)
    if not isinstance(value, str) or not value:
        raise ValidationError(field, "must be a non-empty string", value)
    return value


def check_number(value: object, field: str) -> float:
    """Return ``value`` as a float if it is a real finite number (not a bool); missing values are errors here."""
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise ValidationError(field, "must be a number", value)
    number = float(value)
    if not math.isfinite(number):
        raise ValidationError(field, "must be finite", value)
    return number
