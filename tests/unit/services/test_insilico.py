"""The in-silico trial runner on the in-memory unit of work: a whole trial through the use cases.

Sources of the rules checked: the protocol file NCT04602104 (3+3, cohorts of 3, DLT window Day 1-8, Phase 2
strata and arms), ``clinical.md`` 3.9 (DLT rule) and 4 (schedule), the scenario file ``mexards.yaml``.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pytest

from mexards.clinical.eligibility import Screener
from mexards.domain.errors import ConflictError, ValidationError
from mexards.domain.identifier import SiteId
from mexards.domain.role import Role
from mexards.domain.signature import SignatureMeaning
from mexards.protocol import builtin_protocol
from mexards.services.insilico import (
    Cast,
    InSilicoOutcome,
    Progress,
    SimulatedClock,
    run_insilico_trial,
    shifted_record,
    virtual_patients,
    with_design,
)
from mexards.services.insilico_course import next_ten_oclock
from mexards.simulation.ards_patient import VirtualPatient, generate_patients, patient_course
from mexards.simulation.trial_course import TreatmentModel
from mexards.simulation.trial_scenario import load_trial_scenario
from mexards.simulation.whole_trial import with_dose_toxicity
from tests.unit.services.fake import FakeStore, FakeUnitOfWork

PROTOCOL = builtin_protocol("NCT04602104")
SCENARIO = load_trial_scenario("mexards")
PHASE2 = 9


@dataclass
class Run:
    outcome: InSilicoOutcome
    store: FakeStore
    patients: list[VirtualPatient]
    progress: list[Progress]

    def rows(self, table: str) -> list[Any]:
        return list(self.store.table(table).values())


def run(seed: int, phase2: int = PHASE2, scenario: Any = SCENARIO, protocol: Any = PROTOCOL) -> Run:
    patients_seed, conduct_seed = np.random.SeedSequence(seed).spawn(2)
    patients = virtual_patients(scenario, protocol, phase2, np.random.default_rng(patients_seed))
    clock = SimulatedClock()
    store = FakeStore()
    seen: list[Progress] = []
    outcome = run_insilico_trial(
        lambda: FakeUnitOfWork(store, clock), protocol, scenario, patients, np.random.default_rng(conduct_seed),
        clock, phase2_participants=phase2, on_progress=seen.append,
    )  # fmt: skip
    return Run(outcome, store, patients, seen)


@pytest.fixture(scope="module")
def trial_run() -> Run:
    return run(7)


def test_the_run_ends_with_a_locked_completed_trial_in_phase_2(trial_run: Run) -> None:
    (trial,) = trial_run.rows("trial")
    assert trial.is_locked and trial.status.value == "completed" and trial.phase.value == "phase2"
    assert trial.mtd_dose_particles == trial_run.outcome.mtd_dose_particles
    assert trial_run.outcome.locked_at == trial.locked_at


def test_phase_2_randomizes_exactly_the_requested_number_stratified_by_berlin_severity(trial_run: Run) -> None:
    randomized = [p for p in trial_run.rows("participants") if p.randomization is not None]
    assert len(randomized) == PHASE2 == trial_run.outcome.randomized
    assert sum(trial_run.outcome.randomized_by_stratum.values()) == PHASE2
    assert {p.randomization.stratum for p in randomized} <= {
        f"berlin_severity={level}" for level in ("MILD", "MODERATE", "SEVERE")
    }


def test_every_participant_ends_completed_died_or_ineligible(trial_run: Run) -> None:
    states = {p.state.value for p in trial_run.rows("participants")}
    assert states <= {"completed", "died", "ineligible"}
    assert sum(trial_run.outcome.by_state.values()) == trial_run.outcome.screened


def test_screen_failures_are_exactly_the_criteria_the_virtual_records_were_built_to_fail(trial_run: Run) -> None:
    log = sorted(trial_run.rows("screening_log"), key=lambda e: e.participant_id.value)
    assert len(log) == trial_run.outcome.screened
    for entry in log:
        patient = trial_run.patients[int(entry.participant_id.value.split("-")[1]) - 1]
        assert {c.criterion_id for c in entry.failing} == set(patient.expected_failures), entry.participant_id
        assert (entry.verdict == "ELIGIBLE") is patient.expected_eligible


def test_shifting_a_record_keeps_its_screening_verdict_and_failing_criteria() -> None:
    screener = Screener(PROTOCOL)
    patients = generate_patients(SCENARIO, 40, np.random.default_rng(3))
    for patient in patients:
        before = screener.screen(screener.schema.parse(patient.record))
        after = screener.screen(screener.schema.parse(shifted_record(patient.record, 400)))
        assert (before.verdict, before.failing) == (after.verdict, after.failing)
    moved = shifted_record(patients[0].record, 400)
    assert moved["screening_at"] != patients[0].record["screening_at"]


def test_phase_1_cohorts_are_of_three_at_the_dose_the_design_recommended_without_overrides(trial_run: Run) -> None:
    cohorts = sorted(trial_run.rows("cohorts"), key=lambda c: c.cohort_number)
    assert cohorts and all(len(c.participant_ids) == 3 and c.state.value == "reviewed" for c in cohorts)
    decisions = trial_run.rows("dose_decisions")
    assert len(decisions) == len(cohorts)
    assert all(not d.overrides_recommendation for d in decisions)
    assert cohorts[0].dose_level.index == 1


def test_each_cohort_opens_only_after_the_previous_dlt_window_ended(trial_run: Run) -> None:
    cohorts = sorted(trial_run.rows("cohorts"), key=lambda c: c.cohort_number)
    for previous, current in itertools.pairwise(cohorts):
        assert current.opened_at >= previous.dlt_window_ends_at


def test_the_confirmed_dlts_are_the_virtual_courses_dose_limiting_events(trial_run: Run) -> None:
    model = TreatmentModel.of(SCENARIO, [float(level.dose_particles) for level in PROTOCOL.dose_levels])
    participants = {p.participant_id: p for p in trial_run.rows("participants")}
    adjudications = trial_run.rows("dlt_adjudications")
    assert len(adjudications) == trial_run.outcome.phase1_participants
    for adjudication in adjudications:
        person = participants[adjudication.participant_id]
        patient = trial_run.patients[int(person.participant_id.value.split("-")[1]) - 1]
        course = patient_course(patient, SCENARIO, model, float(person.dose_level.dose_particles))
        assert adjudication.is_confirmed and adjudication.evaluable
        assert adjudication.is_dlt is course.dlt is adjudication.proposed_is_dlt
    assert trial_run.outcome.dlts == sum(bool(a.is_dlt) for a in adjudications)


def test_the_mtd_declaration_carries_the_statisticians_and_the_pis_valid_signatures(trial_run: Run) -> None:
    (declaration,) = trial_run.rows("mtd_declarations")
    meanings = {(s.role, s.meaning) for s in declaration.signatures}
    assert meanings == {(Role.STATISTICIAN, SignatureMeaning.AUTHORSHIP),
                        (Role.PRINCIPAL_INVESTIGATOR, SignatureMeaning.APPROVAL)}
    assert declaration.signatures_verify()
    assert declaration.mtd.dose_particles == trial_run.outcome.mtd_dose_particles


def test_treated_participants_get_seven_daily_nebulisations_unless_they_die_or_have_a_dlt(trial_run: Run) -> None:
    by_participant: dict[Any, list[Any]] = {}
    for administration in trial_run.rows("administrations"):
        by_participant.setdefault(administration.participant_id, []).append(administration)
    treated = [p for p in trial_run.rows("participants") if p.first_dose_at is not None]
    assert len(treated) == trial_run.outcome.enrolled
    for person in treated:
        records = sorted(by_participant[person.participant_id], key=lambda a: a.study_day.value)
        days = [a.study_day.value for a in records]
        assert days == list(range(1, len(days) + 1))
        if person.state.value == "completed":
            assert len(days) == 7
        given = [a for a in records if a.status.value == "given"]
        assert given[0].started_at == person.first_dose_at and given[0].started_at.hour == 10
        if person.randomization is not None:
            assert all(a.kit_code == person.randomization.kit_code and a.dose_particles is None for a in given)


def test_visits_of_days_1_to_7_are_on_their_day_and_later_ones_within_their_windows(trial_run: Run) -> None:
    visits = trial_run.rows("visits")
    done = [v for v in visits if v.status.value == "done"]
    assert done and all(v.within_window for v in done)
    missed = [v for v in visits if v.status.value == "missed"]
    assert all(v.missed_reason == "participant died" for v in missed)
    assert {v.visit_code for v in visits} == {v.id for v in PROTOCOL.schedule.visits if v.day >= 1}


def test_crfs_follow_the_schedule_and_their_derived_scores_are_computed(trial_run: Run) -> None:
    records = trial_run.rows("crf_records")
    forms = {(r.form_id, r.visit_code) for r in records}
    assert ("blood_gas", "d1") in forms and ("sofa", "d7") in forms and ("murray", "d3") in forms
    assert not any(r.form_id == "murray" and r.visit_code == "d2" for r in records)
    sofa = [r for r in records if r.form_id == "sofa"]
    assert sofa and all(r.derived["sofa_complete"] is True for r in sofa)
    assert all("pf_ratio" in r.derived for r in records if r.form_id == "blood_gas")
    treated = {p.participant_id for p in trial_run.rows("participants") if p.first_dose_at is not None}
    ended = {r.participant_id for r in records if r.form_id == "end_of_study"}
    baseline = {r.participant_id for r in records if r.form_id == "blood_gas" and r.visit_code == "d1"}
    assert ended == treated == baseline  # everyone dosed has a Day 1 (pre-dose) blood gas and an end of study


def test_serious_adverse_events_are_reported_to_the_sponsor_within_24_hours(trial_run: Run) -> None:
    events = trial_run.rows("adverse_events")
    serious = [e for e in events if e.is_serious]
    assert serious and len(events) == trial_run.outcome.adverse_events
    now = trial_run.outcome.locked_at
    assert not any(e.is_overdue(now) for e in events)
    deaths = [p for p in trial_run.rows("participants") if p.state.value == "died"]
    fatal = [e for e in events if int(e.ctcae_grade) == 5]
    assert len(fatal) == len(deaths)


def test_every_change_was_made_by_an_actor_of_the_cast(trial_run: Run) -> None:
    cast = Cast.for_site()
    users = {actor.user_id for actor in cast.actors}
    assert trial_run.store.transactions
    assert all(t.actor is not None and t.actor.user_id in users for t in trial_run.store.transactions)
    roles = {t.actor.role for t in trial_run.store.transactions if t.actor is not None}
    assert {Role.ADMINISTRATOR, Role.COORDINATOR, Role.INVESTIGATOR, Role.STATISTICIAN,
            Role.PRINCIPAL_INVESTIGATOR, Role.UNBLINDED_STATISTICIAN} <= roles


def test_progress_reaches_every_stage_to_its_total(trial_run: Run) -> None:
    last = {p.stage: p for p in trial_run.progress}
    assert set(last) == {"Phase 1", "Phase 2", "Follow-up", "Database lock"}
    assert last["Phase 2"].completed == last["Phase 2"].total == PHASE2
    assert last["Follow-up"].completed == last["Follow-up"].total == trial_run.outcome.enrolled


def test_the_same_seed_gives_the_same_trial_and_another_seed_another() -> None:
    first, second, other = run(11, 6), run(11, 6), run(12, 6)

    def key(r: Run) -> tuple[Any, ...]:
        o = r.outcome
        return (o.screened, o.exclusion_reasons, o.escalation, o.mtd_dose_particles, o.randomized_by_stratum,
                o.by_state, o.adverse_events, o.locked_at,
                sorted((e.participant_id, e.term, e.onset_at) for e in r.rows("adverse_events")))

    assert key(first) == key(second)
    assert key(first) != key(other)


def test_a_design_with_no_tolerable_dose_terminates_the_trial_before_phase_2() -> None:
    toxic = with_dose_toxicity(SCENARIO, (0.97, 0.98, 0.99))
    result = run(5, 6, scenario=toxic)
    (trial,) = result.rows("trial")
    assert result.outcome.mtd_dose_particles is None and result.outcome.randomized == 0
    assert trial.status.value == "terminated" and trial.is_locked and trial.phase.value == "phase1"


def test_the_boin_design_can_replace_the_protocols_3_plus_3() -> None:
    boin = with_design(PROTOCOL, "boin", 0.25)
    assert boin.phase1.design.name == "BOIN" and float(boin.phase1.design.target) == 0.25
    result = run(3, 3, protocol=boin)
    assert result.outcome.design.startswith("BOIN")
    assert result.outcome.phase1_participants == 18  # BOIN treats to the protocol's maximum sample size


def test_design_names_are_checked() -> None:
    assert with_design(PROTOCOL, None) is PROTOCOL
    assert with_design(PROTOCOL, "3+3") is PROTOCOL
    assert with_design(PROTOCOL, "CRM", 0.3).phase1.design.name == "CRM"
    with pytest.raises(ValidationError) as error:
        with_design(PROTOCOL, "mtpi")
    assert error.value.field == "design"
    with pytest.raises(ValidationError) as missing:
        with_design(PROTOCOL, "boin")
    assert missing.value.field == "target"


def test_running_out_of_virtual_patients_is_a_clear_conflict() -> None:
    clock = SimulatedClock()
    store = FakeStore()
    few = generate_patients(SCENARIO, 5, np.random.default_rng(1))
    with pytest.raises(ConflictError, match="virtual patients ran out"):
        run_insilico_trial(lambda: FakeUnitOfWork(store, clock), PROTOCOL, SCENARIO, few,
                           np.random.default_rng(2), clock, phase2_participants=6)


def test_the_phase_2_size_must_be_a_whole_number_of_at_least_3() -> None:
    clock = SimulatedClock()
    for bad in (2, 0, True, 4.5):
        with pytest.raises(ValidationError) as error:
            run_insilico_trial(lambda: FakeUnitOfWork(FakeStore(), clock), PROTOCOL, SCENARIO, [],
                               np.random.default_rng(1), clock, phase2_participants=bad)  # type: ignore[arg-type]
        assert error.value.field == "phase2_participants"


def test_the_cast_has_one_user_per_role_and_site_staff_work_at_the_site() -> None:
    cast = Cast.for_site(SiteId("RJ1"))
    assert len({a.role for a in cast.actors}) == len(cast.actors) == 8
    assert cast.coordinator.site_ids == frozenset({SiteId("RJ1")}) and not cast.statistician.site_ids
    assert set(cast.printed_names) == {a.user_id.value for a in cast.actors}


def test_the_clock_only_moves_forward_and_doses_are_given_at_ten() -> None:
    clock = SimulatedClock(datetime(2025, 1, 6, 8, tzinfo=UTC))
    clock.move_to(datetime(2025, 1, 7, tzinfo=UTC))
    assert clock.move_to(datetime(2025, 1, 6, tzinfo=UTC)) == datetime(2025, 1, 7, tzinfo=UTC)
    with pytest.raises(ValidationError):
        SimulatedClock(datetime(2025, 1, 6))
    assert next_ten_oclock(datetime(2025, 1, 6, 9, 59, tzinfo=UTC)) == datetime(2025, 1, 6, 10, tzinfo=UTC)
    assert next_ten_oclock(datetime(2025, 1, 6, 10, 1, tzinfo=UTC)) == datetime(2025, 1, 7, 10, tzinfo=UTC)
