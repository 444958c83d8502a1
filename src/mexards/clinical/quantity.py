"""Exact numbers and unit normalisation for clinical inputs.

Every clinical threshold in mexards is applied to a ``decimal.Decimal`` built from the value *as entered*
(``Decimal(str(x))`` for ints and floats, strings parsed directly), never to a binary float, and nothing is
rounded before a comparison (clinical.md section 3, "General rules"). Binary floats misclassify real inputs:
``114 / 0.57`` is ``200.00000000000003`` in float but exactly ``200`` here.

Canonical units and conversion factors (clinical.md section 3, general rules; clinical-examples.md header):

- blood-gas and airway pressures in mmHg; 1 kPa = 7.50062 mmHg;
- FiO2 as a fraction in [0.21, 1.0]; an entered value > 1 is a percentage and is divided by 100;
- bilirubin in mg/dL; 17.1 µmol/L = 1 mg/dL;
- creatinine in mg/dL; 88.4 µmol/L = 1 mg/dL;
- albumin in g/dL; g/L ÷ 10.

Text is read as a plain decimal in ASCII digits (``82``, ``-0.5``, ``7.5e1``;
:func:`mexards.domain.validation.decimal_text`): Python would also read full-width or Arabic-Indic digits,
``1_000``, ``NaN`` and ``Infinity``, which no clinical value is written as.

Divisions run in a private 50-digit decimal context (:data:`ARITHMETIC`), independent of the caller's
thread-local context, so results do not change when someone else alters ``decimal.getcontext()``.
"""

from __future__ import annotations

from decimal import Context, Decimal, DivisionByZero, InvalidOperation, Overflow

from mexards.domain.errors import ValidationError
from mexards.domain.validation import decimal_text

Number = int | str | Decimal | float
"""What a clinical input may be given as (values as entered)."""

ARITHMETIC = Context(prec=50, traps=[InvalidOperation, DivisionByZero, Overflow])
"""The decimal context used for every derived clinical quantity (50 significant digits)."""

MMHG_PER_KPA = Decimal("7.50062")
UMOL_PER_L_PER_MG_DL_BILIRUBIN = Decimal("17.1")
UMOL_PER_L_PER_MG_DL_CREATININE = Decimal("88.4")
G_PER_L_PER_G_DL = Decimal("10")
FIO2_MIN = Decimal("0.21")
FIO2_MAX = Decimal("1.0")

_MICRO = ("µmol/l", "μmol/l", "umol/l", "micromol/l")


MAX_EXPONENT = 30
"""Largest decimal exponent accepted: no clinical quantity comes near it, and exact arithmetic stays in range."""


def exact(value: Number, field: str) -> Decimal:
    """Return ``value`` as an exact, finite ``Decimal`` built from the value as entered.

    Raises ``ValidationError(field, "is required")`` for ``None`` and ``ValidationError(field, "must be a
    number")`` for anything else that is not a finite number (junk strings, booleans, NaN, infinities); text
    in digits other than ASCII 0-9 is refused naming the field too.
    """
    if value is None:
        raise ValidationError(field, "is required", value)
    if isinstance(value, bool):
        raise ValidationError(field, "must be a number", value)
    try:
        if isinstance(value, Decimal):
            number = value
        elif isinstance(value, int | float):
            number = Decimal(str(value))
        elif isinstance(value, str):
            number = decimal_text(field, value)
        else:
            raise ValidationError(field, "must be a number", value)
    except (InvalidOperation, ValueError):
        raise ValidationError(field, "must be a number", value) from None
    if not number.is_finite():
        raise ValidationError(field, "must be a number", value)
    if number and not -MAX_EXPONENT <= number.adjusted() <= MAX_EXPONENT:
        raise ValidationError(field, f"must be a number between 1e-{MAX_EXPONENT} and 1e{MAX_EXPONENT} in size", value)
    return number


def optional_exact(value: Number | None, field: str) -> Decimal | None:
    """Like :func:`exact`, but ``None`` (and an empty string) stays ``None`` (a missing value)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return exact(value, field)


def non_negative(value: Number, field: str) -> Decimal:
    """An exact number that must be >= 0."""
    number = exact(value, field)
    if number < 0:
        raise ValidationError(field, "must not be negative", value)
    return number


def positive(value: Number, field: str) -> Decimal:
    """An exact number that must be > 0."""
    number = exact(value, field)
    if number <= 0:
        raise ValidationError(field, "must be greater than 0", value)
    return number


def tidy(number: Decimal) -> Decimal:
    """The same value with a readable exponent: integers as integers (``200``, not ``2E+2``), other values
    without trailing zeros. The value is unchanged (``tidy(x) == x``)."""
    if number == 0:
        return Decimal(0)
    if number == number.to_integral_value() and number.adjusted() < 40:
        return number.quantize(Decimal(1), context=ARITHMETIC)
    return number.normalize(ARITHMETIC)


def ratio(numerator: Decimal, denominator: Decimal) -> Decimal:
    """``numerator / denominator`` in the 50-digit context (exact whenever the quotient terminates)."""
    if denominator == 0:
        raise ValidationError("denominator", "must not be zero", denominator)
    return tidy(ARITHMETIC.divide(numerator, denominator))


def product(left: Decimal, right: Decimal) -> Decimal:
    """``left * right`` in the 50-digit context."""
    return tidy(ARITHMETIC.multiply(left, right))


def _unit_key(unit: str, field: str) -> str:
    if not isinstance(unit, str):
        raise ValidationError(f"{field}_unit", "must be a unit name", unit)
    return unit.strip().replace(" ", "").lower()


def pressure_mmhg(value: Number, unit: str = "mmHg", field: str = "pressure") -> Decimal:
    """A non-negative pressure in mmHg; ``unit`` is ``"mmHg"`` or ``"kPa"`` (1 kPa = 7.50062 mmHg)."""
    number = non_negative(value, field)
    key = _unit_key(unit, field)
    if key == "mmhg":
        return number
    if key == "kpa":
        return product(number, MMHG_PER_KPA)
    raise ValidationError(f"{field}_unit", "must be one of: mmHg, kPa", unit)


def fio2_fraction(value: Number, field: str = "fio2") -> Decimal:
    """FiO2 as a fraction. Values > 1 are percentages and are divided by 100; the result must be in
    [0.21, 1.0] (room air to pure oxygen)."""
    number = exact(value, field)
    if number > 1:
        number = ratio(number, Decimal(100))
    if not FIO2_MIN <= number <= FIO2_MAX:
        raise ValidationError(field, "must be between 0.21 and 1.0 (or 21-100 %)", value)
    return number


def _micromolar_to_mg_dl(value: Number, unit: str, field: str, factor: Decimal) -> Decimal:
    number = non_negative(value, field)
    key = _unit_key(unit, field)
    if key == "mg/dl":
        return number
    if key in _MICRO:
        return ratio(number, factor)
    raise ValidationError(f"{field}_unit", "must be one of: mg/dL, µmol/L", unit)


def bilirubin_mg_dl(value: Number, unit: str = "mg/dL", field: str = "bilirubin") -> Decimal:
    """Total bilirubin in mg/dL; ``unit`` is ``"mg/dL"`` or ``"µmol/L"`` (17.1 µmol/L per mg/dL)."""
    return _micromolar_to_mg_dl(value, unit, field, UMOL_PER_L_PER_MG_DL_BILIRUBIN)


def creatinine_mg_dl(value: Number, unit: str = "mg/dL", field: str = "creatinine") -> Decimal:
    """Serum creatinine in mg/dL; ``unit`` is ``"mg/dL"`` or ``"µmol/L"`` (88.4 µmol/L per mg/dL)."""
    return _micromolar_to_mg_dl(value, unit, field, UMOL_PER_L_PER_MG_DL_CREATININE)


def albumin_g_dl(value: Number, unit: str = "g/dL", field: str = "albumin") -> Decimal:
    """Serum albumin in g/dL; ``unit`` is ``"g/dL"`` or ``"g/L"`` (g/L ÷ 10)."""
    number = non_negative(value, field)
    key = _unit_key(unit, field)
    if key == "g/dl":
        return number
    if key == "g/l":
        return ratio(number, G_PER_L_PER_G_DL)
    raise ValidationError(f"{field}_unit", "must be one of: g/dL, g/L", unit)


def temperature_celsius(value: Number, unit: str = "°C", field: str = "temperature") -> Decimal:
    """Body temperature in °C; ``unit`` is ``"°C"``/``"C"`` or ``"°F"``/``"F"`` (°C = (°F − 32) × 5/9)."""
    number = exact(value, field)
    key = _unit_key(unit, field).replace("°", "").replace("deg", "")
    if key in ("c", "celsius"):
        return number
    if key in ("f", "fahrenheit"):
        return ratio(product(number - 32, Decimal(5)), Decimal(9))
    raise ValidationError(f"{field}_unit", "must be one of: °C, °F", unit)
