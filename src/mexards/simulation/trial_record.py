"""The screening record of a virtual patient (the ``docs/eligibility.md`` format of ``mexards screen``).

The record is built to fail exactly the MEXARDS criteria (protocol file NCT04602104) that its draws call for:
age outside 18-70 (I2), consent refused (I1), not ARDS after all (I3, I5: cardiac oedema with PAOP > 18 mmHg),
96 h or more since the diagnosis (I4), BMI > 28 (E10), trauma as the risk factor (E4: severe trauma within 14
days), and one exclusion per comorbidity (:data:`CONDITION_CRITERIA`; clinical.md 1.3). Liver failure is a
Child-Pugh score of 14 (clinical.md 3.4); chronic respiratory failure is chronic lung disease with home oxygen
and PaCO2 above 50 mmHg (exclusion 3, both parts); the harmless conditions exercise the exceptions of
exclusions 3 and 5.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np

from mexards.simulation.trial_parameter import CHILDBEARING_AGES

AGE_LIMITS = (18, 70)
BMI_LIMIT = 28.0
HOURS_LIMIT = 96.0

CONDITION_CRITERIA: dict[str, tuple[str, ...]] = {
    "severe_allergic_constitution": ("E1",),
    "liver_failure_child_pugh_above_12": ("E2",),
    "chronic_respiratory_failure": ("E3",),
    "malignancy": ("E5",),
    "dialysis": ("E6",),
    "recent_dvt_or_pe": ("E7",),
    "recent_myocardial_infarction": ("E8",),
    "neuromuscular_disease": ("E9",),
    "lung_transplant": ("E11",),
    "bone_marrow_transplant": ("E12",),
    "immunosuppression": ("E13",),
    "ecmo_or_hfov": ("E14",),
    "declines_lung_protective_care": ("E15",),
    "epilepsy_on_treatment": ("E16",),
    "expected_survival_under_30_days": ("E17",),
    "hepatitis_b": ("E18",),
    "hepatitis_c": ("E18",),
    "hiv": ("E18",),
    "syphilis": ("E18",),
    "pregnancy_or_lactation": ("E19",),
    "unable_to_understand_protocol": ("E20",),
    "otherwise_unsuitable": ("E21",),
}
"""The MEXARDS criteria (NCT04602104 protocol file) that each comorbidity makes fail."""

_AETIOLOGY_TEXT = {
    "extrapulmonary_sepsis": "extrapulmonary sepsis",
    "non_cardiogenic_shock": "non-cardiogenic shock",
}


def date_of_birth(age: int, on: date, offset_days: int) -> date:
    """A birth date giving ``age`` completed years on ``on`` (``offset_days`` in 0..364 before the
    birthday)."""
    try:
        birthday = on.replace(year=on.year - age)
    except ValueError:  # 29 February
        birthday = on.replace(year=on.year - age, day=28)
    return birthday - timedelta(days=offset_days)


def stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def expected_failures(
    age: int,
    bmi: float,
    hours: float,
    consent_refused: bool,
    not_ards: bool,
    aetiology: str,
    conditions: Sequence[str],
) -> tuple[str, ...]:
    failing: set[str] = set()
    if consent_refused:
        failing.add("I1")
    if not AGE_LIMITS[0] <= age <= AGE_LIMITS[1]:
        failing.add("I2")
    if not_ards:
        failing.update(("I3", "I5"))
    if hours >= HOURS_LIMIT:
        failing.add("I4")
    if aetiology == "trauma":
        failing.add("E4")
    if bmi > BMI_LIMIT:
        failing.add("E10")
    for name in conditions:
        failing.update(CONDITION_CRITERIA.get(name, ()))
    return tuple(sorted(failing, key=lambda c: (c[0] != "I", int(c[1:]))))


def screening_record(
    *,
    patient_id: str,
    screening_at: datetime,
    female: bool,
    age: int,
    offset_days: int,
    height: float,
    weight: float,
    hours: float,
    aetiology: str,
    pao2: float,
    fio2: float,
    peep: float,
    support: str,
    consent_refused: bool,
    not_ards: bool,
    conditions: Sequence[str],
    u: np.ndarray,
) -> dict[str, Any]:
    """The screening record (docs/eligibility.md) of one virtual patient."""
    has = set(conditions)
    day = screening_at.date()

    def event(name: str, lo: int, hi: int, draw: float) -> dict[str, Any]:
        if name not in has and not (name == "trauma" and aetiology == "trauma"):
            return {"occurred": False}
        return {"occurred": True, "date": (day - timedelta(days=lo + int(draw * (hi - lo + 1)))).isoformat()}

    liver_failure = "liver_failure_child_pugh_above_12" in has
    chronic_failure = "chronic_respiratory_failure" in has
    record: dict[str, Any] = {
        "patient_id": patient_id,
        "notes": "virtual patient",
        "screening_at": stamp(screening_at),
        "sex": "female" if female else "male",
        "date_of_birth": date_of_birth(age, day, offset_days).isoformat(),
        "consent": (
            {"signed": False}
            if consent_refused
            else {"signed": True, "given_by": "subject" if support == "noninvasive" else "family_member"}
        ),
        "anthropometry": {"weight_kg": weight, "height_cm": height},
        "ards": {
            "diagnosed_at": stamp((screening_at - timedelta(hours=hours)).replace(second=0, microsecond=0)),
            "risk_factor": _AETIOLOGY_TEXT.get(aetiology, aetiology),
            "onset_within_1_week": True,
            "bilateral_opacities": True,
            "edema_not_cardiac": not not_ards,
        },
        "oxygenation": {
            "pao2_mmhg": pao2,
            "fio2_fraction": fio2,
            "peep_cmh2o": peep,
            "support": support,
            "paco2_mmhg": round(55.0 + 10.0 * float(u[0]), 1)
            if chronic_failure
            else round(36.0 + 10.0 * float(u[0]), 1),
        },
        "hemodynamics": (
            {"left_atrial_hypertension_signs": True, "paop_mmhg": round(19.0 + 8.0 * float(u[0]), 1)}
            if not_ards
            else {"left_atrial_hypertension_signs": False}
        ),
        "liver": (
            {
                "bilirubin_mg_dl": 4.2,
                "albumin_g_dl": 2.4,
                "inr": 2.6,
                "ascites": "severe",
                "encephalopathy": "grade 1-2",
            }
            if liver_failure
            else {
                "bilirubin_mg_dl": round(0.4 + 1.2 * float(u[1]), 1),
                "albumin_g_dl": round(2.9 + 1.2 * float(u[2]), 1),
                "inr": round(0.9 + 0.5 * float(u[3]), 2),
                "ascites": "none",
                "encephalopathy": "none",
            }
        ),
        "labs": {"cd4_per_mm3": 800, "anc_per_mm3": round(3000 + 9000 * float(u[4]))},
        "history": {
            "severe_allergic_constitution": "severe_allergic_constitution" in has,
            "chronic_respiratory_disease": chronic_failure
            or "chronic_respiratory_disease_without_home_oxygen" in has,
            "home_oxygen": chronic_failure,
            "malignancy": "malignancy" in has or "basal_cell_skin_cancer_only" in has,
            "malignancy_only_basal_cell_skin": "basal_cell_skin_cancer_only" in has
            and "malignancy" not in has,
            "neuromuscular_disease": "neuromuscular_disease" in has,
            "lung_transplant": "lung_transplant" in has,
            "bone_marrow_transplant": "bone_marrow_transplant" in has,
            "epilepsy": "epilepsy_on_treatment" in has,
        },
        "infection": {name: name in has for name in ("hepatitis_b", "hepatitis_c", "hiv", "syphilis")}
        | {"aids": False},
        "treatment": {
            "dialysis": "dialysis" in has,
            "ecmo": "ecmo_or_hfov" in has,
            "hfov": False,
            "immunosuppressive_therapy": "immunosuppression" in has,
            "continuous_anticonvulsant": "epilepsy_on_treatment" in has,
            "declines_lung_protective_care": "declines_lung_protective_care" in has,
        },
        "events": {
            "severe_trauma": event("trauma", 1, 10, float(u[5])),
            "dvt_or_pe": event("recent_dvt_or_pe", 5, 80, float(u[6])),
            "acute_mi": event("recent_myocardial_infarction", 3, 25, float(u[7])),
            "chemotherapy": {"occurred": False},
        },
        "attestations": {
            "expected_survival_under_30_days": "expected_survival_under_30_days" in has,
            "unable_to_understand_protocol": "unable_to_understand_protocol" in has,
            "otherwise_unsuitable": "otherwise_unsuitable" in has,
        },
    }
    if female:
        fertile = CHILDBEARING_AGES[0] <= age <= CHILDBEARING_AGES[1]
        pregnant = "pregnancy_or_lactation" in has
        record["reproductive"] = {
            "childbearing_potential": fertile,
            "pregnant": pregnant,
            "lactating": False,
            "planning_pregnancy": False,
        }
    return record
