"""Murray Lung Injury Score (LIS).

Source: Murray JF, Matthay MA, Luce JM, Flick MR. "An expanded definition of the adult respiratory distress
syndrome", Am Rev Respir Dis 1988;138:720-3; table as in clinical.md 3.2 [S20].

Four components scored 0-4; the score is the sum divided by the number of components available. The chest
X-ray and PaO2/FiO2 are always required; PEEP counts when given (ventilated patients) and compliance "when
available", so the divisor is 2, 3 or 4.

Half-open bands for non-integer inputs (clinical.md 3.2 PROPOSAL):

- P/F (mmHg): >= 300 -> 0, >= 225 -> 1, >= 175 -> 2, >= 100 -> 3, else 4;
- PEEP (cmH2O): <= 5 -> 0, <= 8 -> 1, <= 11 -> 2, <= 14 -> 3, else 4;
- compliance (mL/cmH2O): >= 80 -> 0, >= 60 -> 1, >= 40 -> 2, >= 20 -> 3, else 4;
- chest X-ray: number of quadrants with alveolar consolidation (0-4) = points.

Interpretation: 0 = no lung injury, 0.1-2.5 = mild-to-moderate, > 2.5 = severe (ARDS); exactly 2.5 is
mild-to-moderate.

Compliance is the respiratory-system static compliance VT / (Pplat - PEEP) unless a measured value is given;
``compliance_formula="peak"`` selects the dynamic VT / (PIP - PEEP) that some calculators use [S20]. The
formula used is recorded in the result; peak pressure is never substituted silently.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from mexards.clinical.berlin import pf_ratio as pf_ratio_of
from mexards.clinical.quantity import Number, non_negative, optional_exact, positive, ratio
from mexards.domain.errors import ValidationError, ValidationErrors

RULE_VERSION = "Murray lung injury score (Am Rev Respir Dis 1988;138:720), half-open bands"
SEVERE_ABOVE = Decimal("2.5")
STATIC_FORMULA = "static: VT / (Pplat - PEEP)"
DYNAMIC_FORMULA = "dynamic: VT / (PIP - PEEP)"
MEASURED_FORMULA = "measured (entered)"

_PF_FLOORS = ((Decimal(300), 0), (Decimal(225), 1), (Decimal(175), 2), (Decimal(100), 3))
_PEEP_CEILINGS = ((Decimal(5), 0), (Decimal(8), 1), (Decimal(11), 2), (Decimal(14), 3))
_COMPLIANCE_FLOORS = ((Decimal(80), 0), (Decimal(60), 1), (Decimal(40), 2), (Decimal(20), 3))


class MurrayCategory(StrEnum):
    """Interpretation of the Murray score."""

    NONE = "NONE"
    MILD_MODERATE = "MILD_MODERATE"
    SEVERE = "SEVERE"


@dataclass(frozen=True)
class MurrayResult:
    """Murray score with its components (points 0-4 each)."""

    score: Decimal
    category: MurrayCategory
    components: dict[str, int]
    total: int
    missing: tuple[str, ...]
    complete: bool
    compliance_ml_cmh2o: Decimal | None = None
    compliance_formula: str | None = None
    pf_ratio: Decimal | None = None
    warnings: tuple[str, ...] = field(default=())
    rule_version: str = RULE_VERSION


def pf_points(pf: Decimal) -> int:
    """P/F points: >= 300 -> 0, >= 225 -> 1, >= 175 -> 2, >= 100 -> 3, else 4."""
    return next((points for floor, points in _PF_FLOORS if pf >= floor), 4)


def peep_points(peep: Decimal) -> int:
    """PEEP points: <= 5 -> 0, <= 8 -> 1, <= 11 -> 2, <= 14 -> 3, else 4."""
    return next((points for ceiling, points in _PEEP_CEILINGS if peep <= ceiling), 4)


def compliance_points(compliance: Decimal) -> int:
    """Compliance points: >= 80 -> 0, >= 60 -> 1, >= 40 -> 2, >= 20 -> 3, else 4."""
    return next((points for floor, points in _COMPLIANCE_FLOORS if compliance >= floor), 4)


def murray_category(score: Decimal) -> MurrayCategory:
    """0 -> NONE, > 2.5 -> SEVERE, otherwise MILD_MODERATE."""
    if score == 0:
        return MurrayCategory.NONE
    return MurrayCategory.SEVERE if score > SEVERE_ABOVE else MurrayCategory.MILD_MODERATE


def static_compliance_ml_cmh2o(tidal_volume_ml: Number, plateau_cmh2o: Number, peep_cmh2o: Number) -> Decimal:
    """Static respiratory-system compliance VT / (Pplat - PEEP) in mL/cmH2O."""
    vt = positive(tidal_volume_ml, "tidal_volume_ml")
    plateau = non_negative(plateau_cmh2o, "plateau_cmh2o")
    peep = non_negative(peep_cmh2o, "peep_cmh2o")
    if plateau <= peep:
        raise ValidationError("plateau_cmh2o", "must be greater than PEEP", plateau_cmh2o)
    return ratio(vt, plateau - peep)


def _cxr_points(value: Number) -> int:
    quadrants = non_negative(value, "cxr_quadrants")
    if quadrants != quadrants.to_integral_value() or quadrants > 4:
        raise ValidationError("cxr_quadrants", "must be a whole number of quadrants from 0 to 4", value)
    return int(quadrants)


def murray_score(
    *,
    cxr_quadrants: Number | None,
    pf_ratio: Number | None = None,
    pao2_mmhg: Number | None = None,
    fio2_fraction: Number | None = None,
    peep_cmh2o: Number | None = None,
    compliance_ml_cmh2o: Number | None = None,
    tidal_volume_ml: Number | None = None,
    plateau_cmh2o: Number | None = None,
    peak_cmh2o: Number | None = None,
    compliance_formula: str = "plateau",
) -> MurrayResult:
    """Murray LIS. P/F is ``pf_ratio`` or is computed from ``pao2_mmhg`` and ``fio2_fraction``. Compliance is
    ``compliance_ml_cmh2o`` when measured, else computed from VT, PEEP and the plateau (default) or peak
    pressure (``compliance_formula="peak"``). The chest X-ray and P/F are required (``ValidationError``)."""
    if compliance_formula not in ("plateau", "peak"):
        raise ValidationError("compliance_formula", "must be one of: plateau, peak", compliance_formula)
    errors: list[ValidationError] = []
    components: dict[str, int] = {}
    missing: list[str] = []
    warnings: list[str] = []

    if cxr_quadrants is None or (isinstance(cxr_quadrants, str) and not cxr_quadrants.strip()):
        errors.append(ValidationError("cxr_quadrants", "is required for the Murray score"))
    else:
        try:
            components["cxr"] = _cxr_points(cxr_quadrants)
        except ValidationError as exc:
            errors.append(exc)

    pf: Decimal | None = None
    try:
        pf = _pf(pf_ratio, pao2_mmhg, fio2_fraction)
        if pf is None:
            errors.append(ValidationError("pf_ratio", "is required for the Murray score (or pao2 and fio2)"))
        else:
            components["pf_ratio"] = pf_points(pf)
    except ValidationError as exc:
        errors.append(exc)

    peep: Decimal | None = None
    try:
        peep = optional_exact(peep_cmh2o, "peep_cmh2o")
        if peep is not None and peep < 0:
            raise ValidationError("peep_cmh2o", "must not be negative", peep_cmh2o)
        if peep is None:
            missing.append("peep")
        else:
            components["peep"] = peep_points(peep)
    except ValidationError as exc:
        errors.append(exc)

    compliance: Decimal | None = None
    formula: str | None = None
    try:
        compliance, formula = _compliance(
            compliance_ml_cmh2o, tidal_volume_ml, plateau_cmh2o, peak_cmh2o, peep, compliance_formula, warnings
        )
        if compliance is None:
            missing.append("compliance")
        else:
            components["compliance"] = compliance_points(compliance)
    except ValidationError as exc:
        errors.append(exc)

    if len(errors) == 1:
        raise errors[0]
    if errors:
        raise ValidationErrors(errors)
    total = sum(components.values())
    score = ratio(Decimal(total), Decimal(len(components)))
    return MurrayResult(
        score=score,
        category=murray_category(score),
        components=components,
        total=total,
        missing=tuple(missing),
        complete=not missing,
        compliance_ml_cmh2o=compliance,
        compliance_formula=formula,
        pf_ratio=pf,
        warnings=tuple(warnings),
    )


def _pf(pf: Number | None, pao2: Number | None, fio2: Number | None) -> Decimal | None:
    given = optional_exact(pf, "pf_ratio")
    if given is not None:
        if given <= 0:
            raise ValidationError("pf_ratio", "must be greater than 0", pf)
        return given
    if pao2 is None and fio2 is None:
        return None
    if pao2 is None:
        raise ValidationError("pao2_mmhg", "is required with fio2 for the Murray score")
    if fio2 is None:
        raise ValidationError("fio2_fraction", "is required with pao2 for the Murray score")
    return pf_ratio_of(pao2, fio2)


def _compliance(
    measured: Number | None,
    vt: Number | None,
    plateau: Number | None,
    peak: Number | None,
    peep: Decimal | None,
    formula: str,
    warnings: list[str],
) -> tuple[Decimal | None, str | None]:
    value = optional_exact(measured, "compliance_ml_cmh2o")
    if value is not None:
        if value <= 0:
            raise ValidationError("compliance_ml_cmh2o", "must be greater than 0", measured)
        return value, MEASURED_FORMULA
    pressure, pressure_field, label = (
        (plateau, "plateau_cmh2o", STATIC_FORMULA) if formula == "plateau" else (peak, "peak_cmh2o", DYNAMIC_FORMULA)
    )
    if vt is None or pressure is None or peep is None:
        if formula == "plateau" and peak is not None and plateau is None:
            warnings.append("plateau pressure not given: compliance not computed (peak is not used unless chosen)")
        return None, None
    vt_value = positive(vt, "tidal_volume_ml")
    p_value = non_negative(pressure, pressure_field)
    if p_value <= peep:
        raise ValidationError(pressure_field, "must be greater than PEEP", pressure)
    return ratio(vt_value, p_value - peep), label
