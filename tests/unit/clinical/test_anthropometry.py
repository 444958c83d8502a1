"""BMI, ARDSNet predicted body weight, tidal volume, age (clinical.md 3.5, 3.6)."""

from datetime import date, datetime
from decimal import Decimal

import pytest

from mexards.clinical.anthropometry import (
    age_completed_years,
    bmi,
    predicted_body_weight_kg,
    tidal_volume_ml,
    ventilation_target,
)
from mexards.domain.errors import ValidationError


def test_bmi_is_weight_over_height_in_metres_squared_exactly() -> None:
    assert bmi(80.92, 170) == 28
    assert bmi("72.25", "170") == 25


def test_bmi_float_trap_is_not_above_28() -> None:
    assert not bmi(80.92, 170) > 28
    assert 80.92 / 1.7**2 > 28


def test_bmi_is_unrounded_by_default_and_rounded_half_up_only_on_request() -> None:
    assert bmi(81, 170) > 28
    assert bmi(81, 170, rounding="1dp") == Decimal("28.0")
    assert bmi("28.05", 100, rounding="1dp") == Decimal("28.1")


def test_bmi_rejects_an_unknown_rounding() -> None:
    with pytest.raises(ValidationError) as info:
        bmi(80, 170, rounding="2dp")
    assert info.value.field == "bmi_rounding"


@pytest.mark.parametrize(
    ("weight", "height", "field"),
    [(0, 170, "weight_kg"), (80, 0, "height_cm"), (80, "1.7", "height_cm"), ("x", 170, "weight_kg")],
)
def test_bmi_rejects_bad_inputs_naming_the_field(weight: object, height: object, field: str) -> None:
    with pytest.raises(ValidationError) as info:
        bmi(weight, height)  # type: ignore[arg-type]
    assert info.value.field == field


def test_pbw_at_the_reference_height_is_the_base_weight() -> None:
    assert predicted_body_weight_kg("male", "152.4") == 50
    assert predicted_body_weight_kg("female", "152.4") == Decimal("45.5")


def test_pbw_female_is_4_5_kg_below_male() -> None:
    assert predicted_body_weight_kg("male", 180) - predicted_body_weight_kg("F", 180) == Decimal("4.5")


def test_tidal_volume_scales_with_ml_per_kg() -> None:
    assert tidal_volume_ml("male", "152.4") == 300
    assert tidal_volume_ml("male", "152.4", ml_per_kg=8) == 400


def test_pbw_below_152_4_cm_warns_that_it_is_extrapolated() -> None:
    assert ventilation_target("female", 150).warnings
    assert not ventilation_target("female", "152.4").warnings


def test_ml_per_kg_outside_4_to_8_warns() -> None:
    assert ventilation_target("male", 175, 10).warnings
    assert not ventilation_target("male", 175, 4).warnings


def test_unknown_sex_is_rejected() -> None:
    with pytest.raises(ValidationError) as info:
        predicted_body_weight_kg("x", 170)
    assert info.value.field == "sex"


def test_a_height_too_short_for_a_positive_pbw_is_rejected() -> None:
    with pytest.raises(ValidationError, match="too short"):
        predicted_body_weight_kg("female", 100)


@pytest.mark.parametrize(
    ("born", "on", "age"),
    [
        (date(1980, 1, 10), date(2025, 3, 1), 45),
        (date(1954, 3, 1), date(2025, 3, 1), 71),
        (date(1954, 3, 2), date(2025, 3, 1), 70),
        (date(2000, 2, 29), date(2021, 2, 28), 20),
        (date(2000, 2, 29), date(2021, 3, 1), 21),
        (date(2000, 2, 29), date(2024, 2, 29), 24),
        (date(2025, 3, 1), date(2025, 3, 1), 0),
    ],
)
def test_age_is_completed_years_counting_the_birthday_itself(born: date, on: date, age: int) -> None:
    assert age_completed_years(born, on) == age


def test_age_accepts_datetimes() -> None:
    assert age_completed_years(datetime(1980, 1, 10, 23, 0), datetime(2025, 1, 10, 1, 0)) == 45


def test_age_rejects_a_birth_after_the_assessment() -> None:
    with pytest.raises(ValidationError):
        age_completed_years(date(2026, 1, 1), date(2025, 1, 1))
