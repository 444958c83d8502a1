"""Virtual ARDS patients: a screening record, the latent draws of their course, and the course at any dose.

:func:`generate_patients` draws ``n`` screened patients from a scenario
(:mod:`mexards.simulation.trial_scenario`, sources in the file): age, sex, height, weight, ARDS risk factor,
Berlin class with P/F, FiO2, PEEP and support, SOFA, Murray LIS, the time since diagnosis, consent, and
comorbidities that trigger the MEXARDS exclusions (clinical.md 1.3) at the scenario's rates, each independent
of the others and of severity. Each :class:`VirtualPatient` carries

- ``record``: the screening record of ``docs/eligibility.md`` (the format of ``mexards screen``), JSON-ready;
- ``expected_failures``: the criteria (``I2``, ``E10``, ...) that the record was built to fail;
- ``dlt_tolerance``: a DLT happens at dose ``d`` iff ``dlt_tolerance < p_DLT(d)`` (the latent-tolerance model
  of :mod:`mexards.simulation.patient`, so a patient with a DLT at a dose also has one at every higher dose);
- ``course_seed``: the seed of the course draws, so :func:`patient_course` gives the same course for the same
  dose and, across doses, the same patient (common random numbers).

:func:`patient_course` is the daily course to Day 28 and the status at Day 60 (P/F, FiO2, PaO2, PEEP, support,
SOFA, Murray LIS, extubation, death, VFD-28, adverse events and the DLT) from the shared outcome model of
:mod:`mexards.simulation.trial_course`. Scores use the published tables: SOFA respiration points (Vincent
1996, clinical.md 3.3) plus a non-respiratory part; Murray LIS (Murray 1988, clinical.md 3.2); VFD-28 by
:func:`mexards.clinical.ventilation.ventilator_free_days` (ARDSNet convention, clinical.md 3.7).
:func:`eligibility_probability` is the share of screened patients that the scenario makes eligible, in closed
form.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
from scipy import special

from mexards.clinical.ventilation import ventilator_free_days
from mexards.domain.errors import ValidationError
from mexards.simulation.trial_course import (
    SURVIVED,
    TreatmentModel,
    baseline_pf,
    categorical,
    death_day,
    normal_draw,
    pf_on_day,
    truncated_normal,
)
from mexards.simulation.trial_parameter import (
    CHILDBEARING_AGES,
    EXCLUDING_CONDITIONS,
    HARMLESS_CONDITIONS,
    SEVERITIES,
    Normal,
    TrialScenario,
)
from mexards.simulation.trial_record import (
    AGE_LIMITS,
    BMI_LIMIT,
    HOURS_LIMIT,
    expected_failures,
    screening_record,
)

DEFAULT_START = datetime(2025, 1, 6, 8, 0, tzinfo=UTC)
COURSE_DAYS = 28
DAYS_PER_MONTH = 365.25 / 12


@dataclass(frozen=True)
class VirtualPatient:
    """One screened virtual patient (see the module docstring)."""

    patient_id: str
    record: dict[str, Any]
    severity: str
    aetiology: str
    support: str
    pf_ratio: float
    fio2_fraction: float
    peep_cmh2o: float
    sofa: int
    non_respiratory_sofa: int
    murray_lis: float
    cxr_quadrants: int
    compliance_ml_cmh2o: float
    conditions: tuple[str, ...]
    expected_failures: tuple[str, ...]
    dlt_tolerance: float
    course_seed: int

    @property
    def expected_eligible(self) -> bool:
        """Whether the record was built to pass every criterion."""
        return not self.expected_failures

    @property
    def severity_index(self) -> int:
        """0 mild, 1 moderate, 2 severe."""
        return SEVERITIES.index(self.severity)


@dataclass(frozen=True)
class DailyStatus:
    """The patient on one study day (alive that day)."""

    study_day: int
    support: str
    pf_ratio: float
    pao2_mmhg: float
    fio2_fraction: float
    peep_cmh2o: float | None
    sofa: int
    murray_lis: float


@dataclass(frozen=True)
class AdverseEventDraw:
    """An adverse event of the course (``is_dlt`` for the dose-limiting event of the DLT window)."""

    term: str
    grade: int
    onset_day: int
    relatedness: str
    serious: bool
    is_dlt: bool


@dataclass(frozen=True)
class PatientCourse:
    """The course of one patient at one dose: days 1-28 while alive, death, ventilation, VFD-28, AEs."""

    dose_particles: float
    days: tuple[DailyStatus, ...]
    death_day: int | None
    ventilated_days: tuple[int, ...]
    extubation_day: int | None
    vfd_28: int
    dlt: bool
    adverse_events: tuple[AdverseEventDraw, ...]

    def alive_on(self, day: int) -> bool:
        """Alive at the end of study day ``day``."""
        return self.death_day is None or self.death_day > day

    def pf_on(self, day: int) -> float | None:
        """P/F on study day ``day`` (None when dead or after Day 28)."""
        return next((s.pf_ratio for s in self.days if s.study_day == day), None)

    def pf_change(self, day: int = 7) -> float | None:
        """Change in P/F from Day 1 to ``day`` (None if not alive on that day)."""
        value = self.pf_on(day)
        return None if value is None else value - self.days[0].pf_ratio


def respiration_points(pf: float, invasive_or_noninvasive: bool) -> int:
    """SOFA respiration points (Vincent 1996; clinical.md 3.3): < 400, < 300, < 200 and < 100 with support."""
    if pf >= 400:
        return 0
    if pf >= 300:
        return 1
    if pf >= 200 or not invasive_or_noninvasive:
        return 2
    return 3 if pf >= 100 else 4


def murray_lis(cxr_quadrants: int, pf: float, peep_cmh2o: float | None, compliance_ml_cmh2o: float) -> float:
    """Murray LIS (Murray 1988; clinical.md 3.2 half-open bands): mean of the available component points."""
    points = [cxr_quadrants]
    points.append(next(p for floor, p in ((300, 0), (225, 1), (175, 2), (100, 3), (-1, 4)) if pf >= floor))
    if peep_cmh2o is not None:
        points.append(
            next(p for top, p in ((5, 0), (8, 1), (11, 2), (14, 3), (math.inf, 4)) if peep_cmh2o <= top)
        )
    points.append(
        next(p for floor, p in ((80, 0), (60, 1), (40, 2), (20, 3), (-1, 4)) if compliance_ml_cmh2o >= floor)
    )
    return round(sum(points) / len(points), 2)


def per_class_draw(u: np.ndarray, severity: np.ndarray, normals: Sequence[Normal]) -> np.ndarray:
    """Draw each patient's value from the :class:`Normal` of its Berlin class (by inversion of ``u``)."""
    mean = np.array([n.mean for n in normals])[severity]
    sd = np.array([n.sd for n in normals])[severity]
    low = np.array([-math.inf if n.minimum is None else n.minimum for n in normals])[severity]
    high = np.array([math.inf if n.maximum is None else n.maximum for n in normals])[severity]
    return truncated_normal(u, mean, sd, low, high)


def _normal_cdf(x: float, normal: Normal) -> float:
    """CDF of a scenario :class:`Normal` (with its truncation)."""
    low = -math.inf if normal.minimum is None else normal.minimum
    high = math.inf if normal.maximum is None else normal.maximum
    a, b = (float(special.ndtr((v - normal.mean) / normal.sd)) for v in (low, high))
    value = float(special.ndtr((min(max(x, low), high) - normal.mean) / normal.sd))
    return (value - a) / (b - a)


def eligibility_probability(scenario: TrialScenario) -> float:
    """P(a screened virtual patient is eligible for MEXARDS), exactly, from the scenario's independent draws.

    Age is the completed year of a truncated normal, so ``18 <= age <= 70`` is ``18 <= X < 71``; pregnancy or
    lactation applies to women aged 18-49; BMI is compared on the drawn value.
    """
    p = scenario.population
    s = scenario.screening
    age = p.age_years
    in_range = _normal_cdf(AGE_LIMITS[1] + 1, age) - _normal_cdf(AGE_LIMITS[0], age)
    fertile = _normal_cdf(CHILDBEARING_AGES[1] + 1, age) - _normal_cdf(CHILDBEARING_AGES[0], age)
    age_and_pregnancy = in_range - p.female_probability * fertile * s.probability("pregnancy_or_lactation")
    others = math.prod(1.0 - s.probability(c) for c in EXCLUDING_CONDITIONS if c != "pregnancy_or_lactation")
    trauma = dict(p.aetiology).get("trauma", 0.0)
    hours = min(1.0, HOURS_LIMIT / p.hours_since_diagnosis_max)
    return (
        (1.0 - s.consent_refused)
        * (1.0 - s.not_ards)
        * age_and_pregnancy
        * _normal_cdf(BMI_LIMIT, p.bmi)
        * hours
        * (1.0 - trauma)
        * others
    )


def generate_patients(
    scenario: TrialScenario,
    n: int,
    rng: np.random.Generator,
    *,
    start: datetime = DEFAULT_START,
    id_prefix: str = "VP",
) -> list[VirtualPatient]:
    """``n`` screened virtual patients, arriving from ``start`` at the screening rate that gives the
    scenario's enrolment rate (``trial.accrual_per_month`` / :func:`eligibility_probability`)."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise ValidationError("n", "must be a whole number >= 0", n)
    if start.tzinfo is None:
        raise ValidationError("start", "must include a time zone", start)
    p = scenario.population
    s = scenario.screening
    u = rng.random((n, 24))
    female = u[:, 0] < p.female_probability
    age = np.floor(
        normal_draw(
            u[:, 1],
            Normal(
                p.age_years.mean,
                p.age_years.sd,
                p.age_years.minimum,
                None if p.age_years.maximum is None else p.age_years.maximum + 1,
            ),
        )
    )
    height = np.where(
        female, normal_draw(u[:, 2], p.height_cm_female), normal_draw(u[:, 2], p.height_cm_male)
    )
    height = np.round(height)
    bmi = normal_draw(u[:, 3], p.bmi)
    weight = np.round(bmi * (height / 100.0) ** 2, 1)
    aetiology = categorical(u[:, 4], [q for _, q in p.aetiology])
    severity = categorical(u[:, 5], p.severity)
    pf_target = baseline_pf(severity, u[:, 6], p, scenario.course)
    fio2 = np.round(np.clip(per_class_draw(u[:, 7], severity, p.fio2_fraction), 0.30, 1.0), 2)
    pao2 = np.round(pf_target * fio2, 1)
    peep = np.round(np.maximum(per_class_draw(u[:, 8], severity, p.peep_cmh2o), 5.0))
    compliance = np.round(normal_draw(u[:, 9], p.compliance_ml_cmh2o), 1)
    quadrants = categorical(u[:, 10], p.cxr_quadrants) + 1
    hours = u[:, 11] * p.hours_since_diagnosis_max
    consent_refused = u[:, 12] < s.consent_refused
    not_ards = u[:, 13] < s.not_ards
    sofa_other = rng.binomial(20, np.minimum(np.asarray(p.non_respiratory_sofa_mean)[severity] / 20.0, 1.0))
    condition_draws = rng.random((n, len(EXCLUDING_CONDITIONS) + len(HARMLESS_CONDITIONS)))
    gaps = rng.exponential(DAYS_PER_MONTH / max(scenario.trial.accrual_per_month * 1.0, 1e-9), n)
    screening_days = np.cumsum(gaps * eligibility_probability(scenario))
    tolerance = rng.random(n)
    seeds = rng.integers(0, 2**63 - 1, n)
    names = EXCLUDING_CONDITIONS + HARMLESS_CONDITIONS
    patients: list[VirtualPatient] = []
    for i in range(n):
        is_female = bool(female[i])
        age_i = int(age[i])
        present = tuple(
            name
            for j, name in enumerate(names)
            if condition_draws[i, j] < s.probability(name)
            and (
                name != "pregnancy_or_lactation"
                or (is_female and CHILDBEARING_AGES[0] <= age_i <= CHILDBEARING_AGES[1])
            )
        )
        pf = float(pao2[i] / fio2[i])
        cls = int(severity[i])
        support = "noninvasive" if cls == 0 and u[i, 14] < p.noninvasive_probability_mild else "invasive"
        aetiology_name = p.aetiology[int(aetiology[i])][0]
        failures = expected_failures(
            age_i,
            float(weight[i]) / (float(height[i]) / 100) ** 2,
            float(hours[i]),
            bool(consent_refused[i]),
            bool(not_ards[i]),
            aetiology_name,
            present,
        )
        screening_at = (start + timedelta(days=float(screening_days[i]))).replace(second=0, microsecond=0)
        record = screening_record(
            patient_id=f"{id_prefix}-{i + 1:04d}",
            screening_at=screening_at,
            female=is_female,
            age=age_i,
            offset_days=int(u[i, 15] * 365) % 365,
            height=float(height[i]),
            weight=float(weight[i]),
            hours=float(hours[i]),
            aetiology=aetiology_name,
            pao2=float(pao2[i]),
            fio2=float(fio2[i]),
            peep=float(peep[i]),
            support=support,
            consent_refused=bool(consent_refused[i]),
            not_ards=bool(not_ards[i]),
            conditions=present,
            u=u[i, 16:24],
        )
        respiration = respiration_points(pf, True)
        patients.append(
            VirtualPatient(
                patient_id=record["patient_id"],
                record=record,
                severity=SEVERITIES[cls],
                aetiology=aetiology_name,
                support=support,
                pf_ratio=round(pf, 1),
                fio2_fraction=float(fio2[i]),
                peep_cmh2o=float(peep[i]),
                sofa=respiration + int(sofa_other[i]),
                non_respiratory_sofa=int(sofa_other[i]),
                murray_lis=murray_lis(
                    int(quadrants[i]),
                    pf,
                    float(peep[i]) if support == "invasive" else None,
                    float(compliance[i]),
                ),
                cxr_quadrants=int(quadrants[i]),
                compliance_ml_cmh2o=float(compliance[i]),
                conditions=present,
                expected_failures=failures,
                dlt_tolerance=float(tolerance[i]),
                course_seed=int(seeds[i]),
            )
        )
    return patients


def patient_course(
    patient: VirtualPatient,
    scenario: TrialScenario,
    model: TreatmentModel,
    dose_particles: float,
    *,
    dlt_window_days: int = 8,
) -> PatientCourse:
    """The course of ``patient`` when given ``dose_particles`` daily (0 for saline); deterministic."""
    course = scenario.course
    rng = np.random.default_rng(patient.course_seed)
    cls = np.asarray([patient.severity_index])
    innovations = rng.standard_normal(COURSE_DAYS)
    u = rng.random(8)
    effect = float(model.pf_effect_mmhg(dose_particles)[()])
    died = int(death_day(u[:1], cls, model.odds_ratio(dose_particles), course)[0])
    death: int | None = None if died == SURVIVED else died
    rho = course.pf_autocorrelation
    noise = np.empty(COURSE_DAYS)
    noise[0] = innovations[0]
    for d in range(1, COURSE_DAYS):
        noise[d] = rho * noise[d - 1] + math.sqrt(1.0 - rho * rho) * innovations[d]
    mean_days = course.ventilation_days_mean[patient.severity_index]
    invasive_from: int | None = 1 if patient.support == "invasive" else None
    if invasive_from is None and u[1] < course.intubation_probability_noninvasive:
        invasive_from = 1 + int(rng.geometric(0.5))
    duration = int(rng.geometric(1.0 / mean_days))
    follow_up = scenario.trial.follow_up_days
    last_ventilated = None if invasive_from is None else min(invasive_from + duration - 1, follow_up)
    if last_ventilated is not None and death is not None and death <= last_ventilated:
        last_ventilated = death
    ventilated = (
        ()
        if invasive_from is None or last_ventilated is None
        else tuple(range(invasive_from, last_ventilated + 1))
    )
    extubation = (
        None
        if last_ventilated is None
        or last_ventilated >= follow_up
        or (death is not None and death <= last_ventilated)
        else last_ventilated + 1
    )
    pf1 = patient.pf_ratio
    days: list[DailyStatus] = []
    for day in range(1, COURSE_DAYS + 1):
        if death is not None and day > death:
            break
        pf = (
            pf1
            if day == 1
            else float(pf_on_day(np.asarray([pf1]), cls, day, effect, noise[day - 1 : day], course)[0])
        )
        if day in ventilated:
            support = "invasive"
        elif invasive_from is None and patient.support == "noninvasive" and day <= mean_days:
            support = "noninvasive"
        else:
            support = "none"
        fio2 = round(max(0.21 if support == "none" else 0.30, patient.fio2_fraction - 0.04 * (day - 1)), 2)
        peep = patient.peep_cmh2o if support != "none" else None
        days.append(
            DailyStatus(
                study_day=day,
                support=support,
                pf_ratio=round(pf, 1),
                pao2_mmhg=round(pf * fio2, 1),
                fio2_fraction=fio2,
                peep_cmh2o=peep,
                sofa=respiration_points(pf, support != "none") + patient.non_respiratory_sofa,
                murray_lis=murray_lis(
                    patient.cxr_quadrants,
                    pf,
                    peep if support == "invasive" else None,
                    patient.compliance_ml_cmh2o,
                ),
            )
        )
    vfd = ventilator_free_days(ventilated, death_day=death, follow_up_end_day=scenario.trial.follow_up_days)
    dlt = patient.dlt_tolerance < model.dlt_probability(dose_particles)
    events = _adverse_events(rng, scenario, death, dlt, dlt_window_days)
    return PatientCourse(
        dose_particles=float(dose_particles),
        days=tuple(days),
        death_day=death,
        ventilated_days=ventilated,
        extubation_day=extubation,
        vfd_28=int(vfd.value or 0),
        dlt=dlt,
        adverse_events=events,
    )


def _adverse_events(
    rng: np.random.Generator, scenario: TrialScenario, death: int | None, dlt: bool, window: int
) -> tuple[AdverseEventDraw, ...]:
    """Background events (unrelated, Days 1-28 while alive) and the DLT event when there is one."""
    course = scenario.course
    count = int(rng.poisson(course.adverse_event_rate))
    terms = [t for t, _ in course.adverse_event_terms]
    term_index = categorical(rng.random(count), [q for _, q in course.adverse_event_terms])
    grades = categorical(rng.random(count), course.adverse_event_grades) + 1
    onsets = rng.integers(1, COURSE_DAYS + 1, count)
    events = [
        AdverseEventDraw(terms[int(t)], int(g), int(o), "unlikely related", bool(g >= 3), False)
        for t, g, o in zip(term_index, grades, onsets, strict=True)
        if death is None or o <= death
    ]
    toxicity = scenario.dose_toxicity
    draw = rng.random(3)
    if dlt:
        term = [t for t, _ in toxicity.dlt_terms][
            int(categorical(draw[:1], [q for _, q in toxicity.dlt_terms])[0])
        ]
        onset = 1 + int(draw[1] * window)
        grade = 4 if draw[2] < toxicity.grade4_probability else 3
        if death is None or onset <= death:
            events.append(AdverseEventDraw(term, grade, onset, "probably related", True, True))
    return tuple(sorted(events, key=lambda e: (e.onset_day, e.term)))
