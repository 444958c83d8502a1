"""The analysis dataset read model, on a trial simulated through the real use cases (fake unit of work).

``simulate_trial`` is also used by the reporting tests (CONSORT, report, registry results section).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest

from mexards.domain.errors import PermissionDeniedError
from mexards.domain.identifier import ParticipantId, SiteId
from mexards.domain.participant import ParticipantState
from mexards.domain.role import Actor, Role
from mexards.domain.trial import TrialAction
from mexards.protocol import example_patients
from mexards.services import allocation, crf, participant, safety, trial
from mexards.services.read_model import consort_counts
from mexards.services.results import (
    NOT_CODED,
    POOLED_GROUP_ID,
    analysis_dataset,
    may_see_arm_level,
    system_organ_class,
)
from tests.unit.services.conftest import (
    ADMIN,
    COORDINATOR,
    INVESTIGATOR,
    MONITOR,
    PROTOCOL,
    SITE,
    STATISTICIAN,
    UNBLINDED_STATISTICIAN,
    TrialSteps,
    make_actor,
)
from tests.unit.services.fake import FakeClock, FakeStore, FakeUnitOfWork

TERMS = ("Fever", "Hypoxia", "Cough", "Nausea", "Hypotension", "Bronchospasm", "Delirium", "Mystery rash")


@dataclass
class SimulatedTrial:
    """What the simulation did, for the tests to compare the outputs with."""

    uow: Any
    phase1: list[ParticipantId]
    phase2: list[ParticipantId]
    ineligible: int = 0
    incomplete: int = 0
    eligible_not_enrolled: int = 0
    died: list[ParticipantId] = field(default_factory=list)
    withdrawn: list[ParticipantId] = field(default_factory=list)
    lost: list[ParticipantId] = field(default_factory=list)
    completed: list[ParticipantId] = field(default_factory=list)
    never_dosed: list[ParticipantId] = field(default_factory=list)
    adverse_events: int = 0


def _gas(rng: random.Random, when: date, pf: float, support: str = "invasive") -> dict[str, object]:
    fio2 = rng.choice(["0.4", "0.5", "0.6"])
    return {"measured_at": f"{when.isoformat()}T08:00:00+00:00", "support": support,
            "pao2_mmhg": f"{max(25.0, pf * float(fio2)):.0f}", "fio2_fraction": fio2, "peep_cmh2o": "10"}


def _reach(steps: TrialSteps, moment: datetime) -> None:
    """Move the clock on to ``moment`` unless it is already past it."""
    if steps.clock.now() < moment:
        steps.clock.advance(seconds=(moment - steps.clock.now()).total_seconds())


def _record_data(steps: TrialSteps, rng: random.Random, pid: ParticipantId, effect: float, *,
                 missing_day7: bool = False) -> None:
    """Demographics and the visit CRFs of a dosed participant (Day 1 = first dose date)."""
    uow = steps.uow
    with uow:
        first = uow.participants.get(pid).first_dose_at
    assert first is not None
    day_one = first.date()
    crf.save_crf(uow, COORDINATOR, pid, "demographics", "screening", {
        "sex": rng.choice(["male", "female"]), "date_of_birth": f"{rng.randint(1956, 2000)}-05-17",
        "weight_kg": f"{rng.uniform(50, 90):.1f}", "height_cm": f"{rng.randint(155, 190)}"})
    baseline = rng.uniform(110, 190)
    for day in (1, 3, 7, 14):
        if day == 7 and missing_day7:
            continue
        when = day_one + timedelta(days=day - 1)
        _reach(steps, datetime.combine(when, time(9), UTC))  # a measurement is entered after it is made
        pf = baseline + effect * day / 7 + rng.gauss(0, 15)
        support = "invasive" if day <= 3 or rng.random() < 0.3 else "oxygen"
        crf.save_crf(uow, COORDINATOR, pid, "blood_gas", f"d{day}", _gas(rng, when, pf, support))
        crf.save_crf(uow, COORDINATOR, pid, "sofa", f"d{day}", {
            "assessed_on": when.isoformat(), "pao2_mmhg": "80", "fio2_fraction": "0.5", "respiratory_support": True,
            "platelets_10e3_ul": str(rng.randint(60, 300)), "bilirubin_mg_dl": "1.0", "map_mmhg": "72",
            "gcs": rng.randint(10, 15), "creatinine_mg_dl": f"{rng.uniform(0.6, 2.5):.1f}"})
        if day in (1, 7):
            crf.save_crf(uow, COORDINATOR, pid, "murray", f"d{day}", {
                "assessed_on": when.isoformat(), "cxr_quadrants": rng.randint(2, 4), "pao2_mmhg": "80",
                "fio2_fraction": "0.5", "peep_cmh2o": "10", "compliance_ml_cmh2o": str(rng.randint(20, 50))})
            crf.save_crf(uow, COORDINATOR, pid, "labs", f"d{day}", {
                "sampled_at": f"{when.isoformat()}T07:00:00+00:00", "il6_pg_ml": f"{rng.uniform(5, 200):.1f}",
                "crp_mg_l": f"{rng.uniform(10, 150):.0f}"})


def _adverse_events(steps: TrialSteps, rng: random.Random, pid: ParticipantId, sim: SimulatedTrial) -> None:
    for _ in range(rng.choice([0, 1, 1, 2])):
        now = steps.clock.now()
        grade = rng.choice([1, 1, 2, 2, 3])
        serious = ["hospitalisation"] if grade == 3 and rng.random() < 0.5 else []
        safety.record_adverse_event(
            steps.uow, INVESTIGATOR, pid, term=rng.choice(TERMS), ctcae_grade=grade,
            onset_at=now - timedelta(hours=2), investigator_aware_at=now - timedelta(hours=1),
            relatedness=rng.choice(["not_related", "unlikely", "possible"]), expectedness="expected",
            seriousness=serious)
        sim.adverse_events += 1


def _finish(steps: TrialSteps, rng: random.Random, pid: ParticipantId, fate: str, sim: SimulatedTrial) -> None:
    uow = steps.uow
    steps.clock.advance(days=22)
    with uow:
        first = uow.participants.get(pid).first_dose_at
    day_one = first.date() if first else steps.clock.now().date()
    if fate == "died":
        died_on = day_one + timedelta(days=rng.randint(8, 20))
        participant.record_death(uow, COORDINATOR, pid, died_on)
        sim.died.append(pid)
        return
    if fate == "withdrawn":
        participant.withdraw_participant(uow, COORDINATOR, pid, "Withdrawal by Subject")
        sim.withdrawn.append(pid)
        return
    if fate == "lost":
        participant.lose_to_follow_up(uow, COORDINATOR, pid)
        sim.lost.append(pid)
        return
    crf.save_crf(uow, COORDINATOR, pid, "end_of_study", "d28", {
        "status": "completed", "last_contact_on": (day_one + timedelta(days=27)).isoformat(),
        "extubated_on": (day_one + timedelta(days=rng.randint(3, 12))).isoformat()})
    participant.start_follow_up(uow, COORDINATOR, pid)
    participant.complete_participant(uow, COORDINATOR, pid)
    sim.completed.append(pid)


def simulate_trial(
    phase2_size: int = 12, seed: int = 7, *, lock: bool = True, uow: Any = None, clock: FakeClock | None = None
) -> SimulatedTrial:
    """A whole MEXARDS trial through the use cases: 3+3 Phase 1 (MTD L2), screening failures, ``phase2_size``
    randomised participants with CRFs, AEs, deaths, withdrawals, losses; then recruitment closed and, if
    ``lock``, the database locked. ``uow`` (re-entered for every use case) and its ``clock`` default to the
    in-memory fake; a SQL unit of work built on a FakeClock works the same way."""
    rng = random.Random(seed)
    clock = clock or FakeClock()
    uow = uow if uow is not None else FakeUnitOfWork(FakeStore(), clock)
    steps = TrialSteps(uow, clock)
    steps.start()
    trial.change_trial_status(uow, ADMIN, TrialAction.OPEN_RECRUITMENT)
    steps.phase2_ready(slots=max(12, phase2_size))
    with uow:
        phase1 = [p.participant_id for p in uow.participants.list() if p.cohort_number is not None]
    sim = SimulatedTrial(uow, phase1, [])
    for pid in phase1:
        _record_data(steps, rng, pid, effect=20)
        _adverse_events(steps, rng, pid, sim)
        _finish(steps, rng, pid, "completed", sim)
    for index, record in enumerate(example_patients("NCT04602104")[1:]):
        pid = ParticipantId(f"X{index:03d}")
        record = {k: v for k, v in record.items() if k not in ("patient_id", "notes")}
        entry = participant.screen_patient(uow, COORDINATOR, PROTOCOL, pid, SITE, record)
        sim.ineligible += entry.verdict == "INELIGIBLE"
        sim.incomplete += entry.verdict == "INCOMPLETE"
        sim.eligible_not_enrolled += entry.verdict == "ELIGIBLE"
    fates = ["completed"] * phase2_size
    for i, fate in zip(range(phase2_size), ["died", "withdrawn", "lost", "died", "undosed"], strict=False):
        fates[i] = fate
    rng.shuffle(fates)
    for index in range(phase2_size):
        pid = steps.enrolled()
        allocation.randomize_participant(uow, COORDINATOR, pid)
        sim.phase2.append(pid)
        if fates[index] == "undosed":
            participant.withdraw_participant(uow, COORDINATOR, pid, "Withdrew consent before the first dose")
            sim.never_dosed.append(pid)
            sim.withdrawn.append(pid)
            continue
        steps.dose_all_days(pid)
        _record_data(steps, rng, pid, effect=rng.choice([0, 30, 60]), missing_day7=index == 1)
        _adverse_events(steps, rng, pid, sim)
        _finish(steps, rng, pid, fates[index], sim)
    trial.change_trial_status(uow, ADMIN, TrialAction.CLOSE_RECRUITMENT)
    if lock:
        trial.lock_database(uow, ADMIN)
    return sim


@pytest.fixture(scope="module")
def locked() -> SimulatedTrial:
    return simulate_trial()


def test_the_pooled_dataset_counts_every_enrolled_participant_once(locked: SimulatedTrial) -> None:
    data = analysis_dataset(locked.uow, STATISTICIAN, PROTOCOL)
    assert len(data.participants) == len(locked.phase1) + len(locked.phase2)
    assert {p.participant_id for p in data.participants if p.group_id == POOLED_GROUP_ID} == set(locked.phase2)
    assert [g.group_id for g in data.groups] == ["p1_low", "p1_medium", "p1_high", POOLED_GROUP_ID]
    assert not data.by_arm and data.locked


def test_the_pooled_dataset_names_no_phase_2_arm_and_no_phase_2_dose(locked: SimulatedTrial) -> None:
    data = analysis_dataset(locked.uow, UNBLINDED_STATISTICIAN, PROTOCOL)
    text = repr(data)
    for arm in PROTOCOL.arms:
        if arm.phase == 2:
            assert arm.id not in text and arm.label not in text
    assert all(g.dose_particles is None for g in data.groups if g.phase == 2)


@pytest.mark.parametrize("actor", [STATISTICIAN, ADMIN, MONITOR, INVESTIGATOR])
def test_a_blinded_role_cannot_obtain_arm_level_results_even_after_lock(locked: SimulatedTrial, actor: Actor) -> None:
    with pytest.raises(PermissionDeniedError) as refused:
        analysis_dataset(locked.uow, actor, PROTOCOL, by_arm=True)
    assert not any(arm.label in str(refused.value) or arm.id in str(refused.value) for arm in PROTOCOL.arms)


def test_an_unblinded_role_cannot_obtain_arm_level_results_before_lock() -> None:
    unlocked = simulate_trial(phase2_size=6, seed=3, lock=False)
    with pytest.raises(PermissionDeniedError, match="database lock"):
        analysis_dataset(unlocked.uow, UNBLINDED_STATISTICIAN, PROTOCOL, by_arm=True)
    assert not may_see_arm_level(UNBLINDED_STATISTICIAN, locked=False)
    assert may_see_arm_level(UNBLINDED_STATISTICIAN, locked=True)
    assert not may_see_arm_level(STATISTICIAN, locked=True)


def test_after_lock_an_unblinded_role_gets_each_participant_in_the_arm_of_their_sealed_list_slot(
    locked: SimulatedTrial,
) -> None:
    data = analysis_dataset(locked.uow, UNBLINDED_STATISTICIAN, PROTOCOL, by_arm=True)
    with locked.uow as u:
        expected = {pid: u.allocation.slot_of(pid).arm_code for pid in locked.phase2}
    assert {p.participant_id: p.group_id for p in data.participants if p.phase == 2} == expected
    assert [g.group_id for g in data.groups if g.phase == 2] == ["p2_quarter_mtd", "p2_mtd", "p2_control"]
    doses = {g.group_id: g.dose_particles for g in data.groups}
    # MTD L2 = 8.0e8 particles (3+3 with 2/3 DLTs at L3); quarter-MTD 2.0e8 (clinical-examples.md X02)
    assert doses["p2_mtd"] == 800_000_000 and doses["p2_quarter_mtd"] == 200_000_000 and doses["p2_control"] == 0
    assert data.group("p2_control").is_control


def test_screening_counts_follow_the_log(locked: SimulatedTrial) -> None:
    data = analysis_dataset(locked.uow, STATISTICIAN, PROTOCOL)
    counts = consort_counts(locked.uow, STATISTICIAN)
    s = data.screening
    assert s.assessed == counts.assessed and s.ineligible == counts.excluded
    assert s.incomplete == counts.incomplete_screening and s.enrolled == counts.enrolled
    assert s.assessed == s.ineligible + s.incomplete + s.eligible
    assert s.eligible == s.enrolled + sum(s.eligible_not_enrolled.values())
    assert dict(s.exclusion_reasons) == counts.exclusion_reasons
    assert all(s.criterion_text[c] for c in s.exclusion_reasons)


def test_deaths_fall_on_their_study_day_and_vfd_is_zero_for_them(locked: SimulatedTrial) -> None:
    data = analysis_dataset(locked.uow, STATISTICIAN, PROTOCOL)
    for p in data.participants:
        if p.participant_id in locked.died:
            assert p.death_day is not None and 9 <= p.death_day <= 21
            assert p.vfd is not None and p.vfd.value == 0  # Schoenfeld & Bernard 2002: death by Day 28 -> 0
        elif p.participant_id in locked.completed:
            assert p.death_day is None and p.last_known_alive_day is not None and p.last_known_alive_day >= 28
    assert sum(1 for p in data.participants if p.state == ParticipantState.DIED.value) == len(locked.died)


def test_a_participant_without_a_day_7_gas_has_no_day_7_value_and_is_not_dropped(locked: SimulatedTrial) -> None:
    data = analysis_dataset(locked.uow, STATISTICIAN, PROTOCOL)
    missing = [p for p in data.participants if p.phase == 2 and p.doses_received and 7 not in p.pf_by_day]
    assert missing and all(p.baseline_pf is not None for p in missing)


def test_adverse_events_carry_their_system_organ_class_and_study_day(locked: SimulatedTrial) -> None:
    data = analysis_dataset(locked.uow, STATISTICIAN, PROTOCOL)
    assert len(data.adverse_events) == locked.adverse_events
    for event in data.adverse_events:
        assert event.system_organ_class == system_organ_class(event.term)
        assert event.study_day is not None and event.study_day >= 1
    assert system_organ_class("hypoxia") == "Respiratory, thoracic and mediastinal disorders"
    assert system_organ_class("Mystery rash") == NOT_CODED


def test_dlts_and_cohorts_follow_the_adjudications(locked: SimulatedTrial) -> None:
    data = analysis_dataset(locked.uow, STATISTICIAN, PROTOCOL)
    assert [(c.dose_level_index, c.participants, c.dlts) for c in data.cohorts] == [(1, 3, 0), (2, 3, 0), (3, 3, 2)]
    high = data.members("p1_high")
    assert sum(1 for p in high if p.dlt) == 2 and all(p.dlt_evaluable for p in high)


def test_a_site_bound_role_sees_only_its_sites() -> None:
    sim = simulate_trial(phase2_size=3, seed=5, lock=False)
    other = make_actor(Role.COORDINATOR, SiteId("S09"))
    data = analysis_dataset(sim.uow, other, PROTOCOL)
    assert data.participants == () and data.screening.assessed == 0
