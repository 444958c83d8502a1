"""What the site staff of the in-silico trial write on the forms: CRF values, AE details and DLT facts taken
from a virtual patient (:mod:`mexards.simulation.ards_patient`) and the course it follows at its dose.

The course gives, for each study day the patient is alive, the support, P/F, PaO2, FiO2, PEEP, the SOFA total
(respiration points + a constant non-respiratory part) and the Murray lung injury score. The forms of the CRF
library (:mod:`mexards.protocol.forms`, ``ards_core.yaml``) take *inputs*, from which the scores are derived on
save (``services.crf``), so this module turns the course back into inputs:

- SOFA: the non-respiratory points are split over the five other systems (at most 4 each) and each system's
  points are written as a value in the middle of its band of the SOFA table (Vincent 1996; clinical.md 3.3);
  the score derived on save is therefore the course's score (a unit test checks it with ``sofa_score``).
- Blood gas and Murray: PaO2, FiO2 and PEEP of the day; PEEP is entered only on invasive or non-invasive
  support, as in the course model. A PaO2 below the form's plausibility floor (20 mmHg) would not be left
  untreated: FiO2 is raised until PaO2 = P/F x FiO2 reaches it (P/F unchanged).
- Adverse events: ``unlikely related`` -> ``unlikely``, ``probably related`` -> ``probable``; a serious event of
  grade 4 is life-threatening, grade 3 prolongs hospitalisation (ICH E2A II.B); a death is a grade 5 event.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import numpy as np

from mexards.domain.adverse_event import Relatedness, SeriousnessCriterion
from mexards.simulation.ards_patient import AdverseEventDraw, DailyStatus, PatientCourse, VirtualPatient

SOFA_SYSTEMS = ("coagulation", "liver", "cardiovascular", "cns", "renal")
"""The non-respiratory SOFA systems, in the order of the SOFA table (Vincent 1996)."""

_PLATELETS_10E3_UL = ("210", "125", "75", "35", "12")
_BILIRUBIN_MG_DL = ("0.7", "1.5", "3.5", "8.0", "14.0")
_GCS = (15, 14, 11, 8, 5)
_CREATININE_MG_DL = ("0.8", "1.5", "2.6", "4.2", "5.8")
_CARDIOVASCULAR: tuple[dict[str, str], ...] = (
    {"map_mmhg": "78"},
    {"map_mmhg": "64"},
    {"map_mmhg": "72", "dobutamine_ug_kg_min": "5"},
    {"map_mmhg": "70", "norepinephrine_ug_kg_min": "0.08"},
    {"map_mmhg": "68", "norepinephrine_ug_kg_min": "0.25"},
)
"""Inputs scoring 0-4 cardiovascular points: MAP >= 70; MAP < 70; any dobutamine; norepinephrine <= 0.1;
norepinephrine > 0.1 µg/kg/min (SOFA table, clinical.md 3.3)."""

PAO2_FLOOR_MMHG = 20.0
"""The lowest plausible PaO2 of the blood-gas form (``ards_core.yaml``)."""

_RISK_FACTORS = {
    "pneumonia": "pneumonia",
    "aspiration": "aspiration",
    "extrapulmonary_sepsis": "sepsis",
    "trauma": "trauma",
    "non_cardiogenic_shock": "other",
}

_SUPPORT = {"invasive": "invasive", "noninvasive": "noninvasive"}


def split_sofa_points(total: int, rng: np.random.Generator) -> dict[str, int]:
    """Spread ``total`` non-respiratory SOFA points over the five systems, each 0-4, one point at a time to a
    system drawn uniformly among those not yet at 4."""
    if isinstance(total, bool) or not isinstance(total, int) or not 0 <= total <= 4 * len(SOFA_SYSTEMS):
        raise ValueError(f"non-respiratory SOFA points must be 0-{4 * len(SOFA_SYSTEMS)}, got {total!r}")
    points = dict.fromkeys(SOFA_SYSTEMS, 0)
    for _ in range(total):
        open_systems = [name for name in SOFA_SYSTEMS if points[name] < 4]
        points[open_systems[int(rng.integers(len(open_systems)))]] += 1
    return points


def _decimal(value: float, places: int = 1) -> str:
    return str(Decimal(str(round(float(value), places))))


def oxygenation(status: DailyStatus) -> tuple[str, str]:
    """PaO2 (mmHg) and FiO2 (fraction) as entered, with the floor of the module docstring."""
    pf = float(status.pf_ratio)
    fio2 = float(status.fio2_fraction)
    pao2 = pf * fio2
    if pao2 < PAO2_FLOOR_MMHG:
        fio2 = min(1.0, float(np.ceil(PAO2_FLOOR_MMHG / pf * 100.0) / 100.0))
        pao2 = max(pf * fio2, PAO2_FLOOR_MMHG)
    return _decimal(pao2), _decimal(fio2, 2)


def _peep(status: DailyStatus) -> str | None:
    if status.support == "none" or status.peep_cmh2o is None:
        return None
    return _decimal(status.peep_cmh2o, 0)


def blood_gas_values(status: DailyStatus, measured_at: datetime, paco2_mmhg: float | None = None) -> dict[str, Any]:
    """The ``blood_gas`` form of one study day (support: invasive, non-invasive, or oxygen)."""
    pao2, fio2 = oxygenation(status)
    values: dict[str, Any] = {
        "measured_at": measured_at,
        "support": _SUPPORT.get(status.support, "oxygen"),
        "pao2_mmhg": pao2,
        "fio2_fraction": fio2,
    }
    peep = _peep(status)
    if peep is not None:
        values["peep_cmh2o"] = peep
    if paco2_mmhg is not None:
        values["paco2_mmhg"] = _decimal(paco2_mmhg)
    return values


def sofa_values(status: DailyStatus, points: dict[str, int], assessed_on: date) -> dict[str, Any]:
    """The ``sofa`` form: the day's oxygenation and support, and the other systems at ``points``."""
    pao2, fio2 = oxygenation(status)
    values: dict[str, Any] = {
        "assessed_on": assessed_on,
        "pao2_mmhg": pao2,
        "fio2_fraction": fio2,
        "respiratory_support": status.support in _SUPPORT,
        "platelets_10e3_ul": _PLATELETS_10E3_UL[points["coagulation"]],
        "bilirubin_mg_dl": _BILIRUBIN_MG_DL[points["liver"]],
        "gcs": _GCS[points["cns"]],
        "creatinine_mg_dl": _CREATININE_MG_DL[points["renal"]],
        "urine_output_ml_day": "1500",
    }
    values.update(_CARDIOVASCULAR[points["cardiovascular"]])
    return values


def murray_values(status: DailyStatus, patient: VirtualPatient, assessed_on: date) -> dict[str, Any]:
    """The ``murray`` form: chest X-ray quadrants, oxygenation, PEEP on invasive support, compliance."""
    pao2, fio2 = oxygenation(status)
    values: dict[str, Any] = {
        "assessed_on": assessed_on,
        "cxr_quadrants": patient.cxr_quadrants,
        "pao2_mmhg": pao2,
        "fio2_fraction": fio2,
        "compliance_ml_cmh2o": _decimal(patient.compliance_ml_cmh2o),
    }
    if status.support == "invasive" and status.peep_cmh2o is not None:
        values["peep_cmh2o"] = _decimal(status.peep_cmh2o, 0)
    return values


def demographics_values(patient: VirtualPatient) -> dict[str, Any]:
    """The ``demographics`` form, from the screening record."""
    record = patient.record
    anthropometry = record.get("anthropometry", {})
    diagnosed = record.get("ards", {}).get("diagnosed_at")
    values: dict[str, Any] = {
        "sex": record["sex"],
        "date_of_birth": record["date_of_birth"],
        "height_cm": _decimal(anthropometry["height_cm"]),
        "weight_kg": _decimal(anthropometry["weight_kg"]),
        "ards_risk_factor": _RISK_FACTORS.get(patient.aetiology, "other"),
    }
    if diagnosed:
        values["ards_diagnosed_at"] = datetime.fromisoformat(str(diagnosed).replace("Z", "+00:00"))
    return values


def end_of_study_values(
    status: str, last_contact_on: date, *, death_on: date | None = None, extubated_on: date | None = None,
    reason: str | None = None,
) -> dict[str, Any]:
    """The ``end_of_study`` form."""
    values: dict[str, Any] = {"status": status, "last_contact_on": last_contact_on}
    if death_on is not None:
        values["death_on"] = death_on
    if extubated_on is not None:
        values["extubated_on"] = extubated_on
    if reason:
        values["reason"] = reason
    return values


_RELATEDNESS_STEMS = (
    ("not", Relatedness.NOT_RELATED),
    ("unlikel", Relatedness.UNLIKELY),
    ("possib", Relatedness.POSSIBLE),
    ("probab", Relatedness.PROBABLE),
    ("definit", Relatedness.DEFINITE),
)


def relatedness(draw: AdverseEventDraw) -> Relatedness:
    """The investigator's causality assessment of a drawn event (``probably related`` -> probable, ...)."""
    text = draw.relatedness.strip().lower()
    for stem, member in _RELATEDNESS_STEMS:
        if text.startswith(stem):
            return member
    raise ValueError(f"unknown relatedness {draw.relatedness!r}")


def seriousness(draw: AdverseEventDraw) -> tuple[SeriousnessCriterion, ...]:
    """ICH E2A criteria of a drawn event (none when not serious)."""
    if draw.grade >= 5:
        return (SeriousnessCriterion.DEATH,)
    if not draw.serious:
        return ()
    if draw.grade == 4:
        return (SeriousnessCriterion.LIFE_THREATENING,)
    return (SeriousnessCriterion.HOSPITALISATION,)


def dlt_facts(draw: AdverseEventDraw, hours_after_dose: float | None) -> dict[str, Any]:
    """The DLT facts of one event for the protocol's DLT rule (``clinical.dlt``): onset day, grade, causality,
    seriousness, and the event-specific clauses (bronchospasm, allergic reaction)."""
    facts: dict[str, Any] = {
        "study_day": draw.onset_day,
        "relatedness": relatedness(draw).value,
        "ctcae_grade": draw.grade,
        "serious": bool(seriousness(draw)),
    }
    if hours_after_dose is not None:
        facts["hours_after_dose"] = _decimal(hours_after_dose, 2)
    term = draw.term.lower()
    if "bronchospasm" in term:
        facts["bronchospasm_grade"] = draw.grade
    if "allergic" in term or "anaphyla" in term:
        facts["anaphylaxis_or_allergy_grade"] = draw.grade
    return facts


def day_status(course: PatientCourse, study_day: int) -> DailyStatus | None:
    """The patient's status on ``study_day`` (None if dead by then or after the course's last day)."""
    return next((s for s in course.days if s.study_day == study_day), None)


def extubation_date(course: PatientCourse, day_one: date, last_day: int) -> date | None:
    """The date of extubation if it happened by ``last_day`` (Day 1 on ``day_one``)."""
    if course.extubation_day is None or course.extubation_day > last_day:
        return None
    return date.fromordinal(day_one.toordinal() + course.extubation_day - 1)
