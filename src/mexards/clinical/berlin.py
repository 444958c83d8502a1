"""PaO2/FiO2, the S/F surrogate and the Berlin definition of ARDS.

Source: ARDS Definition Task Force, "Acute respiratory distress syndrome: the Berlin Definition",
JAMA 2012;307:2526-33 (tables as reproduced in clinical.md section 3.1, [S19]). All four criteria must hold:

1. timing: within 1 week of a known clinical insult or new/worsening respiratory symptoms;
2. chest imaging: bilateral opacities not fully explained by effusions, collapse or nodules;
3. origin of oedema: respiratory failure not fully explained by cardiac failure or fluid overload;
4. oxygenation, measured on PEEP or CPAP >= 5 cmH2O:
   mild 200 < P/F <= 300 (PEEP or CPAP, may be non-invasive), moderate 100 < P/F <= 200 (PEEP),
   severe P/F <= 100 (PEEP).

Conventions (clinical.md 3.1 and 5; documented in docs/clinical.md):

- Decision order: a criterion that is definitely not met gives ``NOT_ARDS`` (with the reason) even if other
  items are missing; otherwise a missing item gives ``NOT_ASSESSABLE`` naming it; otherwise PEEP/CPAP < 5
  cmH2O (or no positive-pressure support) gives ``NOT_ASSESSABLE`` because the oxygenation criterion can only
  be applied on PEEP/CPAP >= 5; otherwise P/F > 300 gives ``NOT_ARDS``.
- Non-invasive support is allowed only in the mild row. With P/F <= 200 on non-invasive support the
  ``strict`` policy (default) gives ``NOT_CLASSIFIABLE``; the ``pragmatic`` policy grades it as moderate or
  severe. ``pragmatic_category`` always carries the pragmatic answer.
- Altitude: above 1000 m the graded value is P/F x (PB / 760) [S19]. PB is the measured barometric pressure
  when given, else it is estimated from the altitude with the standard (ICAO/ISA troposphere) barometric
  formula PB = 760 x (1 - 2.25577e-5 x h)^5.25588 mmHg. A PB given without an altitude triggers the correction
  when PB is below the standard pressure at 1000 m (about 674 mmHg).
- The S/F ratio (Rice et al., Chest 2007;132:410, [S26]) is a separate, flagged surrogate, valid only for
  SpO2 <= 97 %; it is never substituted for P/F in Berlin grading.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from mexards.clinical.quantity import (
    ARITHMETIC,
    Number,
    exact,
    non_negative,
    positive,
    product,
    ratio,
)
from mexards.clinical.quantity import fio2_fraction as fio2_fraction_of
from mexards.domain.errors import ValidationError, ValidationErrors

RULE_VERSION = "Berlin definition of ARDS, JAMA 2012;307:2526"

PEEP_MIN_CMH2O = Decimal(5)
MILD_UPPER = Decimal(300)
MODERATE_UPPER = Decimal(200)
SEVERE_UPPER = Decimal(100)
ALTITUDE_CORRECTION_ABOVE_M = Decimal(1000)
SEA_LEVEL_MMHG = Decimal(760)
SF_MAX_SPO2_PERCENT = Decimal(97)

# Standard atmosphere (ICAO / ISA troposphere): P = P0 * (1 - L*h/T0) ** (g*M/(R*L)).
_ISA_LAPSE_PER_M = Decimal("0.0000225577")
_ISA_EXPONENT = Decimal("5.25588")

INVASIVE = "invasive"
NONINVASIVE = "noninvasive"
NO_SUPPORT = "none"
_SUPPORT_ALIASES = {
    "invasive": INVASIVE,
    "imv": INVASIVE,
    "mv": INVASIVE,
    "mechanical": INVASIVE,
    "noninvasive": NONINVASIVE,
    "non-invasive": NONINVASIVE,
    "non_invasive": NONINVASIVE,
    "niv": NONINVASIVE,
    "cpap": NONINVASIVE,
    "none": NO_SUPPORT,
}
POLICIES = ("strict", "pragmatic")


class BerlinCategory(StrEnum):
    """Outcome of the Berlin classification."""

    MILD = "MILD"
    MODERATE = "MODERATE"
    SEVERE = "SEVERE"
    NOT_ARDS = "NOT_ARDS"
    NOT_ASSESSABLE = "NOT_ASSESSABLE"
    NOT_CLASSIFIABLE = "NOT_CLASSIFIABLE"


@dataclass(frozen=True)
class BerlinResult:
    """A Berlin classification with the values and reasons behind it."""

    category: BerlinCategory
    pragmatic_category: BerlinCategory
    pf_ratio: Decimal | None
    pf_ratio_corrected: Decimal | None
    reasons: tuple[str, ...]
    warnings: tuple[str, ...]
    missing: tuple[str, ...]
    policy: str = "strict"
    support: str | None = None
    barometric_pressure_mmhg: Decimal | None = None
    rule_version: str = RULE_VERSION

    @property
    def graded_pf_ratio(self) -> Decimal | None:
        """The P/F value the severity bands were applied to (altitude-corrected when corrected)."""
        return self.pf_ratio_corrected if self.pf_ratio_corrected is not None else self.pf_ratio


@dataclass(frozen=True)
class SFResult:
    """The SpO2/FiO2 surrogate, always flagged as a surrogate (Rice et al. 2007 [S26])."""

    sf_ratio: Decimal
    estimated_pf_ratio: Decimal
    valid: bool
    warnings: tuple[str, ...]
    surrogate: bool = True


def pf_ratio(pao2_mmhg: Number, fio2_fraction_value: Number) -> Decimal:
    """PaO2 (mmHg) / FiO2 (fraction; a value > 1 is read as percent), exact on the values as entered."""
    pao2 = positive(pao2_mmhg, "pao2_mmhg")
    fio2 = fio2_fraction_of(fio2_fraction_value, "fio2_fraction")
    return ratio(pao2, fio2)


def _spo2(spo2_percent: Number) -> Decimal:
    spo2 = positive(spo2_percent, "spo2_percent")
    if spo2 > 100:
        raise ValidationError("spo2_percent", "must be at most 100 %", spo2_percent)
    return spo2


def sf_ratio(spo2_percent: Number, fio2_fraction_value: Number) -> Decimal:
    """SpO2 (%) / FiO2 (fraction). Valid only for SpO2 <= 97 % (Rice et al., Chest 2007 [S26]): above that
    the oxyhaemoglobin curve is flat, so a higher SpO2 raises ``ValidationError``."""
    spo2 = _spo2(spo2_percent)
    if spo2 > SF_MAX_SPO2_PERCENT:
        raise ValidationError("spo2_percent", "must be at most 97 % for the S/F surrogate", spo2_percent)
    return ratio(spo2, fio2_fraction_of(fio2_fraction_value, "fio2_fraction"))


def sf_surrogate(spo2_percent: Number, fio2_fraction_value: Number) -> SFResult:
    """The flagged S/F surrogate with the Rice et al. 2007 estimate of P/F from S/F = 64 + 0.84 x P/F
    (S/F 235 ~ P/F 200, S/F 315 ~ P/F 300) [S26]. ``valid`` is False when SpO2 > 97 %. Never used by
    :func:`classify_berlin`."""
    spo2 = _spo2(spo2_percent)
    value = ratio(spo2, fio2_fraction_of(fio2_fraction_value, "fio2_fraction"))
    estimate = ratio(value - 64, Decimal("0.84"))
    warnings = ["S/F is a surrogate (Rice 2007); it is not used for Berlin grading"]
    valid = spo2 <= SF_MAX_SPO2_PERCENT
    if not valid:
        warnings.append("SpO2 > 97 %: S/F is not valid (flat part of the oxyhaemoglobin curve)")
    return SFResult(value, estimate, valid, tuple(warnings))


def standard_barometric_pressure_mmhg(altitude_m: Number) -> Decimal:
    """Barometric pressure estimated from altitude with the standard-atmosphere (ISA troposphere) formula
    PB = 760 x (1 - 2.25577e-5 x h)^5.25588 mmHg (h in metres, valid up to 11 000 m)."""
    height = exact(altitude_m, "altitude_m")
    if not Decimal(-500) <= height <= Decimal(11000):
        raise ValidationError("altitude_m", "must be between -500 and 11000 m", altitude_m)
    base = 1 - product(_ISA_LAPSE_PER_M, height)
    return product(SEA_LEVEL_MMHG, ARITHMETIC.power(base, _ISA_EXPONENT))


def _support(value: str | None) -> str | None:
    if value is None:
        return None
    key = str(value).strip().lower().replace(" ", "")
    if key not in _SUPPORT_ALIASES:
        raise ValidationError("support", "must be one of: invasive, noninvasive, none", value)
    return _SUPPORT_ALIASES[key]


def _grade(pf: Decimal, support: str, policy: str) -> tuple[BerlinCategory, str]:
    if pf > MILD_UPPER:
        return BerlinCategory.NOT_ARDS, f"P/F {_fmt(pf)} > 300 mmHg: oxygenation criterion not met"
    if pf > MODERATE_UPPER:
        return BerlinCategory.MILD, f"200 < P/F {_fmt(pf)} <= 300 mmHg: mild"
    severity = BerlinCategory.MODERATE if pf > SEVERE_UPPER else BerlinCategory.SEVERE
    band = "100 < P/F <= 200" if severity is BerlinCategory.MODERATE else "P/F <= 100"
    if support == NONINVASIVE and policy == "strict":
        return (
            BerlinCategory.NOT_CLASSIFIABLE,
            f"P/F {_fmt(pf)} <= 200 mmHg on non-invasive support: Berlin allows non-invasive support only "
            f"for mild ARDS (strict policy; pragmatic grade {severity.value})",
        )
    return severity, f"{band} mmHg (P/F {_fmt(pf)}): {severity.value.lower()}"


def _fmt(value: Decimal) -> str:
    """Display form (rounded to 1 decimal, trailing zeros dropped); never used for comparisons."""
    shown = value.quantize(Decimal("0.1"))
    return format(shown.normalize() if shown == shown.to_integral_value() else shown, "f")


def classify_berlin(
    *,
    pao2_mmhg: Number | None,
    fio2_fraction: Number | None,
    peep_cmh2o: Number | None,
    support: str | None,
    timing_within_1_week: bool | None = True,
    bilateral_opacities: bool | None = True,
    edema_not_cardiac: bool | None = True,
    barometric_pressure_mmhg: Number | None = None,
    altitude_m: Number | None = None,
    policy: str = "strict",
) -> BerlinResult:
    """Classify ARDS by the Berlin definition (JAMA 2012 [S19]); see the module docstring for the rules.

    ``support`` is ``"invasive"`` or ``"noninvasive"`` (``"none"`` is accepted and makes the oxygenation
    criterion not assessable). Any of PaO2, FiO2, PEEP or support given as ``None`` gives ``NOT_ASSESSABLE``
    with the missing field named, unless another criterion is definitely not met.
    """
    if policy not in POLICIES:
        raise ValidationError("policy", "must be one of: strict, pragmatic", policy)
    errors: list[ValidationError] = []
    pao2 = _collect(errors, positive, pao2_mmhg, "pao2_mmhg")
    fio2 = _collect(errors, fio2_fraction_of, fio2_fraction, "fio2_fraction")
    peep = _collect(errors, non_negative, peep_cmh2o, "peep_cmh2o")
    pb = _collect(errors, positive, barometric_pressure_mmhg, "barometric_pressure_mmhg")
    altitude = _collect(errors, exact, altitude_m, "altitude_m")
    mode: str | None = None
    try:
        mode = _support(support)
    except ValidationError as exc:
        errors.append(exc)
    for name, flag in (
        ("timing_within_1_week", timing_within_1_week),
        ("bilateral_opacities", bilateral_opacities),
        ("edema_not_cardiac", edema_not_cardiac),
    ):
        if flag is not None and not isinstance(flag, bool):
            errors.append(ValidationError(name, "must be true, false or unknown", flag))
    if len(errors) == 1:
        raise errors[0]
    if errors:
        raise ValidationErrors(errors)

    reasons: list[str] = []
    warnings: list[str] = []
    missing: list[str] = []
    failed: list[str] = []

    for name, flag, failure in (
        ("timing_within_1_week", timing_within_1_week, "onset not within 1 week of the insult (timing)"),
        ("bilateral_opacities", bilateral_opacities, "no bilateral opacities on chest imaging"),
        ("edema_not_cardiac", edema_not_cardiac, "oedema fully explained by cardiac failure or fluid overload"),
    ):
        if flag is None:
            missing.append(name)
        elif flag is False:
            failed.append(failure)
    for name, value in (("pao2_mmhg", pao2), ("fio2_fraction", fio2), ("peep_cmh2o", peep), ("support", mode)):
        if value is None:
            missing.append(name)

    raw_pf = ratio(pao2, fio2) if pao2 is not None and fio2 is not None else None
    corrected_pf, used_pb = _altitude_correction(raw_pf, pb, altitude, warnings)
    graded = corrected_pf if corrected_pf is not None else raw_pf

    if (
        graded is not None
        and peep is not None
        and mode in (INVASIVE, NONINVASIVE)
        and peep >= PEEP_MIN_CMH2O
        and graded > MILD_UPPER
    ):
        failed.append(f"P/F {_fmt(graded)} > 300 mmHg on PEEP/CPAP {_fmt(peep)} cmH2O")

    def result(category: BerlinCategory, pragmatic: BerlinCategory) -> BerlinResult:
        return BerlinResult(
            category=category,
            pragmatic_category=pragmatic,
            pf_ratio=raw_pf,
            pf_ratio_corrected=corrected_pf,
            reasons=tuple(reasons),
            warnings=tuple(warnings),
            missing=tuple(missing),
            policy=policy,
            support=mode,
            barometric_pressure_mmhg=used_pb,
        )

    if failed:
        reasons.extend(f"not ARDS: {item}" for item in failed)
        return result(BerlinCategory.NOT_ARDS, BerlinCategory.NOT_ARDS)
    if missing:
        reasons.append("not assessable: missing " + ", ".join(missing))
        return result(BerlinCategory.NOT_ASSESSABLE, BerlinCategory.NOT_ASSESSABLE)
    assert graded is not None and peep is not None and mode is not None
    if mode == NO_SUPPORT:
        reasons.append("not assessable: oxygenation must be measured on PEEP or CPAP >= 5 cmH2O (no support)")
        return result(BerlinCategory.NOT_ASSESSABLE, BerlinCategory.NOT_ASSESSABLE)
    if peep < PEEP_MIN_CMH2O:
        reasons.append(
            f"not assessable: PEEP/CPAP {_fmt(peep)} cmH2O < 5 cmH2O; the oxygenation criterion needs >= 5"
        )
        return result(BerlinCategory.NOT_ASSESSABLE, BerlinCategory.NOT_ASSESSABLE)
    category, reason = _grade(graded, mode, policy)
    pragmatic, _ = _grade(graded, mode, "pragmatic")
    reasons.append(reason)
    return result(category, pragmatic)


def _collect(
    errors: list[ValidationError], parse: Callable[[Number, str], Decimal], value: Number | None, field: str
) -> Decimal | None:
    """Parse an optional value, appending a validation failure to ``errors`` instead of raising."""
    if value is None:
        return None
    try:
        return parse(value, field)
    except ValidationError as exc:
        errors.append(exc)
        return None


def _altitude_correction(
    pf: Decimal | None, pb: Decimal | None, altitude: Decimal | None, warnings: list[str]
) -> tuple[Decimal | None, Decimal | None]:
    """Return (corrected P/F or None, barometric pressure used or None) per the Berlin altitude footnote."""
    if altitude is not None:
        if altitude <= ALTITUDE_CORRECTION_ABOVE_M:
            return None, pb
        if pb is None:
            pb = standard_barometric_pressure_mmhg(altitude)
            warnings.append(
                f"barometric pressure estimated from altitude {_fmt(altitude)} m with the standard "
                f"atmosphere formula: {_fmt(pb)} mmHg"
            )
    elif pb is not None:
        if pb >= standard_barometric_pressure_mmhg(ALTITUDE_CORRECTION_ABOVE_M):
            return None, pb
        warnings.append(f"altitude not given; barometric pressure {_fmt(pb)} mmHg implies > 1000 m")
    else:
        return None, None
    if pf is None:
        return None, pb
    warnings.append(f"P/F corrected for altitude: P/F x ({_fmt(pb)} / 760)")
    return ratio(product(pf, pb), SEA_LEVEL_MMHG), pb
