"""Derivations of one participant's analysis row from their CRFs, visits, doses and DLT adjudication.

Documented in ``docs/results.md``:

- Study day: Day 1 = the date of the first inhalation (protocol schedule), the day before is Day 0 (screening,
  randomisation); a participant never dosed has the enrolment date as Day 1. Visit values are placed at the
  visit's planned day (analysis visit).
- Baseline: the Day 1 (pre-dose) value, else the screening value (the last value before the first dose).
- Ventilation: the study days from the first to the last day a blood gas records invasive ventilation,
  extended to the extubation date of the end-of-study form; VFD-28 follows ``mexards.clinical.ventilation``
  (Schoenfeld & Bernard 2002, ARDSNet convention) with Day 0 = randomisation.
- Vital status: the death date, else the last day the participant was known alive (end-of-study last contact,
  visits, CRF dates, doses, the date of completion). Unknown vital status is kept as missing, not assumed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from types import MappingProxyType

from mexards.clinical.anthropometry import age_completed_years
from mexards.clinical.ventilation import VFDResult, ventilator_free_days
from mexards.domain.cohort import DLTAdjudication
from mexards.domain.participant import Participant
from mexards.services.record import CRFRecord
from mexards.services.results_model import BIOMARKERS, AnalysisParticipant


def study_day(day_one: date | None, on: date | None) -> int | None:
    """Study day of a date: Day 1 = ``day_one``, the day before is Day 0 (as the protocol's schedule)."""
    if day_one is None or on is None:
        return None
    return (on - day_one).days + 1


def _number(value: object) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        return float(Decimal(str(value)))
    except (InvalidOperation, ValueError):
        return None


def _date(value: object) -> date | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value).date() if "T" in value else date.fromisoformat(value[:10])
    except ValueError:
        return None


_DATE_FIELDS = ("measured_at", "assessed_on", "sampled_at", "last_contact_on")


def analysis_participant(
    p: Participant,
    group_id: str | None,
    crfs: Iterable[CRFRecord],
    days: Mapping[str, int],
    visit_dates: list[date],
    ae_dates: list[date],
    adjudication: DLTAdjudication | None,
) -> AnalysisParticipant:
    day_one = p.first_dose_at.date() if p.first_dose_at else (p.enrolled_at.date() if p.enrolled_at else None)
    pf: dict[int, float] = {}
    sofa: dict[int, float] = {}
    murray: dict[int, float] = {}
    markers: dict[str, dict[int, float]] = defaultdict(dict)
    invasive: list[int] = []
    demographics: Mapping[str, object] = {}
    end: Mapping[str, object] = {}
    berlin: dict[int, str] = {}
    known_alive: list[date] = list(visit_dates) + list(ae_dates)
    for crf in crfs:
        values, derived = crf.values, crf.derived
        for name in _DATE_FIELDS:
            when = _date(values.get(name))
            if when is not None and crf.form_id != "end_of_study":
                known_alive.append(when)
        if crf.form_id == "demographics":
            demographics = values
            continue
        if crf.form_id == "end_of_study":
            end = values
            continue
        day = days.get(crf.visit_code)
        if day is None:
            continue
        if crf.form_id == "blood_gas":
            value = _number(derived.get("pf_ratio"))
            if value is not None:
                pf[day] = value
            if isinstance(derived.get("berlin_category"), str):
                berlin[day] = str(derived["berlin_category"])
            if values.get("support") == "invasive":
                invasive.append(day)
        elif crf.form_id == "sofa" and derived.get("sofa_complete") is True:
            value = _number(derived.get("sofa_total"))
            if value is not None:
                sofa[day] = value
        elif crf.form_id == "murray" and derived.get("murray_complete") is not False:
            value = _number(derived.get("murray_score"))
            if value is not None:
                murray[day] = value
        elif crf.form_id == "labs":
            for name in BIOMARKERS:
                value = _number(values.get(name))
                if value is not None:
                    markers[name][day] = value
    if p.first_dose_at is not None and p.dosed_days:
        known_alive.append(p.first_dose_at.date())
    if p.state.value == "completed" and p.state_changed_at is not None:
        known_alive.append(p.state_changed_at.date())
    last_contact = _date(end.get("last_contact_on"))
    if last_contact is not None and p.died_on is None:
        known_alive.append(last_contact)
    death_day = study_day(day_one, p.died_on)
    alive_day = study_day(day_one, max(known_alive)) if known_alive and day_one else None
    if death_day is not None and alive_day is not None:
        alive_day = min(alive_day, death_day)
    ventilated = _ventilated(invasive, study_day(day_one, _date(end.get("extubated_on"))))
    vfd = _vfd(ventilated, death_day, alive_day, group_id is not None and p.randomization is not None)
    birth = _date(demographics.get("date_of_birth"))
    age = age_completed_years(birth, p.enrolled_at.date()) if birth and p.enrolled_at else None
    sex = demographics.get("sex")
    risk = demographics.get("ards_risk_factor")
    is_dlt = adjudication.is_dlt if adjudication else None
    evaluable = adjudication.evaluable if adjudication else None
    return AnalysisParticipant(
        p.participant_id, p.site_id, p.state.value, p.end_reason, group_id,
        2 if p.randomization is not None else (1 if p.cohort_number is not None else None),
        p.cohort_number, p.dose_level.index if p.dose_level else None, len(p.dosed_days), day_one, age,
        sex if isinstance(sex, str) else None, _number(demographics.get("weight_kg")),
        _number(demographics.get("height_cm")), risk if isinstance(risk, str) else None,
        berlin.get(1, berlin.get(0)), MappingProxyType(pf), MappingProxyType(sofa), MappingProxyType(murray),
        MappingProxyType({k: MappingProxyType(v) for k, v in markers.items()}), ventilated, death_day,
        alive_day,
        vfd, is_dlt, evaluable,
    )  # fmt: skip


def _ventilated(invasive_days: list[int], extubation_day: int | None) -> tuple[int, ...]:
    """Days from the first to the last documented invasive day, extended to the extubation day if recorded."""
    if not invasive_days:
        return ()
    first = max(min(invasive_days), 0)
    last = max(invasive_days)
    if extubation_day is not None and extubation_day >= last:
        last = extubation_day
    return tuple(range(first, last + 1))


def _vfd(
    ventilated: tuple[int, ...], death_day: int | None, alive_day: int | None, randomised: bool
) -> VFDResult | None:
    """VFD-28 for a randomised participant (Day 0 = randomisation); None when no status is known at all."""
    if not randomised or (death_day is None and alive_day is None):
        return None
    end = alive_day if alive_day is not None else 0
    if death_day is None and ventilated and ventilated[-1] > end:
        end = ventilated[-1]
    kept = [d for d in ventilated if death_day is None or d <= death_day]
    return ventilator_free_days(kept, death_day=death_day, follow_up_end_day=max(end, 0))
