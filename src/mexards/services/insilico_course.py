"""One participant of the in-silico trial from the first dose to the end of follow-up, through the use cases.

:class:`SubjectCare` turns a virtual patient's course at their dose (:func:`~mexards.simulation.ards_patient.
patient_course`) into scheduled events of the trial calendar (:mod:`mexards.services.insilico`): seven daily
nebulisations at 10:00 (Day 1 = the first, ``clinical.md`` 4), the protocol's visits with the CRFs their
assessments call for, adverse events as the investigator learns of them, SAE reports, resolution, death,
follow-up and completion. Values on the forms come from :mod:`mexards.services.insilico_form`.

Times (all UTC): AEs start 0.5-13 h after the day's dose (a DLT event 1 h after it, inside the protocol's
2 h post-inhalation window); the investigator learns of an AE 0.5-6 h after onset; serious AEs are reported
to the sponsor 2-20 h later (within the 24 h clock), SUSARs to the regulator 3-6 days later (within 7 days);
non-fatal AEs resolve 1 to 2 + 2 x grade days after onset; a death happens 2-14 h after the day's dose time.
Visits of Days 1-7 are recorded at 11:00 of their day, after the dose is logged (the day's blood gas is drawn
at 09:00, before the dose); later visits on a day drawn uniformly within their window. These are conduct
assumptions of the demonstration, not outcomes (no source).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Any, Protocol

import numpy as np

from mexards.domain.administration import AdministrationStatus
from mexards.domain.adverse_event import Expectedness, Relatedness
from mexards.domain.identifier import ParticipantId
from mexards.domain.visit import Visit
from mexards.protocol.model import Protocol as TrialProtocol
from mexards.services import crf, participant, safety, treatment, visit
from mexards.services.insilico_form import (
    blood_gas_values,
    day_status,
    demographics_values,
    dlt_facts,
    end_of_study_values,
    extubation_date,
    murray_values,
    relatedness,
    seriousness,
    sofa_values,
    split_sofa_points,
)
from mexards.services.insilico_setting import Cast, SimulatedClock
from mexards.services.port import UnitOfWork
from mexards.simulation.ards_patient import AdverseEventDraw, PatientCourse, VirtualPatient, patient_course
from mexards.simulation.trial_course import TreatmentModel
from mexards.simulation.trial_scenario import TrialScenario

DOSING_DAYS = 7
DEATH_TERM = "Acute respiratory distress syndrome"
"""The fatal SAE recorded for a death (progression of the disease under study: not related, expected)."""
NEBULISER = "vibrating-mesh nebuliser"
_FORMS = {"blood_gas": "blood_gas", "sofa": "sofa", "murray": "murray"}
"""Schedule assessments that have a CRF of the form library (the others have no data in the virtual course)."""


class Calendar(Protocol):
    """What the care of one participant needs from the trial run."""

    protocol: TrialProtocol
    scenario: TrialScenario
    rng: np.random.Generator
    clock: SimulatedClock
    cast: Cast

    def at(self, when: datetime, action: Any) -> None: ...

    def uow(self) -> UnitOfWork: ...

    def dosing_over(self, subject: Subject) -> None: ...

    def participant_done(self, subject: Subject) -> None: ...


@dataclass(eq=False)
class Subject:
    """A participant of the run and what the site knows of them so far."""

    participant_id: ParticipantId
    patient: VirtualPatient
    phase: int
    cohort_number: int | None = None
    course: PatientCourse | None = None
    day_one: datetime | None = None
    sofa_points: dict[str, int] = field(default_factory=dict)
    dose_times: list[datetime] = field(default_factory=list)
    adverse_events: list[tuple[AdverseEventDraw, str, datetime]] = field(default_factory=list)
    planned_visits: list[Visit] = field(default_factory=list)
    visits_done: set[str] = field(default_factory=set)
    stopped_after_day: int | None = None
    dosing_done: bool = False
    died_at: datetime | None = None
    completed: bool = False

    def day(self, study_day: int) -> datetime:
        """The time of the day's dose (10:00 of that study day)."""
        assert self.day_one is not None
        return self.day_one + timedelta(days=study_day - 1)

    def alive_at(self, moment: datetime) -> bool:
        return self.died_at is None or self.died_at > moment


def next_ten_oclock(after: datetime) -> datetime:
    """The first 10:00 UTC at or after ``after``: the daily time of nebulisation."""
    moment = datetime.combine(after.astimezone(UTC).date(), time(10, 0), tzinfo=UTC)
    return moment if moment >= after else moment + timedelta(days=1)


def _hours(rng: np.random.Generator, low: float, high: float) -> timedelta:
    return timedelta(minutes=round(float(rng.uniform(low, high)) * 60))


class SubjectCare:
    """Schedules and records one participant's treatment and follow-up (see the module docstring)."""

    def __init__(self, calendar: Calendar, model: TreatmentModel) -> None:
        self.calendar = calendar
        self.model = model

    @property
    def window_days(self) -> int:
        phase1 = self.calendar.protocol.phase1
        return phase1.dlt_window_days if phase1 is not None else DOSING_DAYS + 1

    def start(self, subject: Subject, dose_particles: int) -> None:
        """The participant was assigned or randomized now: plan their Days 1-60."""
        cal, c = self.calendar, self.calendar.cast
        course = patient_course(subject.patient, cal.scenario, self.model, float(dose_particles),
                                dlt_window_days=self.window_days)
        subject.course = course
        subject.day_one = next_ten_oclock(cal.clock.now() + timedelta(hours=2))
        subject.sofa_points = split_sofa_points(subject.patient.non_respiratory_sofa, cal.rng)
        crf.save_crf(cal.uow(), c.coordinator, subject.participant_id, "demographics", "screening",
                     demographics_values(subject.patient))
        subject.planned_visits = visit.schedule_visits(cal.uow(), c.coordinator, cal.protocol,
                                                       subject.participant_id)
        for planned in subject.planned_visits:
            cal.at(self._visit_time(subject, planned), lambda v=planned: self.record_visit(subject, v))
        for day in range(1, DOSING_DAYS + 1):
            cal.at(subject.day(day) + timedelta(minutes=45), lambda d=day: self.dose(subject, d))
        cal.at(subject.day(DOSING_DAYS) + timedelta(hours=8), lambda: self.follow_up(subject))
        for draw in course.adverse_events:
            onset = subject.day(draw.onset_day) + (
                timedelta(hours=1) if draw.is_dlt else _hours(cal.rng, 0.5, 13.0)
            )
            aware = onset + _hours(cal.rng, 0.5, 6.0)
            cal.at(aware, lambda e=draw, o=onset: self.adverse_event(subject, e, o))
        if course.death_day is not None:
            cal.at(subject.day(course.death_day) + _hours(cal.rng, 2.0, 14.0), lambda: self.death(subject))

    def _visit_time(self, subject: Subject, planned: Visit) -> datetime:
        day = planned.planned_day.value
        if day <= DOSING_DAYS:
            return subject.day(day) + timedelta(hours=1)
        shift = int(self.calendar.rng.integers(-planned.window.days_before, planned.window.days_after + 1))
        return subject.day(day + shift) + timedelta(hours=1)

    # -- dosing ------------------------------------------------------------------------------------------

    def dose(self, subject: Subject, study_day: int) -> None:
        cal, c = self.calendar, self.calendar.cast
        if not subject.alive_at(cal.clock.now()):
            return
        if subject.stopped_after_day is not None and study_day > subject.stopped_after_day:
            treatment.administer_dose(cal.uow(), c.coordinator, subject.participant_id, study_day,
                                      status=AdministrationStatus.MISSED,
                                      reason="dosing stopped after a dose-limiting toxicity")
            return
        started = subject.day(study_day)
        spo2_pre = int(cal.rng.integers(90, 98))
        treatment.administer_dose(
            cal.uow(), c.coordinator, subject.participant_id, study_day, started_at=started,
            ended_at=started + timedelta(minutes=20), volume_ml="3", device=NEBULISER,
            spo2_pre_percent=spo2_pre, spo2_post_percent=min(100, spo2_pre + int(cal.rng.integers(-1, 3))),
            tolerance="tolerated",
        )  # fmt: skip
        subject.dose_times.append(started)

    def follow_up(self, subject: Subject) -> None:
        cal = self.calendar
        if not subject.alive_at(cal.clock.now()):
            return
        participant.start_follow_up(cal.uow(), cal.cast.coordinator, subject.participant_id)
        subject.dosing_done = True
        cal.dosing_over(subject)

    # -- visits and forms --------------------------------------------------------------------------------

    def record_visit(self, subject: Subject, planned: Visit) -> None:
        cal, c = self.calendar, self.calendar.cast
        now = cal.clock.now()
        if not subject.alive_at(now) or planned.visit_code in subject.visits_done:
            return
        assert subject.day_one is not None
        done_on = now.date()
        visit.record_visit(cal.uow(), c.coordinator, planned.visit_id, done_on)
        subject.visits_done.add(planned.visit_code)
        study_day = (done_on - subject.day_one.date()).days + 1
        status = None if subject.course is None else day_status(subject.course, study_day)
        schedule = cal.protocol.schedule
        assessments = next((v.assessments for v in schedule.visits if v.id == planned.visit_code), ()) if schedule \
            else ()
        if status is not None:
            measured_at = subject.day(study_day) - timedelta(hours=1)
            paco2 = subject.patient.record.get("oxygenation", {}).get("paco2_mmhg") if study_day == 1 else None
            forms = {
                "blood_gas": lambda: blood_gas_values(status, measured_at, paco2),
                "sofa": lambda: sofa_values(status, subject.sofa_points, done_on),
                "murray": lambda: murray_values(status, subject.patient, done_on),
            }
            for assessment in assessments:
                if assessment in _FORMS:
                    crf.save_crf(cal.uow(), c.coordinator, subject.participant_id, _FORMS[assessment],
                                 planned.visit_code, forms[assessment]())
        if planned.visit_code == self._last_visit_code():
            cal.at(now + timedelta(hours=1), lambda: self.complete(subject))

    def _last_visit_code(self) -> str | None:
        schedule = self.calendar.protocol.schedule
        if schedule is None or not schedule.visits:
            return None
        return max(schedule.visits, key=lambda v: v.day).id

    def complete(self, subject: Subject) -> None:
        cal, c = self.calendar, self.calendar.cast
        if not subject.alive_at(cal.clock.now()):
            return
        self._end_of_study(subject, "completed")
        participant.complete_participant(cal.uow(), c.coordinator, subject.participant_id)
        subject.completed = True
        cal.participant_done(subject)

    def _end_of_study(self, subject: Subject, status: str) -> None:
        cal, c = self.calendar, self.calendar.cast
        assert subject.course is not None and subject.day_one is not None
        today = cal.clock.now().date()
        values = end_of_study_values(
            status, today, death_on=subject.died_at.date() if subject.died_at else None,
            extubated_on=extubation_date(subject.course, subject.day_one.date(), 28),
            reason="death from the progression of ARDS" if status == "died" else None,
        )  # fmt: skip
        crf.save_crf(cal.uow(), c.coordinator, subject.participant_id, "end_of_study", "end_of_study", values)

    # -- safety ------------------------------------------------------------------------------------------

    def adverse_event(self, subject: Subject, draw: AdverseEventDraw, onset: datetime) -> None:
        cal, c = self.calendar, self.calendar.cast
        now = cal.clock.now()
        onset = min(onset, now)
        if subject.died_at is not None:
            onset = min(onset, subject.died_at)
        related = relatedness(draw)
        expected = Expectedness.UNEXPECTED if draw.is_dlt else Expectedness.EXPECTED
        recorded = safety.record_adverse_event(
            cal.uow(), c.investigator, subject.participant_id, term=draw.term, ctcae_grade=draw.grade,
            onset_at=onset, investigator_aware_at=now, relatedness=related, expectedness=expected,
            seriousness=seriousness(draw),
        )  # fmt: skip
        subject.adverse_events.append((draw, recorded.adverse_event_id, onset))
        if draw.is_dlt and subject.stopped_after_day is None:
            subject.stopped_after_day = draw.onset_day
        if recorded.is_serious:
            ae_id = recorded.adverse_event_id
            cal.at(now + _hours(cal.rng, 2.0, 20.0), lambda: self.report(ae_id, "sponsor"))
            if recorded.is_susar:
                cal.at(now + timedelta(days=float(cal.rng.uniform(3.0, 6.0))), lambda: self.report(ae_id, "regulatory"))
        if draw.grade < 5:
            resolved = onset + timedelta(days=float(cal.rng.uniform(1.0, 2.0 + 2.0 * draw.grade)))
            cal.at(max(resolved, now), lambda: self.resolve(subject, recorded.adverse_event_id))

    def report(self, adverse_event_id: str, kind: str) -> None:
        cal, c = self.calendar, self.calendar.cast
        actor = c.investigator if kind == "sponsor" else c.administrator
        safety.record_sae_report(cal.uow(), actor, adverse_event_id, kind, cal.clock.now())

    def resolve(self, subject: Subject, adverse_event_id: str) -> None:
        cal = self.calendar
        if subject.alive_at(cal.clock.now()):
            safety.resolve_adverse_event(cal.uow(), cal.cast.investigator, adverse_event_id, cal.clock.now())

    def death(self, subject: Subject) -> None:
        """The participant dies now; a death after completion (the Day 60 visit may be up to 3 days early) is
        outside the study and not recorded."""
        cal = self.calendar
        now = cal.clock.now()
        if subject.completed:
            return
        subject.died_at = now
        assert subject.course is not None and subject.course.death_day is not None
        fatal = AdverseEventDraw(DEATH_TERM, 5, subject.course.death_day, Relatedness.NOT_RELATED.value, True,
                                 False)
        cal.at(now + timedelta(hours=1), lambda: self.adverse_event(subject, fatal, now))
        cal.at(now + timedelta(hours=2), lambda: self.record_death(subject))

    def record_death(self, subject: Subject) -> None:
        cal, c = self.calendar, self.calendar.cast
        assert subject.died_at is not None
        participant.record_death(cal.uow(), c.coordinator, subject.participant_id, subject.died_at.date())
        self._missed_visits(subject)
        self._end_of_study(subject, "died")
        if not subject.dosing_done:
            subject.dosing_done = True
            cal.dosing_over(subject)
        cal.participant_done(subject)

    def _missed_visits(self, subject: Subject) -> None:
        cal, c = self.calendar, self.calendar.cast
        for planned in subject.planned_visits:
            if planned.visit_code not in subject.visits_done:
                visit.record_missed_visit(cal.uow(), c.coordinator, planned.visit_id, "participant died")
                subject.visits_done.add(planned.visit_code)

    def dlt_evidence(self, subject: Subject, window_days: int) -> tuple[list[dict[str, Any]], list[str]]:
        """The DLT facts of the participant's AEs with onset in the window, and their AE ids."""
        facts: list[dict[str, Any]] = []
        ids: list[str] = []
        for draw, ae_id, onset in subject.adverse_events:
            if draw.onset_day > window_days:
                continue
            given = [t for t in subject.dose_times if t <= onset]
            hours = (onset - given[-1]) / timedelta(hours=1) if given else None
            facts.append(dlt_facts(draw, hours))
            ids.append(ae_id)
        return facts, ids
