"""Unit normalisation and exact decimals (clinical.md section 3, general rules)."""

from decimal import Decimal

import pytest

from mexards.clinical.quantity import (
    albumin_g_dl,
    bilirubin_mg_dl,
    creatinine_mg_dl,
    exact,
    fio2_fraction,
    pressure_mmhg,
    ratio,
    temperature_celsius,
)
from mexards.domain.errors import ValidationError


@pytest.mark.parametrize(
    ("value", "expected"),
    [(80, Decimal(80)), (0.57, Decimal("0.57")), ("80.92", Decimal("80.92")), (Decimal("1.5"), Decimal("1.5"))],
)
def test_exact_keeps_the_value_as_entered(value: object, expected: Decimal) -> None:
    assert exact(value, "x") == expected  # type: ignore[arg-type]


def test_exact_builds_floats_from_their_shortest_text_not_their_binary_value() -> None:
    assert exact(0.1, "x") == Decimal("0.1")


@pytest.mark.parametrize("junk", ["abc", "", "nan", "inf", float("nan"), float("inf"), True, [1]])
def test_exact_rejects_junk_naming_the_field(junk: object) -> None:
    with pytest.raises(ValidationError) as info:
        exact(junk, "pao2_mmhg")  # type: ignore[arg-type]
    assert info.value.field == "pao2_mmhg"
    assert info.value.rule == "must be a number"


def test_exact_says_a_missing_value_is_required() -> None:
    with pytest.raises(ValidationError, match="is required"):
        exact(None, "pao2_mmhg")  # type: ignore[arg-type]


def test_kpa_converts_at_7_50062_mmhg_per_kpa() -> None:
    assert pressure_mmhg("10", "kPa") == Decimal("75.0062")
    assert pressure_mmhg(8, "kpa") == Decimal("60.00496")


def test_mmhg_passes_through_unchanged() -> None:
    assert pressure_mmhg("80", "mmHg") == Decimal(80)


def test_unknown_pressure_unit_is_rejected_naming_the_unit_field() -> None:
    with pytest.raises(ValidationError) as info:
        pressure_mmhg(80, "psi", field="pao2")
    assert info.value.field == "pao2_unit"


def test_negative_pressure_is_rejected() -> None:
    with pytest.raises(ValidationError, match="must not be negative"):
        pressure_mmhg(-1)


@pytest.mark.parametrize(
    ("value", "expected"),
    [("0.21", "0.21"), (1, "1"), ("1.0", "1.0"), (21, "0.21"), (50, "0.5"), (100, "1"), ("57", "0.57")],
)
def test_fio2_above_one_is_a_percentage(value: object, expected: str) -> None:
    assert fio2_fraction(value) == Decimal(expected)  # type: ignore[arg-type]


@pytest.mark.parametrize("value", ["0.2", "0.209", "100.1", "1.5", 0, -0.5, 20])
def test_fio2_outside_room_air_to_pure_oxygen_is_rejected(value: object) -> None:
    with pytest.raises(ValidationError) as info:
        fio2_fraction(value)  # type: ignore[arg-type]
    assert info.value.field == "fio2"


def test_bilirubin_in_micromoles_divides_by_17_1() -> None:
    assert bilirubin_mg_dl("34.2", "µmol/L") == Decimal(2)
    assert bilirubin_mg_dl("34", "umol/L") < Decimal(2)
    assert bilirubin_mg_dl("1.5") == Decimal("1.5")


def test_creatinine_in_micromoles_divides_by_88_4() -> None:
    assert creatinine_mg_dl("442", "µmol/L") == Decimal(5)
    assert creatinine_mg_dl("106.08", "μmol/L") == Decimal("1.2")


def test_albumin_in_grams_per_litre_divides_by_10() -> None:
    assert albumin_g_dl(35, "g/L") == Decimal("3.5")
    assert albumin_g_dl("3.5") == Decimal("3.5")


def test_unknown_lab_units_are_rejected() -> None:
    with pytest.raises(ValidationError, match="mg/dL"):
        creatinine_mg_dl(1, "mmol/L")
    with pytest.raises(ValidationError, match="g/L"):
        albumin_g_dl(1, "mg/dL")


def test_fahrenheit_converts_to_celsius_exactly() -> None:
    assert temperature_celsius("100.4", "°F") == Decimal(38)
    assert temperature_celsius(38, "C") == Decimal(38)


def test_ratio_is_exact_where_float_division_is_not() -> None:
    assert 114 / 0.57 != 200
    assert ratio(Decimal(114), Decimal("0.57")) == 200
