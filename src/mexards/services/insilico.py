"""The in-silico trial: virtual ARDS patients driven through every real use case of a MEXARDS-like trial.

:func:`run_insilico_trial` is a discrete-event simulation over a :class:`SimulatedClock`: every step is a use
case of :mod:`mexards.services` called by the user of the right role (:class:`Cast`), in a fresh unit of work
from the factory given (the in-memory fake in tests, the SQL unit of work of the composition root in
``mexards demo``), at the simulated time it happens. Nothing is written around the services.

The calendar (protocol file, ``clinical.md`` 3.9 and 4; scenario file ``simulation/scenarios/*.yaml``):

- Patients arrive at the times of the virtual-patient generator (Poisson screening at the rate that gives the
  scenario's accrual) and are screened by the coordinator against the protocol's criteria; screen failures
  come from the generator's records. An eligible patient consents (the subject, or a legally authorised
  representative when the record says a family member signed), is enrolled, assigned or randomized, and
  gets the first nebulisation at the next 10:00 at least two hours later (screening is within 24 h before
  Day 1), then one a day on Days 1-7.
- Recruitment is suspended while a Phase 1 cohort is full and until the next cohort opens, and between the
  MTD approval and the start of Phase 2 (``trial.phase2_start_gap_days``). Arrivals being a Poisson process,
  a pause shifts the rest of the arrival stream by the pause (in whole days, so that dates of birth and
  event dates keep their distance to the screening date).
- Phase 1: a cohort opens at the design's recommended dose (``escalation.open_cohort``); when its last
  member has finished dosing it is closed, its DLT window computed from the doses given; a day after the
  window ends, the coordinator applies the protocol's DLT rule to each member's AEs of the window, the
  investigator confirms the proposal (every dosed member is DLT-evaluable), the cohort is reviewed and the
  design recommends the next dose or stops. A member with a dose-limiting toxicity misses the rest of the
  doses. When the design stops, the statistician declares the MTD and the principal investigator approves
  it, both re-authenticated; with no tolerable dose the trial is terminated.
- Phase 2: the unblinded statistician generates the sealed stratified list (seed drawn from ``rng``, slots per
  stratum = the Phase 2 size, so no stratum can run out), the statistician verifies its seal, recruitment
  reopens; the coordinator randomizes each enrolled participant and the pharmacist looks up the kit's arm to
  prepare the product. The dose so revealed is the dose of the participant's virtual course.
- The course (:func:`mexards.simulation.ards_patient.patient_course`) gives the daily blood gas, SOFA and
  Murray inputs entered at the visits whose assessments list them, the adverse events (recorded by the
  investigator a few hours after onset, serious ones reported to the sponsor within 24 h, SUSARs to the
  regulator within 7 days, resolved later if the participant is alive), extubation and death (an SAE of ARDS
  progression, then the death record). Follow-up starts after Day 7; visits of Days 14, 28 and 60 fall on a
  day drawn within their windows; a participant alive at Day 60 completes, with the end-of-study form.
- When everyone has finished, recruitment is closed, the trial completed and the database locked.
"""

from __future__ import annotations

import heapq
import itertools
import math
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np

from mexards.domain.errors import ConflictError, ValidationError
from mexards.domain.identifier import ParticipantId
from mexards.domain.participant import ConsentSigner
from mexards.domain.role import Actor
from mexards.domain.trial import TrialAction
from mexards.protocol.model import Protocol
from mexards.services import allocation, escalation, mtd, participant, read_model, trial
from mexards.services.insilico_course import Subject, SubjectCare
from mexards.services.insilico_setting import DEMO_START, DESIGNS, Cast, SimulatedClock, with_design
from mexards.services.port import Reauthentication, UnitOfWork
from mexards.simulation.ards_patient import (
    VirtualPatient,
    eligibility_probability,
    generate_patients,
)
from mexards.simulation.trial_course import TreatmentModel
from mexards.simulation.trial_scenario import TrialScenario

__all__ = [
    "DEMO_START",
    "DESIGNS",
    "Cast",
    "InSilicoOutcome",
    "Progress",
    "SimulatedClock",
    "reauthentication",
    "run_insilico_trial",
    "shifted_record",
    "virtual_patients",
    "with_design",
]

@dataclass(frozen=True)
class Progress:
    """How far a stage of the run is: ``completed`` of ``total`` (participants)."""

    stage: str
    completed: int
    total: int


@dataclass(frozen=True)
class InSilicoOutcome:
    """What happened, as the trial statistician (blinded) reads it back through the read models."""

    design: str
    screened: int
    excluded: int
    exclusion_reasons: dict[str, int]
    enrolled: int
    phase1_participants: int
    cohorts: int
    dlts: int
    escalation: tuple[read_model.EscalationLevel, ...]
    mtd_dose_particles: int | None
    randomized: int
    randomized_by_stratum: dict[str, int]
    by_state: dict[str, int]
    adverse_events: int
    serious_adverse_events: int
    started_at: datetime
    locked_at: datetime
    declaration_id: str | None


def reauthentication(actor: Actor, clock: SimulatedClock) -> Reauthentication:
    """The actor re-entered their password just now (the entrypoint's evidence for a signature)."""
    return Reauthentication(actor.user_id, True, clock.now())


def _arrival(patient: VirtualPatient) -> datetime:
    return datetime.fromisoformat(str(patient.record["screening_at"]).replace("Z", "+00:00"))


class _Runner:
    """One run of :func:`run_insilico_trial` (see the module docstring)."""

    def __init__(
        self,
        uow_factory: Callable[[], UnitOfWork],
        protocol: Protocol,
        scenario: TrialScenario,
        patients: Iterable[VirtualPatient],
        rng: np.random.Generator,
        clock: SimulatedClock,
        phase2_participants: int,
        cast: Cast,
        on_progress: Callable[[Progress], None] | None,
        reauthenticate: Callable[[Actor], Reauthentication] | None,
    ) -> None:
        self.new_uow, self.protocol, self.scenario, self.rng, self.clock = uow_factory, protocol, scenario, rng, clock
        self.cast, self.on_progress = cast, on_progress
        self.reauthenticate = reauthenticate or (lambda actor: reauthentication(actor, clock))
        self.phase1 = escalation.phase1_of(protocol)
        allocation.phase2_of(protocol)
        self.target = phase2_participants
        self.patients: Iterator[VirtualPatient] = iter(patients)
        self.queue: list[tuple[datetime, int, Callable[[], None]]] = []
        self.sequence = itertools.count()
        self.offset_days = 0
        self.recruiting = False
        self.paused_at: datetime | None = None
        self.pending: VirtualPatient | None = None
        self.arrival_token = 0
        self.phase = 1
        self.screened = 0
        self.reserved = 0
        self.cohort: int | None = None
        self.cohort_members: list[Subject] = []
        self.subjects: list[Subject] = []
        self.finished = 0
        self.randomized_by_stratum: dict[str, int] = {}
        self.declaration_id: str | None = None
        self.mtd_particles: int | None = None
        self.status = "not_yet_recruiting"
        levels = [float(level.dose_particles) for level in protocol.dose_levels]
        self.care = SubjectCare(self, TreatmentModel.of(scenario, levels))

    # -- the event queue ---------------------------------------------------------------------------------

    def at(self, when: datetime, action: Callable[[], None]) -> None:
        """Do ``action`` at ``when`` (events at the same time in the order they were scheduled)."""
        heapq.heappush(self.queue, (when, next(self.sequence), action))

    def uow(self) -> UnitOfWork:
        return self.new_uow()

    def progress(self, stage: str, completed: int, total: int) -> None:
        if self.on_progress is not None:
            self.on_progress(Progress(stage, completed, total))

    def run(self) -> InSilicoOutcome:
        started_at = self.clock.now()
        c = self.cast
        trial.start_trial(self.uow(), c.administrator, self.protocol, "1.0")
        trial.change_trial_status(self.uow(), c.administrator, TrialAction.OPEN_RECRUITMENT)
        self.status = "recruiting"
        self.at(self.clock.now() + timedelta(hours=1), self.open_cohort)
        while self.queue:
            when, _, action = heapq.heappop(self.queue)
            self.clock.move_to(when)
            action()
        return self.close(started_at)

    # -- recruitment -------------------------------------------------------------------------------------

    def resume(self) -> None:
        """Recruitment (re)opens now; the arrival stream is shifted by the pause."""
        now = self.clock.now()
        if self.paused_at is not None:
            trial.change_trial_status(self.uow(), self.cast.administrator, TrialAction.OPEN_RECRUITMENT)
            self.offset_days += math.ceil((now - self.paused_at) / timedelta(days=1))
            self.paused_at = None
        self.recruiting, self.status = True, "recruiting"
        self.arrival_token += 1  # the pending patient's old arrival is cancelled and scheduled anew
        self.schedule_arrival()

    def pause(self, action: TrialAction = TrialAction.SUSPEND) -> None:
        """Recruitment stops now (suspended between cohorts, closed at the end of Phase 2)."""
        self.recruiting = False
        self.paused_at = self.clock.now()
        trial.change_trial_status(self.uow(), self.cast.administrator, action)
        self.status = "suspended" if action is TrialAction.SUSPEND else "active_not_recruiting"

    def schedule_arrival(self) -> None:
        if self.pending is None:
            self.pending = next(self.patients, None)
            if self.pending is None:
                raise ConflictError(f"the virtual patients ran out after {self.screened} screenings: give more")
        token = self.arrival_token
        when = _arrival(self.pending) + timedelta(days=self.offset_days)
        self.at(max(self.clock.now(), when), lambda: self.arrive(token))

    def arrive(self, token: int) -> None:
        if token != self.arrival_token or not self.recruiting or self.pending is None:
            return
        patient, self.pending = self.pending, None
        self.screen(patient)
        if self.recruiting:
            self.schedule_arrival()

    def screen(self, patient: VirtualPatient) -> None:
        self.screened += 1
        participant_id = ParticipantId(f"{self.cast.site_id.value}-{self.screened:04d}")
        record = shifted_record(patient.record, self.offset_days)
        entry = participant.screen_patient(self.uow(), self.cast.coordinator, self.protocol, participant_id,
                                           self.cast.site_id, record)
        if entry.verdict != "ELIGIBLE":
            return
        subject = Subject(participant_id, patient, self.phase, cohort_number=self.cohort)
        self.subjects.append(subject)
        self.reserved += 1
        if self.phase == 1:
            self.cohort_members.append(subject)
            if self.reserved >= self.phase1.cohort_size:
                self.pause()
        elif self.reserved >= self.target:
            self.pause(TrialAction.CLOSE_RECRUITMENT)
        now = self.clock.now()
        self.at(now + timedelta(minutes=20), lambda: self.consent(subject))
        self.at(now + timedelta(minutes=40), lambda: self.enrol(subject))

    def consent(self, subject: Subject) -> None:
        given_by = subject.patient.record.get("consent", {}).get("given_by", "subject")
        c = self.cast
        if given_by == "subject":
            participant.record_consent(self.uow(), c.coordinator, subject.participant_id, ConsentSigner.SUBJECT,
                                       "1.0", self.clock.now())
            return
        relationship = ("spouse", "son", "daughter", "parent", "sibling")[int(self.rng.integers(5))]
        participant.record_consent(self.uow(), c.coordinator, subject.participant_id,
                                   ConsentSigner.LEGALLY_AUTHORISED_REPRESENTATIVE, "1.0", self.clock.now(),
                                   relationship)

    def enrol(self, subject: Subject) -> None:
        c = self.cast
        participant.enrol_participant(self.uow(), c.coordinator, subject.participant_id)
        now = self.clock.now()
        if subject.phase == 1:
            assert subject.cohort_number is not None
            self.at(now + timedelta(minutes=20), lambda: self.assign(subject))
        else:
            self.at(now + timedelta(minutes=20), lambda: self.randomize(subject))

    def assign(self, subject: Subject) -> None:
        assert subject.cohort_number is not None
        c = self.cast
        assigned = escalation.assign_to_cohort(self.uow(), c.investigator, self.protocol, subject.participant_id,
                                               subject.cohort_number)
        assert assigned.dose_level is not None
        self.progress("Phase 1", sum(1 for s in self.subjects if s.phase == 1), self.phase1.max_sample_size)
        self.care.start(subject, assigned.dose_level.dose_particles)

    def randomize(self, subject: Subject) -> None:
        c = self.cast
        blinded = allocation.randomize_participant(self.uow(), c.coordinator, subject.participant_id)
        self.randomized_by_stratum[blinded.stratum] = self.randomized_by_stratum.get(blinded.stratum, 0) + 1
        self.progress("Phase 2", sum(self.randomized_by_stratum.values()), self.target)
        revealed = allocation.reveal_allocation(self.uow(), c.pharmacist, self.protocol, subject.participant_id)
        self.care.start(subject, revealed.daily_dose_particles)

    # -- Phase 1 -----------------------------------------------------------------------------------------

    def open_cohort(self) -> None:
        cohort = escalation.open_cohort(self.uow(), self.cast.investigator, self.protocol)
        self.cohort, self.cohort_members, self.reserved = cohort.cohort_number, [], 0
        self.resume()

    def participant_done(self, subject: Subject) -> None:
        """A participant completed follow-up or died."""
        self.finished += 1
        self.progress("Follow-up", self.finished, max(len(self.subjects), 1))

    def dosing_over(self, subject: Subject) -> None:
        """A participant has finished dosing (Day 7, or died): close the cohort when everyone has."""
        number = subject.cohort_number
        if subject.phase != 1 or number is None or self.recruiting or number != self.cohort:
            return
        members = self.cohort_members
        if len(members) < self.phase1.cohort_size or not all(m.dosing_done for m in members):
            return
        c = self.cast
        closed = escalation.close_cohort(self.uow(), c.investigator, self.protocol, number)
        assert closed.dlt_window_ends_at is not None
        review_at = max(closed.dlt_window_ends_at, self.clock.now()) + timedelta(hours=23)
        self.at(review_at, lambda: self.review(number, list(members)))

    def review(self, cohort_number: int, members: list[Subject]) -> None:
        c = self.cast
        for subject in members:
            facts, ae_ids = self.care.dlt_evidence(subject, self.phase1.dlt_window_days)
            proposal = escalation.propose_participant_dlt(self.uow(), c.coordinator, self.protocol,
                                                          subject.participant_id, facts, ae_ids)
            escalation.adjudicate_dlt(self.uow(), c.investigator, proposal.adjudication_id,
                                      is_dlt=proposal.proposed_is_dlt, evaluable=True)
        escalation.review_cohort(self.uow(), c.investigator, cohort_number)
        recommendation = escalation.recommend_next_dose(self.uow(), c.investigator, self.protocol)
        now = self.clock.now()
        if recommendation.should_continue:
            self.at(now + timedelta(hours=2), self.open_cohort)
        else:
            self.at(now + timedelta(days=1), self.declare_mtd)

    def declare_mtd(self) -> None:
        c = self.cast
        treated = sum(1 for s in self.subjects if s.phase == 1)
        self.progress("Phase 1", treated, treated)
        board = read_model.escalation_board(self.uow(), c.statistician, self.protocol)
        rationale = f"{board.design} finished: {board.reason}"
        declaration = mtd.declare_mtd(
            self.uow(), c.statistician, self.protocol, rationale=rationale[:1000],
            printed_name=c.printed_names[c.statistician.user_id.value],
            reauthentication=self.reauthenticate(c.statistician),
        )
        self.declaration_id = declaration.declaration_id
        self.at(self.clock.now() + timedelta(days=1), self.approve_mtd)

    def approve_mtd(self) -> None:
        c = self.cast
        assert self.declaration_id is not None
        declaration = mtd.approve_mtd(
            self.uow(), c.principal_investigator, self.declaration_id,
            printed_name=c.printed_names[c.principal_investigator.user_id.value],
            reauthentication=self.reauthenticate(c.principal_investigator),
        )
        if declaration.mtd is None:
            trial.change_trial_status(self.uow(), c.administrator, TrialAction.TERMINATE)
            self.status = "terminated"
            return
        self.mtd_particles = declaration.mtd.dose_particles
        gap = timedelta(days=self.scenario.trial.phase2_start_gap_days)
        self.at(self.clock.now() + gap, self.start_phase2)

    # -- Phase 2 -----------------------------------------------------------------------------------------

    def start_phase2(self) -> None:
        c = self.cast
        seed = int(self.rng.integers(0, 2**31 - 1))
        allocation.generate_allocation_list(self.uow(), c.unblinded_statistician, self.protocol, self.target, seed)
        verification = allocation.verify_allocation_list(self.uow(), c.statistician)
        if not verification.ok:
            raise ConflictError("the new allocation list does not verify: " + "; ".join(verification.problems))
        self.phase, self.reserved, self.cohort = 2, 0, None
        self.resume()

    # -- the end -----------------------------------------------------------------------------------------

    def close(self, started_at: datetime) -> InSilicoOutcome:
        """Everyone has finished: complete the trial (unless terminated) and lock the database."""
        c = self.cast
        now = self.clock.move_to(self.clock.now() + timedelta(days=1))
        if self.status in ("recruiting", "suspended"):
            trial.change_trial_status(self.uow(), c.administrator, TrialAction.CLOSE_RECRUITMENT)
            self.status = "active_not_recruiting"
        if self.status == "active_not_recruiting":
            trial.change_trial_status(self.uow(), c.administrator, TrialAction.COMPLETE)
        self.clock.move_to(now + timedelta(days=1))
        locked = trial.lock_database(self.uow(), c.administrator)
        assert locked.locked_at is not None
        self.progress("Database lock", 1, 1)
        return self.outcome(started_at, locked.locked_at)

    def outcome(self, started_at: datetime, locked_at: datetime) -> InSilicoOutcome:
        statistician = self.cast.statistician
        counts = read_model.consort_counts(self.uow(), statistician)
        board = read_model.escalation_board(self.uow(), statistician, self.protocol)
        events = read_model.adverse_event_listing(self.uow(), statistician)
        return InSilicoOutcome(
            design=board.design, screened=counts.assessed, excluded=counts.excluded,
            exclusion_reasons=counts.exclusion_reasons, enrolled=counts.enrolled,
            phase1_participants=counts.phase1_assigned, cohorts=sum(len(lv.cohorts) for lv in board.levels),
            dlts=sum(lv.dlts for lv in board.levels), escalation=board.levels, mtd_dose_particles=self.mtd_particles,
            randomized=counts.randomized, randomized_by_stratum=dict(sorted(self.randomized_by_stratum.items())),
            by_state=counts.by_state, adverse_events=len(events),
            serious_adverse_events=sum(1 for e in events if e.serious), started_at=started_at,
            locked_at=locked_at, declaration_id=self.declaration_id,
        )  # fmt: skip


def shifted_record(record: dict[str, Any], days: int) -> dict[str, Any]:
    """A screening record moved ``days`` later: screening time, date of birth, ARDS diagnosis and the dates of
    past events (their distances to the screening date, hence every criterion, are unchanged)."""
    if days == 0:
        return record
    delta = timedelta(days=days)

    def moved(text: str) -> str:
        if "T" in text:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00")) + delta
            return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
        return (date.fromisoformat(text) + delta).isoformat()

    out = {**record, "screening_at": moved(record["screening_at"]), "date_of_birth": moved(record["date_of_birth"])}
    if "ards" in record and record["ards"].get("diagnosed_at"):
        out["ards"] = {**record["ards"], "diagnosed_at": moved(record["ards"]["diagnosed_at"])}
    if "events" in record:
        out["events"] = {
            name: ({**event, "date": moved(event["date"])} if isinstance(event, dict) and event.get("date")
                   else event)
            for name, event in record["events"].items()
        }
    return out


def virtual_patients(
    scenario: TrialScenario, protocol: Protocol, phase2_participants: int, rng: np.random.Generator
) -> list[VirtualPatient]:
    """Enough virtual patients for a run: twice the expected number of screenings for the Phase 1 maximum plus
    the Phase 2 size (:func:`~mexards.simulation.ards_patient.eligibility_probability`), and 50 more."""
    phase1 = escalation.phase1_of(protocol)
    eligible = max(eligibility_probability(scenario), 0.01)
    needed = math.ceil(2 * (phase1.max_sample_size + phase2_participants) / eligible) + 50
    return generate_patients(scenario, needed, rng, start=DEMO_START)


def run_insilico_trial(
    uow_factory: Callable[[], UnitOfWork],
    protocol: Protocol,
    scenario: TrialScenario,
    patients: Iterable[VirtualPatient],
    rng: np.random.Generator,
    clock: SimulatedClock,
    *,
    phase2_participants: int,
    cast: Cast | None = None,
    on_progress: Callable[[Progress], None] | None = None,
    reauthenticate: Callable[[Actor], Reauthentication] | None = None,
) -> InSilicoOutcome:
    """Run a whole trial of ``protocol`` on a fresh database (see the module docstring).

    ``uow_factory`` makes a fresh unit of work per use case, whose clock must be ``clock``; ``patients`` are
    screened in order (give enough: about ``(18 + phase2_participants) / eligibility_probability`` and a
    margin; running out is a ConflictError); ``rng`` draws the conduct (consent signers, event times, visit
    days, SOFA split, the allocation list's seed); ``reauthenticate`` gives the evidence that a signer re-entered
    their password (``services.account.reauthenticate`` when the cast has accounts; by default the evidence is
    made at the clock's time). The result is deterministic for the same inputs."""
    if isinstance(phase2_participants, bool) or not isinstance(phase2_participants, int) or phase2_participants < 3:
        raise ValidationError("phase2_participants", "must be a whole number, at least 3", phase2_participants)
    runner = _Runner(uow_factory, protocol, scenario, patients, rng, clock, phase2_participants,
                     cast or Cast.for_site(), on_progress, reauthenticate)
    return runner.run()
