"""Unit tests of weighted isotonic regression (PAVA)."""

from __future__ import annotations

import pytest

from mexards.analysis.isotonic import isotonic_rates, isotonic_regression
from mexards.domain.errors import ValidationError


def test_monotone_input_is_returned_unchanged() -> None:
    fit = isotonic_regression([0.0, 0.1, 0.1, 0.3])
    assert fit.fitted == (0.0, 0.1, 0.1, 0.3)
    assert fit.blocks == ((0,), (1,), (2,), (3,))


def test_adjacent_violators_are_pooled_into_their_weighted_mean() -> None:
    fit = isotonic_regression([0.5, 0.2, 0.4], weights=[1.0, 3.0, 1.0])
    # (0.5*1 + 0.2*3) / 4 = 0.275 <= 0.4, so only the first two pool.
    assert fit.fitted == pytest.approx((0.275, 0.275, 0.4))
    assert fit.blocks == ((0, 1), (2,))


def test_pooling_cascades_backwards_when_a_merged_block_breaks_the_order_again() -> None:
    fit = isotonic_regression([2.0, 3.0, 1.0, 0.0])
    assert fit.fitted == pytest.approx((1.5, 1.5, 1.5, 1.5))
    assert fit.blocks == ((0, 1, 2, 3),)


def test_decreasing_fit_is_the_mirror_of_the_increasing_fit() -> None:
    values = [3.0, 5.0, 1.0, 2.0, 0.5]
    down = isotonic_regression(values, increasing=False)
    up = isotonic_regression([-v for v in values])
    assert down.fitted == pytest.approx(tuple(-f for f in up.fitted if f is not None))
    assert "non-increasing" in down.method


def test_missing_values_are_skipped_and_reported() -> None:
    fit = isotonic_regression([0.3, None, 0.1, float("nan")])
    assert fit.fitted == (pytest.approx(0.2), None, pytest.approx(0.2), None)
    assert (fit.n, fit.n_missing) == (2, 2)


def test_isotonic_rates_weights_each_dose_by_patients_treated_and_leaves_untreated_doses_missing() -> None:
    fit = isotonic_rates(events=[0, 2, 1, 0], n_treated=[3, 6, 6, 0])
    # Doses 2 and 3 pool: (2 + 1) / (6 + 6) = 0.25.
    assert fit.fitted == (0.0, pytest.approx(0.25), pytest.approx(0.25), None)
    assert fit.n_missing == 1


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"values": [1.0, 2.0], "weights": [1.0]}, "weights"),
        ({"values": [1.0, 2.0], "weights": [1.0, 0.0]}, "weights[1]"),
        ({"values": [1.0, "a"]}, "values[1]"),
        ({"values": [None, None]}, "values"),
    ],
)
def test_bad_input_is_rejected_naming_the_field(kwargs: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationError) as raised:
        isotonic_regression(**kwargs)  # type: ignore[arg-type]
    assert raised.value.field == field


def test_more_events_than_patients_or_no_treated_dose_is_rejected() -> None:
    with pytest.raises(ValidationError, match=r"events\[0\]"):
        isotonic_rates([4], [3])
    with pytest.raises(ValidationError, match="n_treated"):
        isotonic_rates([0, 0], [0, 0])
