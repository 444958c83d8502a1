"""Derived values that eligibility rules may name (``age_years``, ``bmi``, ``berlin_category``, ...).

Each is computed from a checked :class:`~mexards.clinical.patient.PatientRecord` by the clinical functions
(``mexards.clinical.anthropometry``, ``berlin``, ``child_pugh``, ``quantity``), never by a private copy of their
formulas, and returns a :class:`Derived`: the value (or ``None`` when inputs are missing, naming them), the
inputs used as entered, and any warnings. Errors raised by the clinical functions are renamed to the patient
field they came from (``height_cm`` -> ``anthropometry.height_cm``).

Two values are computed here because they are not clinical-library definitions:

- ``standard_weight_deviation`` = weight / (0.7 x (height cm - 80)) - 1, MEXVT's "standard weight" with its
  +-10 % tolerance (NCT04313647 inclusion criteria [S6]; clinical.md 2.1 and 3.6);
- ``child_pugh_score`` with components missing: the scores still possible, found by scoring the missing
  components at their best (1 point) and worst (3 points) with ``child_pugh`` itself, so that a rule such as
  "score > 12" can still be decided (e.g. three 1-point components can never exceed 3 + 6 = 9).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from mexards.clinical import anthropometry, berlin, child_pugh, quantity
from mexards.clinical.patient import Event, PatientRecord
from mexards.domain.errors import ValidationError, ValidationErrors

STANDARD_WEIGHT_FACTOR = Decimal("0.7")
_CENT = Decimal("0.01")
STANDARD_WEIGHT_OFFSET_CM = Decimal(80)

LABELS = {
    "age_years": "age (years)",
    "bmi": "BMI",
    "pao2_mmhg": "PaO2 (mmHg)",
    "fio2_fraction": "FiO2",
    "paco2_mmhg": "PaCO2 (mmHg)",
    "pf_ratio": "P/F (mmHg)",
    "berlin_category": "Berlin category",
    "child_pugh_score": "Child-Pugh score",
    "child_pugh_class": "Child-Pugh class",
    "predicted_body_weight_kg": "predicted body weight (kg)",
    "standard_weight_deviation": "deviation from standard weight",
}


@dataclass(frozen=True)
class Derived:
    """A derived (or plain field) value with what it was computed from.

    ``value`` is ``None`` when it cannot be computed; then ``missing`` names the absent fields and, for
    ``child_pugh_score``, ``low``/``high`` bound the values still possible."""

    value: Any
    used: dict[str, str] = field(default_factory=dict)
    missing: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    detail: str = ""
    low: Decimal | None = None
    high: Decimal | None = None


def show(value: Any) -> str:
    """Display form of a value (numbers rounded to 2 decimals for display only)."""
    if value is True:
        return "yes"
    if value is False:
        return "no"
    if isinstance(value, Decimal):
        exponent = value.as_tuple().exponent
        if isinstance(exponent, int) and -2 <= exponent <= 0:
            return format(value, "f")
        number = quantity.tidy(value)
        if number.as_tuple().exponent < -2:  # type: ignore[operator]
            number = number.quantize(_CENT)
        return format(number, "f")
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Event):
        if value.occurred is None:
            return "not recorded"
        if not value.occurred:
            return "no"
        return f"yes, {value.when.isoformat()}" if value.when else "yes, date not recorded"
    return str(value)


@contextmanager
def renamed(mapping: dict[str, str]) -> Iterator[None]:
    """Re-raise clinical-function errors under the patient field names given in ``mapping``."""
    try:
        yield
    except ValidationErrors as exc:
        raise ValidationErrors([_rename(e, mapping) for e in exc.errors]) from None
    except ValidationError as exc:
        raise _rename(exc, mapping) from None


def _rename(error: ValidationError, mapping: dict[str, str]) -> ValidationError:
    return ValidationError(mapping.get(error.field, error.field), error.rule, error.value)


def _first(record: PatientRecord, *paths: str) -> tuple[str, Any]:
    for path in paths:
        value = record.get(path)
        if value is not None:
            return path, value
    return paths[0], None


def _inputs(record: PatientRecord, paths: tuple[str, ...]) -> tuple[dict[str, str], tuple[str, ...]]:
    used = {p: show(record.get(p)) for p in paths if record.get(p) is not None}
    missing = tuple(p for p in paths if record.get(p) is None)
    return used, missing


def pao2_mmhg(record: PatientRecord) -> Derived:
    """PaO2 in mmHg from ``oxygenation.pao2_mmhg`` or ``oxygenation.pao2_kpa`` (1 kPa = 7.50062 mmHg)."""
    path, value = _first(record, "oxygenation.pao2_mmhg", "oxygenation.pao2_kpa")
    if value is None:
        return Derived(None, missing=("oxygenation.pao2_mmhg",))
    unit = "kPa" if path.endswith("kpa") else "mmHg"
    return Derived(quantity.pressure_mmhg(value, unit, path), {path: show(value)})


def paco2_mmhg(record: PatientRecord) -> Derived:
    """PaCO2 in mmHg from ``oxygenation.paco2_mmhg`` or ``oxygenation.paco2_kpa``."""
    path, value = _first(record, "oxygenation.paco2_mmhg", "oxygenation.paco2_kpa")
    if value is None:
        return Derived(None, missing=("oxygenation.paco2_mmhg",))
    unit = "kPa" if path.endswith("kpa") else "mmHg"
    return Derived(quantity.pressure_mmhg(value, unit, path), {path: show(value)})


def fio2_fraction(record: PatientRecord) -> Derived:
    """FiO2 as a fraction from ``oxygenation.fio2_fraction`` (values > 1 read as percent) or ``fio2_percent``."""
    path, value = _first(record, "oxygenation.fio2_fraction", "oxygenation.fio2_percent")
    if value is None:
        return Derived(None, missing=("oxygenation.fio2_fraction",))
    number = quantity.ratio(value, Decimal(100)) if path.endswith("percent") else value
    return Derived(quantity.fio2_fraction(number, path), {path: show(value)})


def pf_ratio(record: PatientRecord) -> Derived:
    """PaO2/FiO2 in mmHg (``mexards.clinical.berlin.pf_ratio``)."""
    pao2, fio2 = pao2_mmhg(record), fio2_fraction(record)
    used = {**pao2.used, **fio2.used}
    if pao2.value is None or fio2.value is None:
        return Derived(None, used, pao2.missing + fio2.missing)
    return Derived(berlin.pf_ratio(pao2.value, fio2.value), used)


def berlin_category(record: PatientRecord, policy: str = "strict") -> Derived:
    """The Berlin category (``classify_berlin``) with the protocol's non-invasive policy."""
    pao2, fio2 = pao2_mmhg(record), fio2_fraction(record)
    plain = ("ards.onset_within_1_week", "ards.bilateral_opacities", "ards.edema_not_cardiac",
             "oxygenation.peep_cmh2o", "oxygenation.support", "oxygenation.altitude_m",
             "oxygenation.barometric_pressure_mmhg")
    used, _ = _inputs(record, plain)
    used = {**pao2.used, **fio2.used, **used}
    names = {"timing_within_1_week": "ards.onset_within_1_week", "bilateral_opacities": "ards.bilateral_opacities",
             "edema_not_cardiac": "ards.edema_not_cardiac", "pao2_mmhg": "oxygenation.pao2_mmhg",
             "fio2_fraction": "oxygenation.fio2_fraction", "peep_cmh2o": "oxygenation.peep_cmh2o",
             "support": "oxygenation.support", "altitude_m": "oxygenation.altitude_m",
             "barometric_pressure_mmhg": "oxygenation.barometric_pressure_mmhg"}
    with renamed(names):
        result = berlin.classify_berlin(
            pao2_mmhg=pao2.value,
            fio2_fraction=fio2.value,
            peep_cmh2o=record.get("oxygenation.peep_cmh2o"),
            support=record.get("oxygenation.support"),
            timing_within_1_week=record.get("ards.onset_within_1_week"),
            bilateral_opacities=record.get("ards.bilateral_opacities"),
            edema_not_cardiac=record.get("ards.edema_not_cardiac"),
            barometric_pressure_mmhg=record.get("oxygenation.barometric_pressure_mmhg"),
            altitude_m=record.get("oxygenation.altitude_m"),
            policy=policy,
        )
    if result.pf_ratio is not None:
        used["pf_ratio"] = show(result.pf_ratio)
    detail = "; ".join(result.reasons)
    if result.missing:
        return Derived(None, used, tuple(names.get(m, m) for m in result.missing), result.warnings, detail)
    return Derived(result.category.value, used, (), result.warnings, detail)


_LIVER = {"bilirubin_mg_dl": "liver.bilirubin_mg_dl", "albumin_g_dl": "liver.albumin_g_dl", "inr": "liver.inr",
          "ascites": "liver.ascites", "encephalopathy": "liver.encephalopathy"}
_BEST = {"bilirubin": Decimal(0), "albumin": Decimal(10), "inr": Decimal(1), "ascites": 1, "encephalopathy": 1}
_WORST = {"bilirubin": Decimal(100), "albumin": Decimal(0), "inr": Decimal(10), "ascites": 3, "encephalopathy": 3}


def _liver_inputs(record: PatientRecord) -> tuple[dict[str, Any], dict[str, str], dict[str, str]]:
    bili_path, bili = _first(record, "liver.bilirubin_mg_dl", "liver.bilirubin_umol_l")
    alb_path, alb = _first(record, "liver.albumin_g_dl", "liver.albumin_g_l")
    items = {"bilirubin": bili, "albumin": alb, "inr": record.get("liver.inr"),
             "ascites": record.get("liver.ascites"), "encephalopathy": record.get("liver.encephalopathy")}
    units = {"bilirubin_unit": "µmol/L" if bili_path.endswith("umol_l") else "mg/dL",
             "albumin_unit": "g/L" if alb_path.endswith("g_l") else "g/dL"}
    paths = {"bilirubin": bili_path, "albumin": alb_path, "inr": "liver.inr", "ascites": "liver.ascites",
             "encephalopathy": "liver.encephalopathy"}
    return items, units, paths


def _score(items: dict[str, Any], units: dict[str, str], paths: dict[str, str]) -> child_pugh.ChildPughResult:
    mapping = {**_LIVER, "bilirubin_mg_dl": paths["bilirubin"], "albumin_g_dl": paths["albumin"]}
    with renamed(mapping):
        return child_pugh.child_pugh(
            bilirubin_mg_dl=items["bilirubin"], albumin_g_dl=items["albumin"], inr=items["inr"],
            ascites=items["ascites"], encephalopathy=items["encephalopathy"], **units)


def child_pugh_score(record: PatientRecord) -> Derived:
    """The Child-Pugh score from its five components (``child_pugh``); with components missing, the recorded
    ``liver.child_pugh_score`` if there is one, else the range of scores still possible. A recorded score that
    the recorded components contradict is an error (so that removing data can never change a decision)."""
    items, units, paths = _liver_inputs(record)
    used = {paths[k]: show(v) for k, v in items.items() if v is not None}
    recorded = record.get("liver.child_pugh_score")
    missing = tuple(paths[k] for k, v in items.items() if v is None)
    if recorded is not None and not 5 <= recorded <= 15:
        raise ValidationError("liver.child_pugh_score", "must be between 5 and 15", recorded)
    if not missing:
        result = _score(items, units, paths)
        used["child_pugh_points"] = "+".join(str(result.components[k]) for k in _BEST)
        if recorded is not None and recorded != result.score:
            raise ValidationError("liver.child_pugh_score", f"differs from the score computed from its components "
                                  f"({result.score})", recorded)
        return Derived(Decimal(result.score), used)
    fill = {**units, **({"bilirubin_unit": "mg/dL"} if items["bilirubin"] is None else {}),
            **({"albumin_unit": "g/dL"} if items["albumin"] is None else {})}
    best = _score({k: (_BEST[k] if v is None else v) for k, v in items.items()}, fill, paths).score
    worst = _score({k: (_WORST[k] if v is None else v) for k, v in items.items()}, fill, paths).score
    if recorded is not None:
        if not best <= recorded <= worst:
            raise ValidationError("liver.child_pugh_score", f"cannot be reached with the recorded components "
                                  f"({best} to {worst})", recorded)
        used["liver.child_pugh_score"] = str(recorded)
        return Derived(Decimal(recorded), used, (), (), "as recorded; components incomplete")
    return Derived(None, used, missing, (), f"between {best} and {worst} (components missing)",
                   Decimal(best), Decimal(worst))


def child_pugh_class(record: PatientRecord) -> Derived:
    """Child-Pugh class A/B/C from the (complete or recorded) score."""
    score = child_pugh_score(record)
    if score.value is None:
        return Derived(None, score.used, score.missing, score.warnings)
    return Derived(child_pugh.child_pugh_class(int(score.value)), score.used, (), score.warnings)


def age_years(record: PatientRecord) -> Derived:
    """Age in completed years on the screening date (``age_completed_years``)."""
    born = record.get("date_of_birth")
    if born is None:
        return Derived(None, missing=("date_of_birth",))
    screened_on = record.screening_at.date()
    if isinstance(born, date) and born > screened_on:
        raise ValidationErrors(
            [
                ValidationError("date_of_birth", "must not be after the screening date", show(born)),
                ValidationError("screening_at", "must not be before the date of birth", screened_on.isoformat()),
            ]
        )
    with renamed({}):
        age = anthropometry.age_completed_years(born, screened_on)
    return Derived(age, {"date_of_birth": show(born), "screening_at": record.screening_at.date().isoformat()})


def _weight_warning(record: PatientRecord) -> tuple[str, ...]:
    if record.get("anthropometry.weight_estimated"):
        return ("weight was estimated, not measured",)
    return ()


_BODY = {"weight_kg": "anthropometry.weight_kg", "height_cm": "anthropometry.height_cm",
         "bmi_rounding": "settings.bmi_rounding", "sex": "sex"}


def bmi(record: PatientRecord, rounding: str = "none") -> Derived:
    """BMI from weight and height (``anthropometry.bmi``), exact unless the protocol asks for rounding."""
    used, missing = _inputs(record, ("anthropometry.weight_kg", "anthropometry.height_cm"))
    if missing:
        return Derived(None, used, missing)
    with renamed(_BODY):
        value = anthropometry.bmi(record.get("anthropometry.weight_kg"), record.get("anthropometry.height_cm"),
                                  rounding=rounding)
    detail = "BMI rounded to 1 decimal before comparing (bmi_rounding 1dp)" if rounding == "1dp" else ""
    return Derived(value, used, (), _weight_warning(record), detail)


def predicted_body_weight_kg(record: PatientRecord) -> Derived:
    """ARDSNet predicted body weight (``anthropometry.predicted_body_weight_kg``)."""
    used, missing = _inputs(record, ("sex", "anthropometry.height_cm"))
    if missing:
        return Derived(None, used, missing)
    with renamed(_BODY):
        value = anthropometry.predicted_body_weight_kg(record.get("sex"), record.get("anthropometry.height_cm"))
    return Derived(value, used)


def standard_weight_deviation(record: PatientRecord) -> Derived:
    """weight / standard weight - 1, standard weight = 0.7 x (height cm - 80) (MEXVT [S6]); -0.1..0.1 is +-10 %."""
    used, missing = _inputs(record, ("anthropometry.weight_kg", "anthropometry.height_cm"))
    if missing:
        return Derived(None, used, missing)
    weight = quantity.positive(record.get("anthropometry.weight_kg"), "anthropometry.weight_kg")
    height = quantity.positive(record.get("anthropometry.height_cm"), "anthropometry.height_cm")
    if height <= STANDARD_WEIGHT_OFFSET_CM:
        raise ValidationError("anthropometry.height_cm", "must be above 80 cm for the standard weight", height)
    standard = quantity.product(STANDARD_WEIGHT_FACTOR, height - STANDARD_WEIGHT_OFFSET_CM)
    used["standard_weight_kg"] = show(standard)
    return Derived(quantity.ratio(weight, standard) - 1, used, (), _weight_warning(record))


DERIVATIONS: dict[str, Callable[..., Derived]] = {
    "age_years": age_years,
    "bmi": bmi,
    "pao2_mmhg": pao2_mmhg,
    "fio2_fraction": fio2_fraction,
    "paco2_mmhg": paco2_mmhg,
    "pf_ratio": pf_ratio,
    "berlin_category": berlin_category,
    "child_pugh_score": child_pugh_score,
    "child_pugh_class": child_pugh_class,
    "predicted_body_weight_kg": predicted_body_weight_kg,
    "standard_weight_deviation": standard_weight_deviation,
}
"""Every derived value named in ``mexards.protocol.vocabulary.DERIVED_VALUES``, by name."""
