"""Body mass index, ARDSNet predicted body weight and tidal volume, age in completed years.

Sources:

- BMI = weight (kg) / height (m)^2 (clinical.md 3.5). NCT04602104 exclusion 10 is "BMI > 28" [S1], applied to
  the exact decimal value: 80.92 kg / 170 cm is exactly 28 and is not > 28. Rounding before a comparison is
  only done when asked for (``rounding="1dp"``, the protocol setting ``bmi_rounding``; default ``"none"``).
- Predicted body weight, ARDS Network (NEJM 2000;342:1301; clinical.md 3.6 [S23]), cm form:
  male 50 + 0.91 x (height cm - 152.4), female 45.5 + 0.91 x (height cm - 152.4). The inch form differs by up
  to about 0.1 kg and is not used. Heights below 152.4 cm are extrapolated with a warning.
- Lung-protective tidal volume: 6 mL/kg PBW (allowed range 4-8 mL/kg) [S23].
- Age in completed years on a date (clinical-examples.md conventions: "Age = completed years at
  screening"). Someone born on 29 February completes a year on 1 March in non-leap years.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

from mexards.clinical.quantity import ARITHMETIC, Number, positive, product, ratio
from mexards.domain.errors import ValidationError

RULE_VERSION_PBW = "ARDSNet predicted body weight, cm form (NEJM 2000;342:1301)"
PBW_BASE_KG = {"male": Decimal("50"), "female": Decimal("45.5")}
PBW_KG_PER_CM = Decimal("0.91")
PBW_REFERENCE_HEIGHT_CM = Decimal("152.4")
TIDAL_VOLUME_ML_PER_KG_RANGE = (Decimal(4), Decimal(8))
HEIGHT_CM_RANGE = (Decimal(30), Decimal(300))
BMI_ROUNDINGS = ("none", "1dp")

_SEX_ALIASES = {"male": "male", "m": "male", "man": "male", "female": "female", "f": "female", "woman": "female"}


def _height_cm(value: Number) -> Decimal:
    height = positive(value, "height_cm")
    low, high = HEIGHT_CM_RANGE
    if not low <= height <= high:
        raise ValidationError("height_cm", "must be in centimetres, between 30 and 300", value)
    return height


def bmi(weight_kg: Number, height_cm: Number, rounding: str = "none") -> Decimal:
    """Body mass index in kg/m^2, exact and unrounded by default.

    ``rounding="1dp"`` rounds half-up to one decimal *before* any comparison the caller makes; use it only when
    the protocol explicitly says so (clinical.md 3 general rules: 81 kg / 170 cm = 28.03 rounds to 28.0).
    """
    weight = positive(weight_kg, "weight_kg")
    height = _height_cm(height_cm)
    value = ratio(product(weight, Decimal(10000)), product(height, height))
    if rounding == "none":
        return value
    if rounding == "1dp":
        return value.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP, context=ARITHMETIC)
    raise ValidationError("bmi_rounding", "must be one of: none, 1dp", rounding)


def normalise_sex(sex: str) -> str:
    """``"male"`` or ``"female"`` (also accepts m/f, case-insensitive)."""
    key = str(sex).strip().lower() if sex is not None else ""
    if key not in _SEX_ALIASES:
        raise ValidationError("sex", "must be male or female", sex)
    return _SEX_ALIASES[key]


def predicted_body_weight_kg(sex: str, height_cm: Number) -> Decimal:
    """ARDSNet predicted body weight in kg (cm form): 50 (male) or 45.5 (female) + 0.91 x (height - 152.4)."""
    base = PBW_BASE_KG[normalise_sex(sex)]
    height = _height_cm(height_cm)
    pbw = base + product(PBW_KG_PER_CM, height - PBW_REFERENCE_HEIGHT_CM)
    if pbw <= 0:
        raise ValidationError("height_cm", "too short for the predicted body weight formula", height_cm)
    return pbw


def tidal_volume_ml(sex: str, height_cm: Number, ml_per_kg: Number = 6) -> Decimal:
    """Target tidal volume in mL = ``ml_per_kg`` x predicted body weight (ARDSNet default 6 mL/kg)."""
    per_kg = positive(ml_per_kg, "ml_per_kg")
    return product(per_kg, predicted_body_weight_kg(sex, height_cm))


@dataclass(frozen=True)
class VentilationTarget:
    """Predicted body weight and target tidal volume with the warnings that apply."""

    sex: str
    height_cm: Decimal
    predicted_body_weight_kg: Decimal
    ml_per_kg: Decimal
    tidal_volume_ml: Decimal
    warnings: tuple[str, ...]
    formula: str = "PBW = base + 0.91 x (height_cm - 152.4); VT = ml_per_kg x PBW"
    rule_version: str = RULE_VERSION_PBW


def ventilation_target(sex: str, height_cm: Number, ml_per_kg: Number = 6) -> VentilationTarget:
    """PBW and tidal volume together, warning for heights below 152.4 cm (formula extrapolated, validated in
    adults) and for a mL/kg outside the ARDSNet 4-8 range [S23]."""
    height = _height_cm(height_cm)
    per_kg = positive(ml_per_kg, "ml_per_kg")
    pbw = predicted_body_weight_kg(sex, height)
    warnings: list[str] = []
    if height < PBW_REFERENCE_HEIGHT_CM:
        warnings.append("height below 152.4 cm: predicted body weight is extrapolated")
    low, high = TIDAL_VOLUME_ML_PER_KG_RANGE
    if not low <= per_kg <= high:
        warnings.append("ml_per_kg outside the ARDSNet range 4-8 mL/kg")
    return VentilationTarget(
        sex=normalise_sex(sex),
        height_cm=height,
        predicted_body_weight_kg=pbw,
        ml_per_kg=per_kg,
        tidal_volume_ml=product(per_kg, pbw),
        warnings=tuple(warnings),
    )


def age_completed_years(date_of_birth: date, on: date) -> int:
    """Age in completed years on ``on``: the number of birthdays passed (a birthday on ``on`` counts).

    A 29 February birthday is completed on 1 March in non-leap years.
    """
    for name, value in (("date_of_birth", date_of_birth), ("on", on)):
        if not isinstance(value, date):
            raise ValidationError(name, "must be a date", value)
    born = date_of_birth.date() if isinstance(date_of_birth, datetime) else date_of_birth
    today = on.date() if isinstance(on, datetime) else on
    if today < born:
        raise ValidationError("date_of_birth", "must not be after the assessment date", date_of_birth)
    years = today.year - born.year
    if (today.month, today.day) < (born.month, born.day):
        years -= 1
    return years
