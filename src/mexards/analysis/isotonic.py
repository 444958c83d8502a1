"""Weighted isotonic regression by the pool-adjacent-violators algorithm (PAVA).

The isotonic (monotone) least-squares fit of values y_1..y_k with positive weights w_1..w_k minimises
sum w_i (y_i - f_i)^2 subject to f_1 <= ... <= f_k. PAVA scans left to right and pools any adjacent block that
breaks the order into its weighted mean until no violation is left (Barlow RE, Bartholomew DJ, Bremner JM,
Brunk HD, *Statistical Inference under Order Restrictions*, Wiley 1972, ch. 1; Robertson T, Wright FT,
Dykstra RL, *Order Restricted Statistical Inference*, Wiley 1988, ch. 1). The fit preserves the weighted mean
of the data.

For dose-finding, the observed DLT rates y_d / n_d with weights n_d give the isotonic estimate of the
dose-toxicity curve (Ji Y et al., Clin Trials 2010;7:653; Liu S & Yuan Y, JRSS C 2015;64:507 use the same idea).
Doses with no treated patient carry no information: they are reported as missing and left out of the fit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from mexards.analysis.observation import MaybeFloat, check_count, check_number, check_same_length, is_missing
from mexards.domain.errors import ValidationError


@dataclass(frozen=True, slots=True)
class IsotonicFit:
    """A monotone fit; ``fitted[i]`` is ``None`` where the input value was missing."""

    values: tuple[float | None, ...]
    weights: tuple[float, ...]
    fitted: tuple[float | None, ...]
    blocks: tuple[tuple[int, ...], ...]
    increasing: bool
    n: int
    n_missing: int
    method: str


def isotonic_regression(
    values: Sequence[MaybeFloat],
    weights: Sequence[float] | None = None,
    *,
    increasing: bool = True,
) -> IsotonicFit:
    """Weighted least-squares monotone fit of ``values`` (PAVA).

    ``weights`` default to 1. A missing value (``None``/NaN) is skipped: its fitted value is ``None`` and the
    order constraint links its neighbours directly. ``blocks`` lists the input indices pooled together.
    """
    if weights is None:
        weights = [1.0] * len(values)
    check_same_length(values, weights, ("values", "weights"))
    observed_index: list[int] = []
    observed_values: list[float] = []
    observed_weights: list[float] = []
    clean_values: list[float | None] = []
    for index, (value, weight) in enumerate(zip(values, weights, strict=True)):
        checked_weight = _weight(weight, index)
        if value is None or is_missing(value):
            clean_values.append(None)
            continue
        number = check_number(value, f"values[{index}]")
        clean_values.append(number)
        observed_index.append(index)
        observed_values.append(number)
        observed_weights.append(checked_weight)
    if not observed_values:
        raise ValidationError("values", "needs at least one observed value", list(values))

    sign = 1.0 if increasing else -1.0
    # Each block: [weighted sum, weight, member positions in the observed list].
    blocks: list[tuple[float, float, list[int]]] = []
    for position, (value, weight) in enumerate(zip(observed_values, observed_weights, strict=True)):
        blocks.append((sign * value * weight, weight, [position]))
        while len(blocks) > 1 and _mean(blocks[-2]) > _mean(blocks[-1]):
            last = blocks.pop()
            previous = blocks.pop()
            blocks.append((previous[0] + last[0], previous[1] + last[1], previous[2] + last[2]))

    fitted: list[float | None] = [None] * len(values)
    index_blocks: list[tuple[int, ...]] = []
    for block in blocks:
        level = sign * _mean(block)
        for position in block[2]:
            fitted[observed_index[position]] = level
        index_blocks.append(tuple(observed_index[position] for position in block[2]))

    return IsotonicFit(
        values=tuple(clean_values),
        weights=tuple(float(w) for w in weights),
        fitted=tuple(fitted),
        blocks=tuple(index_blocks),
        increasing=increasing,
        n=len(observed_values),
        n_missing=len(values) - len(observed_values),
        method="weighted pool-adjacent-violators isotonic regression, "
        + ("non-decreasing" if increasing else "non-increasing"),
    )


def isotonic_rates(events: Sequence[int], n_treated: Sequence[int]) -> IsotonicFit:
    """Isotonic (non-decreasing) estimate of event rates across ordered doses, weighted by patients treated.

    ``events[d]`` of ``n_treated[d]`` patients had the event at dose ``d``; an untreated dose (n = 0) is missing.
    """
    check_same_length(events, n_treated, ("events", "n_treated"))
    rates: list[float | None] = []
    weights: list[float] = []
    for index, (count, total) in enumerate(zip(events, n_treated, strict=True)):
        count = check_count(count, f"events[{index}]")
        total = check_count(total, f"n_treated[{index}]")
        if count > total:
            raise ValidationError(f"events[{index}]", f"must not exceed n_treated ({total})", count)
        rates.append(count / total if total > 0 else None)
        weights.append(float(total) if total > 0 else 1.0)
    if all(rate is None for rate in rates):
        raise ValidationError("n_treated", "needs at least one treated dose", list(n_treated))
    return isotonic_regression(rates, weights, increasing=True)


def _mean(block: tuple[float, float, list[int]]) -> float:
    return block[0] / block[1]


def _weight(weight: float, index: int) -> float:
    if is_missing(weight):
        raise ValidationError(f"weights[{index}]", "must not be missing", weight)
    value = check_number(weight, f"weights[{index}]")
    if value <= 0.0:
        raise ValidationError(f"weights[{index}]", "must be greater than 0", weight)
    return value
