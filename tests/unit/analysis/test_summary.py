"""Unit tests of the descriptive summaries."""

from __future__ import annotations

import math

import pytest

from mexards.analysis.summary import (
    summarize_categorical,
    summarize_categorical_by_group,
    summarize_continuous,
    summarize_continuous_by_group,
)
from mexards.domain.errors import ValidationError


def test_continuous_summary_of_a_small_sample() -> None:
    result = summarize_continuous([4.0, 1.0, None, 3.0, 2.0, float("nan"), 10.0])
    assert (result.n, result.n_missing) == (5, 2)
    assert result.mean == pytest.approx(4.0)
    assert result.sd == pytest.approx(math.sqrt((0 + 9 + 1 + 4 + 36) / 4))
    assert (result.median, result.q1, result.q3) == (3.0, 2.0, 4.0)
    assert (result.minimum, result.maximum) == (1.0, 10.0)
    assert result.iqr == 2.0


def test_quartiles_interpolate_between_order_statistics() -> None:
    result = summarize_continuous([1.0, 2.0, 3.0, 4.0])
    assert (result.q1, result.median, result.q3) == (1.75, 2.5, 3.25)


def test_a_single_value_has_no_sd_and_no_values_give_an_empty_summary() -> None:
    assert summarize_continuous([5.0]).sd is None
    empty = summarize_continuous([None, None])
    assert (empty.n, empty.n_missing, empty.mean, empty.iqr) == (0, 2, None, None)


def test_categorical_summary_counts_and_percentages_of_observed_values() -> None:
    result = summarize_categorical(["IMV", "NIV", None, "IMV", "HFNC"], categories=["IMV", "NIV", "HFNC", "O2"])
    assert (result.n, result.n_missing) == (4, 1)
    assert [(c.category, c.count, c.percent) for c in result.counts] == [
        ("IMV", 2, 50.0),
        ("NIV", 1, 25.0),
        ("HFNC", 1, 25.0),
        ("O2", 0, 0.0),
    ]


def test_unlisted_categories_are_reported_after_the_listed_ones() -> None:
    result = summarize_categorical(["b", "z", "a"], categories=["b"])
    assert [c.category for c in result.counts] == ["b", "a", "z"]


def test_all_missing_categorical_values_give_no_percentages() -> None:
    result = summarize_categorical([None], categories=["yes"])
    assert result.counts[0].percent is None and result.n_missing == 1


def test_continuous_summary_by_group_keeps_each_groups_missing_count() -> None:
    rows = summarize_continuous_by_group([1.0, None, 3.0, 5.0], ["b", "a", "a", "b"])
    assert [row.group for row in rows] == ["a", "b"]
    a, b = (row.summary for row in rows)
    assert (a.n, a.n_missing, b.n, b.n_missing) == (1, 1, 2, 0)


def test_group_order_fixes_the_order_and_must_list_every_group() -> None:
    rows = summarize_continuous_by_group([1.0, 2.0], ["x", "y"], group_order=["y", "x", "w"])
    assert [row.group for row in rows] == ["y", "x", "w"]
    with pytest.raises(ValidationError, match="group_order"):
        summarize_continuous_by_group([1.0, 2.0], ["x", "y"], group_order=["x"])


def test_categorical_summary_by_group_lists_the_same_categories_everywhere() -> None:
    rows = summarize_categorical_by_group(["dead", "alive", "alive"], ["t", "c", "t"])
    for row in rows:
        assert [c.category for c in row.summary.counts] == ["alive", "dead"]  # type: ignore[union-attr]


def test_bad_values_and_missing_group_labels_are_rejected() -> None:
    with pytest.raises(ValidationError) as raised:
        summarize_continuous_by_group([1.0, "x"], ["a", "b"])  # type: ignore[list-item]
    assert raised.value.field == "values[1]"
    with pytest.raises(ValidationError, match=r"groups\[0\]"):
        summarize_continuous_by_group([1.0], [None])  # type: ignore[list-item]
    with pytest.raises(ValidationError, match=r"values\[0\]"):
        summarize_categorical([3])  # type: ignore[list-item]
