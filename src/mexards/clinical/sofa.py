"""Sequential Organ Failure Assessment (SOFA) score, all six systems.

Source: Vincent JL et al., Intensive Care Med 1996;22:707-10; table as reproduced for Sepsis-3 (clinical.md 3.3
[S21]). Each system scores 0-4; the total is 0-24. Feed the worst value of each 24 h period.

Rules (clinical.md 3.3):

- Respiration, PaO2/FiO2 (mmHg): >= 400 -> 0, < 400 -> 1, < 300 -> 2, < 200 with respiratory support -> 3,
  < 100 with respiratory support -> 4. Without respiratory support (invasive or non-invasive ventilation /
  CPAP) the score is capped at 2. When P/F < 200 and the support status is unknown the component is missing.
- Coagulation, platelets x10^3/µL (= x10^9/L): >= 150 -> 0, < 150 -> 1, < 100 -> 2, < 50 -> 3, < 20 -> 4.
- Liver, bilirubin mg/dL: < 1.2 -> 0, 1.2-1.9 -> 1, 2.0-5.9 -> 2, 6.0-11.9 -> 3, >= 12.0 -> 4 (half-open:
  < 2.0 -> 1, < 6.0 -> 2, < 12.0 -> 3).
- Cardiovascular, catecholamines in µg/kg/min given for >= 1 h; the highest applicable row:
  4 if dopamine > 15 or epinephrine > 0.1 or norepinephrine > 0.1; 3 if dopamine > 5 or any epinephrine or
  norepinephrine (<= 0.1); 2 if dopamine <= 5 (Vincent's "<= 5", so exactly 5 gives 2) or any dobutamine;
  1 if MAP < 70 mmHg; 0 if MAP >= 70. A drug not given is entered as 0 or left out.
- CNS, Glasgow Coma Scale 3-15: 15 -> 0, 13-14 -> 1, 10-12 -> 2, 6-9 -> 3, < 6 -> 4 (for sedated patients,
  the best estimated pre-sedation GCS, by convention).
- Renal = max(creatinine score, urine-output score). Creatinine mg/dL: < 1.2 -> 0, < 2.0 -> 1, < 3.5 -> 2,
  < 5.0 -> 3, >= 5.0 -> 4. Urine output mL/day: < 200 -> 4, < 500 -> 3. Without creatinine, renal is only
  scored when urine output alone gives 4 (the maximum); otherwise it is missing.
- SI inputs are converted to mg/dL first (bilirubin ÷ 17.1, creatinine ÷ 88.4) and then scored; the rounded SI
  columns of the published table are not used.
- A missing system is never imputed: the total is the sum of the systems available, ``complete=False`` and
  ``missing`` names the systems (the imputation rule belongs in the SAP).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from mexards.clinical import quantity
from mexards.clinical.berlin import pf_ratio as pf_ratio_of
from mexards.clinical.quantity import Number, optional_exact
from mexards.domain.errors import ValidationError, ValidationErrors

RULE_VERSION = "SOFA (Vincent 1996; Sepsis-3 table), dopamine <= 5 -> 2, SI converted to mg/dL first"
SYSTEMS = ("respiration", "coagulation", "liver", "cardiovascular", "cns", "renal")


@dataclass(frozen=True)
class SOFAResult:
    """SOFA total with per-system points and the clause that decided each."""

    total: int
    components: dict[str, int]
    missing: tuple[str, ...]
    complete: bool
    clauses: dict[str, str] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()
    rule_version: str = RULE_VERSION


def respiration_points(pf: Decimal, respiratory_support: bool | None) -> int | None:
    """Respiration points; ``None`` when P/F < 200 and the support status is unknown."""
    if pf >= 400:
        return 0
    if pf >= 300:
        return 1
    if pf >= 200:
        return 2
    if respiratory_support is None:
        return None
    if not respiratory_support:
        return 2
    return 3 if pf >= 100 else 4


def coagulation_points(platelets: Decimal) -> int:
    """Platelets x10^3/µL: >= 150 -> 0, >= 100 -> 1, >= 50 -> 2, >= 20 -> 3, else 4."""
    for floor, points in ((150, 0), (100, 1), (50, 2), (20, 3)):
        if platelets >= floor:
            return points
    return 4


def liver_points(bilirubin: Decimal) -> int:
    """Bilirubin mg/dL: < 1.2 -> 0, < 2.0 -> 1, < 6.0 -> 2, < 12.0 -> 3, else 4."""
    for ceiling, points in ((Decimal("1.2"), 0), (Decimal(2), 1), (Decimal(6), 2), (Decimal(12), 3)):
        if bilirubin < ceiling:
            return points
    return 4


def cardiovascular_points(
    map_mmhg: Decimal | None,
    dopamine: Decimal,
    dobutamine: Decimal,
    epinephrine: Decimal,
    norepinephrine: Decimal,
) -> tuple[int | None, str]:
    """The highest applicable cardiovascular row and its clause; ``None`` when MAP is needed but missing."""
    if dopamine > 15 or epinephrine > Decimal("0.1") or norepinephrine > Decimal("0.1"):
        return 4, "dopamine > 15 or epinephrine > 0.1 or norepinephrine > 0.1 µg/kg/min"
    if dopamine > 5 or epinephrine > 0 or norepinephrine > 0:
        return 3, "dopamine > 5 or epinephrine <= 0.1 or norepinephrine <= 0.1 µg/kg/min"
    if dopamine > 0 or dobutamine > 0:
        return 2, "dopamine <= 5 µg/kg/min or any dobutamine"
    if map_mmhg is None:
        return None, "MAP missing"
    if map_mmhg < 70:
        return 1, "MAP < 70 mmHg"
    return 0, "MAP >= 70 mmHg, no vasoactive drug"


def cns_points(gcs: int) -> int:
    """GCS 15 -> 0, 13-14 -> 1, 10-12 -> 2, 6-9 -> 3, < 6 -> 4."""
    for floor, points in ((15, 0), (13, 1), (10, 2), (6, 3)):
        if gcs >= floor:
            return points
    return 4


def creatinine_points(creatinine: Decimal) -> int:
    """Creatinine mg/dL: < 1.2 -> 0, < 2.0 -> 1, < 3.5 -> 2, < 5.0 -> 3, else 4."""
    for ceiling, points in ((Decimal("1.2"), 0), (Decimal(2), 1), (Decimal("3.5"), 2), (Decimal(5), 3)):
        if creatinine < ceiling:
            return points
    return 4


def urine_output_points(urine_ml_day: Decimal) -> int:
    """Urine output mL/day: < 200 -> 4, < 500 -> 3, else 0."""
    if urine_ml_day < 200:
        return 4
    return 3 if urine_ml_day < 500 else 0


def _gcs(value: Number) -> int:
    gcs = quantity.exact(value, "gcs")
    if gcs != gcs.to_integral_value() or not 3 <= gcs <= 15:
        raise ValidationError("gcs", "must be a whole number from 3 to 15", value)
    return int(gcs)


def _drug(value: Number | None, name: str) -> Decimal:
    dose = optional_exact(value, name)
    if dose is None:
        return Decimal(0)
    if dose < 0:
        raise ValidationError(name, "must not be negative", value)
    return dose


def _non_negative_optional(value: Number | None, name: str) -> Decimal | None:
    number = optional_exact(value, name)
    if number is not None and number < 0:
        raise ValidationError(name, "must not be negative", value)
    return number


def sofa_score(
    *,
    pf_ratio: Number | None = None,
    pao2_mmhg: Number | None = None,
    fio2_fraction: Number | None = None,
    respiratory_support: bool | None = None,
    platelets_10e3_ul: Number | None = None,
    bilirubin_mg_dl: Number | None = None,
    bilirubin_unit: str = "mg/dL",
    map_mmhg: Number | None = None,
    dopamine_ug_kg_min: Number | None = None,
    dobutamine_ug_kg_min: Number | None = None,
    epinephrine_ug_kg_min: Number | None = None,
    norepinephrine_ug_kg_min: Number | None = None,
    gcs: Number | None = None,
    creatinine_mg_dl: Number | None = None,
    creatinine_unit: str = "mg/dL",
    urine_output_ml_day: Number | None = None,
) -> SOFAResult:
    """SOFA score (Vincent 1996 [S21]); see the module docstring for every rule. Missing inputs give a partial
    total with ``complete=False``; invalid inputs raise ``ValidationError`` naming the field (all at once)."""
    errors: list[ValidationError] = []
    components: dict[str, int] = {}
    clauses: dict[str, str] = {}
    missing: list[str] = []
    warnings: list[str] = []

    def system(name: str, step: Callable[[], tuple[int, str] | None]) -> None:
        try:
            scored = step()
        except ValidationErrors as many:
            errors.extend(many.errors)
            return
        except ValidationError as exc:
            errors.append(exc)
            return
        if scored is None:
            missing.append(name)
        else:
            components[name], clauses[name] = scored

    def respiration() -> tuple[int, str] | None:
        pf = optional_exact(pf_ratio, "pf_ratio")
        if pf is None and (pao2_mmhg is not None or fio2_fraction is not None):
            if pao2_mmhg is None or fio2_fraction is None:
                raise ValidationError("pao2_mmhg" if pao2_mmhg is None else "fio2_fraction", "is required")
            pf = pf_ratio_of(pao2_mmhg, fio2_fraction)
        if pf is None:
            return None
        if pf <= 0:
            raise ValidationError("pf_ratio", "must be greater than 0", pf_ratio)
        if respiratory_support is not None and not isinstance(respiratory_support, bool):
            raise ValidationError("respiratory_support", "must be true or false", respiratory_support)
        points = respiration_points(pf, respiratory_support)
        if points is None:
            warnings.append("respiration: P/F < 200 but respiratory support unknown")
            return None
        capped = pf < 200 and not respiratory_support
        return points, f"P/F {pf}" + (" without respiratory support (capped at 2)" if capped else "")

    def coagulation() -> tuple[int, str] | None:
        platelets = _non_negative_optional(platelets_10e3_ul, "platelets_10e3_ul")
        return None if platelets is None else (coagulation_points(platelets), f"platelets {platelets} x10^3/µL")

    def liver() -> tuple[int, str] | None:
        if optional_exact(bilirubin_mg_dl, "bilirubin_mg_dl") is None:
            return None
        assert bilirubin_mg_dl is not None
        bili = quantity.bilirubin_mg_dl(bilirubin_mg_dl, bilirubin_unit, "bilirubin_mg_dl")
        return liver_points(bili), f"bilirubin {bili} mg/dL"

    def cardiovascular() -> tuple[int, str] | None:
        problems: list[ValidationError] = []
        mean: Decimal | None = None
        try:
            mean = _non_negative_optional(map_mmhg, "map_mmhg")
        except ValidationError as exc:
            problems.append(exc)
        drugs: list[Decimal] = []
        for value, name in (
            (dopamine_ug_kg_min, "dopamine_ug_kg_min"),
            (dobutamine_ug_kg_min, "dobutamine_ug_kg_min"),
            (epinephrine_ug_kg_min, "epinephrine_ug_kg_min"),
            (norepinephrine_ug_kg_min, "norepinephrine_ug_kg_min"),
        ):
            try:
                drugs.append(_drug(value, name))
            except ValidationError as exc:
                problems.append(exc)
        if problems:
            raise ValidationErrors(problems)
        points, clause = cardiovascular_points(mean, *drugs)
        return None if points is None else (points, clause)

    def cns() -> tuple[int, str] | None:
        if gcs is None or (isinstance(gcs, str) and not gcs.strip()):
            return None
        value = _gcs(gcs)
        return cns_points(value), f"GCS {value}"

    def renal() -> tuple[int, str] | None:
        creat: Decimal | None = None
        if optional_exact(creatinine_mg_dl, "creatinine_mg_dl") is not None:
            assert creatinine_mg_dl is not None
            creat = quantity.creatinine_mg_dl(creatinine_mg_dl, creatinine_unit, "creatinine_mg_dl")
        urine = _non_negative_optional(urine_output_ml_day, "urine_output_ml_day")
        by_urine = None if urine is None else urine_output_points(urine)
        if creat is None:
            if by_urine == 4:
                return 4, f"urine output {urine} mL/day < 200"
            return None
        by_creat = creatinine_points(creat)
        if by_urine is not None and by_urine > by_creat:
            return by_urine, f"urine output {urine} mL/day (creatinine {creat} mg/dL scores {by_creat})"
        return by_creat, f"creatinine {creat} mg/dL"

    for name, step in zip(SYSTEMS, (respiration, coagulation, liver, cardiovascular, cns, renal), strict=True):
        system(name, step)
    if len(errors) == 1:
        raise errors[0]
    if errors:
        raise ValidationErrors(errors)
    return SOFAResult(
        total=sum(components.values()),
        components=components,
        missing=tuple(missing),
        complete=not missing,
        clauses=clauses,
        warnings=tuple(warnings),
    )
