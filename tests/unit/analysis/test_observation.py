"""Unit tests of the shared input checks."""

from __future__ import annotations

import math

import numpy as np
import pytest

from mexards.analysis.observation import check_count, check_number, finite_values, is_missing
from mexards.domain.errors import ValidationError


def test_none_and_nan_are_missing_but_zero_is_not() -> None:
    assert is_missing(None) and is_missing(math.nan)
    assert not is_missing(0) and not is_missing(0.0)


def test_finite_values_separates_missing_values_and_keeps_order() -> None:
    values, n_missing = finite_values([3, None, 1.5, math.nan, np.float64(2)], "x")
    assert values.tolist() == [3.0, 1.5, 2.0]
    assert n_missing == 2


@pytest.mark.parametrize("bad", [math.inf, "7", True])
def test_a_value_that_is_not_a_finite_number_is_an_error_at_its_position(bad: object) -> None:
    with pytest.raises(ValidationError) as raised:
        finite_values([1.0, bad], "pao2_mmhg")  # type: ignore[list-item]
    assert raised.value.field == "pao2_mmhg[1]"


def test_counts_must_be_whole_non_negative_numbers() -> None:
    assert check_count(np.int64(3), "n") == 3
    for bad in (2.0, -1, False):
        with pytest.raises(ValidationError):
            check_count(bad, "n")  # type: ignore[arg-type]
    assert check_number(np.float32(1.5), "x") == 1.5
