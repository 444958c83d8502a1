"""Descriptive summaries for baseline and outcome tables (continuous and categorical, overall and by group).

Continuous: n, mean, SD (n - 1 divisor), median, quartiles, min, max. Quartiles use linear interpolation between
order statistics (Hyndman RJ, Fan Y, Am Stat 1996;50:361-365, definition 7; the default of R's ``quantile`` and of
numpy). Categorical: counts and percentages of the observed (non-missing) values. Every summary reports how many
values were missing; none is dropped silently.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from mexards.analysis.observation import MaybeFloat, check_label, check_same_length, finite_values, is_missing
from mexards.domain.errors import ValidationError


@dataclass(frozen=True, slots=True)
class ContinuousSummary:
    """Summary of a continuous variable; statistics are ``None`` when too few values were observed."""

    n: int
    n_missing: int
    mean: float | None
    sd: float | None
    median: float | None
    q1: float | None
    q3: float | None
    minimum: float | None
    maximum: float | None
    method: str

    @property
    def iqr(self) -> float | None:
        """Interquartile range q3 - q1."""
        return None if self.q1 is None or self.q3 is None else self.q3 - self.q1


@dataclass(frozen=True, slots=True)
class CategoryCount:
    """Count of one category and its percentage of the observed values."""

    category: str
    count: int
    percent: float | None


@dataclass(frozen=True, slots=True)
class CategoricalSummary:
    """Counts per category (in the order given, then any unlisted category seen, sorted)."""

    n: int
    n_missing: int
    counts: tuple[CategoryCount, ...]
    method: str


@dataclass(frozen=True, slots=True)
class GroupSummary:
    """One group's summary."""

    group: str
    summary: ContinuousSummary | CategoricalSummary


def summarize_continuous(values: Sequence[MaybeFloat], *, field: str = "values") -> ContinuousSummary:
    """n, mean, SD, median, quartiles, min and max of the observed values, with the count of missing ones."""
    sample, n_missing = finite_values(values, field)
    n = int(sample.size)
    method = "mean, SD (n-1), median and quartiles (Hyndman-Fan type 7) of observed values"
    if n == 0:
        return ContinuousSummary(0, n_missing, None, None, None, None, None, None, None, method)
    q1, median, q3 = (float(v) for v in np.quantile(sample, [0.25, 0.5, 0.75]))
    return ContinuousSummary(
        n=n,
        n_missing=n_missing,
        mean=float(sample.mean()),
        sd=float(sample.std(ddof=1)) if n > 1 else None,
        median=median,
        q1=q1,
        q3=q3,
        minimum=float(sample.min()),
        maximum=float(sample.max()),
        method=method,
    )


def summarize_categorical(
    values: Sequence[str | None], *, categories: Sequence[str] | None = None, field: str = "values"
) -> CategoricalSummary:
    """Counts and percentages (of observed values) per category; ``None`` values are counted as missing.

    ``categories`` fixes the order and makes zero counts appear; categories seen but not listed follow, sorted.
    """
    counted: dict[str, int] = {category: 0 for category in categories or ()}
    n_missing = 0
    for index, value in enumerate(values):
        if is_missing(value):
            n_missing += 1
            continue
        if not isinstance(value, str):
            raise ValidationError(f"{field}[{index}]", "must be a category label (text) or missing", value)
        counted[value] = counted.get(value, 0) + 1
    listed = list(dict.fromkeys(categories or ()))
    order = listed + sorted(set(counted) - set(listed))
    n = sum(counted.values())
    return CategoricalSummary(
        n=n,
        n_missing=n_missing,
        counts=tuple(
            CategoryCount(category, counted[category], 100.0 * counted[category] / n if n else None)
            for category in order
        ),
        method="counts; percentages of observed (non-missing) values",
    )


def summarize_continuous_by_group(
    values: Sequence[MaybeFloat], groups: Sequence[str], *, group_order: Sequence[str] | None = None
) -> tuple[GroupSummary, ...]:
    """``summarize_continuous`` within each group (in ``group_order``, else sorted); missing labels are errors."""
    check_same_length(values, groups, ("values", "groups"))
    labels = [check_label(group, f"groups[{index}]") for index, group in enumerate(groups)]
    finite_values(values, "values")  # report a bad value by its position, not by its group
    return tuple(
        GroupSummary(group, summarize_continuous([v for v, g in zip(values, labels, strict=True) if g == group]))
        for group in _group_order(labels, group_order)
    )


def summarize_categorical_by_group(
    values: Sequence[str | None],
    groups: Sequence[str],
    *,
    categories: Sequence[str] | None = None,
    group_order: Sequence[str] | None = None,
) -> tuple[GroupSummary, ...]:
    """``summarize_categorical`` within each group; all groups list the same categories."""
    check_same_length(values, groups, ("values", "groups"))
    labels = [check_label(group, f"groups[{index}]") for index, group in enumerate(groups)]
    summarize_categorical(values)  # report a bad value by its position, not by its group
    seen = sorted({v for v in values if isinstance(v, str)} - set(categories or ()))
    all_categories = [*(categories or ()), *seen]
    return tuple(
        GroupSummary(
            group,
            summarize_categorical(
                [v for v, g in zip(values, labels, strict=True) if g == group],
                categories=all_categories,
            ),
        )
        for group in _group_order(labels, group_order)
    )


def _group_order(labels: list[str], group_order: Sequence[str] | None) -> list[str]:
    if group_order is None:
        return sorted(set(labels))
    order = list(dict.fromkeys(group_order))
    unknown = sorted(set(labels) - set(order))
    if unknown:
        raise ValidationError("groups", "contains a group that group_order does not list", unknown)
    return order
