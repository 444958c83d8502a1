"""A participant's whole path through the services use cases, on a real SQLite file and on PostgreSQL.

Issue acceptance: one participant is driven through every state; invalid transitions are refused and write
nothing (neither data nor audit entries); every step leaves its audit entries and the trail verifies.
States and transitions are the domain's table (``mexards.domain.participant``).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from mexards.domain.errors import InvalidTransitionError
from mexards.domain.identifier import ParticipantId
from mexards.domain.participant import ParticipantState
from mexards.persistence.audit import AuditRow, audit_count, verify_audit
from mexards.persistence.database import Database
from mexards.services import allocation, escalation, participant, treatment, trial
from tests.integration.trial_setup import (
    ADMIN,
    COORDINATOR,
    INVESTIGATOR,
    SITE,
    UNBLINDED_STATISTICIAN,
    SteppingClock,
    enrolled_participants,
    mexards_protocol,
    open_database,
    phase2_trial,
    reference_patient,
    uow,
)

S = ParticipantState


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    database = open_database(db_url)
    yield database
    database.dispose()


def _state(db: Database, clock: SteppingClock, pid: ParticipantId) -> ParticipantState:
    with uow(db, clock) as u:
        return u.participants.get(pid).state


def _started_phase1(db: Database, clock: SteppingClock) -> None:
    protocol = mexards_protocol()
    trial.start_trial(uow(db, clock), ADMIN, protocol, "1.0")
    trial.change_trial_status(uow(db, clock), ADMIN, "open_recruitment")


def _screened_and_enrolled(db: Database, clock: SteppingClock, pid: ParticipantId) -> list[ParticipantState]:
    protocol = mexards_protocol()
    seen = []
    entry = participant.screen_patient(uow(db, clock), COORDINATOR, protocol, pid, SITE, reference_patient())
    assert entry.verdict == "ELIGIBLE"
    seen.append(_state(db, clock, pid))
    participant.record_consent(
        uow(db, clock), COORDINATOR, pid, "legally_authorised_representative", "v1.0", clock.now(), "wife"
    )
    seen.append(_state(db, clock, pid))
    participant.enrol_participant(uow(db, clock), COORDINATOR, pid)
    seen.append(_state(db, clock, pid))
    return seen


def _dose_seven_days(db: Database, clock: SteppingClock, pid: ParticipantId) -> None:
    first = clock.now() + timedelta(hours=1)
    for day in range(1, 8):
        at = first + timedelta(days=day - 1)
        clock.move_to(at)
        treatment.administer_dose(
            uow(db, clock), COORDINATOR, pid, day, started_at=at, ended_at=at + timedelta(minutes=20),
            volume_ml="3.0", device="vibrating mesh", spo2_pre_percent=94, spo2_post_percent=95,
            tolerance="tolerated",
        )  # fmt: skip


def test_a_phase1_participant_goes_from_screening_to_completion_with_every_step_audited(db: Database) -> None:
    clock = SteppingClock()
    protocol = mexards_protocol()
    _started_phase1(db, clock)
    pid = ParticipantId("MX-001")
    seen = _screened_and_enrolled(db, clock, pid)
    cohort = escalation.open_cohort(uow(db, clock), INVESTIGATOR, protocol)
    escalation.assign_to_cohort(uow(db, clock), INVESTIGATOR, protocol, pid, cohort.cohort_number)
    seen.append(_state(db, clock, pid))
    _dose_seven_days(db, clock, pid)
    seen.append(_state(db, clock, pid))
    participant.start_follow_up(uow(db, clock), COORDINATOR, pid)
    seen.append(_state(db, clock, pid))
    clock.move_to(clock.now() + timedelta(days=21))
    participant.complete_participant(uow(db, clock), COORDINATOR, pid)
    seen.append(_state(db, clock, pid))
    assert seen == [S.ELIGIBLE, S.CONSENTED, S.ENROLLED, S.PHASE1_ASSIGNED, S.DOSING, S.FOLLOW_UP, S.COMPLETED]
    with db.sessions() as s:
        assert verify_audit(s) == []
        actions = s.scalars(select(AuditRow.action).where(AuditRow.entity_id == pid.value)).all()
    for event in ("ParticipantScreened", "ParticipantConsented", "ParticipantEnrolled", "ParticipantAssignedToCohort",
                  "DoseAdministered", "FollowUpStarted", "ParticipantCompleted"):  # fmt: skip
        assert event in actions
    assert actions.count("DoseAdministered") == 7


def test_a_phase2_participant_is_randomized_dosed_and_followed_up(db: Database) -> None:
    clock = SteppingClock()
    protocol = mexards_protocol()
    phase2_trial(db, clock)
    allocation.generate_allocation_list(uow(db, clock), UNBLINDED_STATISTICIAN, protocol, 6, seed=20250301)
    [pid] = enrolled_participants(db, clock, 1, ("MODERATE",))
    result = allocation.randomize_participant(uow(db, clock), COORDINATOR, pid)
    assert _state(db, clock, pid) is S.RANDOMIZED
    assert result.stratum == "berlin_severity=MODERATE" and not hasattr(result, "arm_code")
    _dose_seven_days(db, clock, pid)
    with uow(db, clock) as u:
        given = u.administrations.list(pid)
    assert [a.kit_code for a in given] == [result.kit_code] * 7 and all(a.dose_particles is None for a in given)
    participant.start_follow_up(uow(db, clock), COORDINATOR, pid)
    participant.lose_to_follow_up(uow(db, clock), COORDINATOR, pid)
    assert _state(db, clock, pid) is S.LOST_TO_FOLLOW_UP
    with db.sessions() as s:
        assert verify_audit(s) == []


def test_screen_failure_withdrawal_and_death_end_in_their_states(db: Database) -> None:
    clock = SteppingClock()
    protocol = mexards_protocol()
    _started_phase1(db, clock)
    ineligible = ParticipantId("MX-002")
    record = reference_patient()
    record["oxygenation"] = {**record["oxygenation"], "pao2_mmhg": 290, "fio2_fraction": 0.5}
    entry = participant.screen_patient(uow(db, clock), COORDINATOR, protocol, ineligible, SITE, record)
    assert entry.verdict == "INELIGIBLE" and entry.reasons
    assert _state(db, clock, ineligible) is S.INELIGIBLE
    with uow(db, clock) as u:
        assert u.screening_log.find(ineligible) is not None
    withdrawn, died = ParticipantId("MX-003"), ParticipantId("MX-004")
    _screened_and_enrolled(db, clock, withdrawn)
    participant.withdraw_participant(uow(db, clock), COORDINATOR, withdrawn, "consent withdrawn by the family")
    _screened_and_enrolled(db, clock, died)
    participant.record_death(uow(db, clock), COORDINATOR, died, date(2025, 3, 1))
    assert _state(db, clock, withdrawn) is S.WITHDRAWN
    assert _state(db, clock, died) is S.DIED
    with db.sessions() as s:
        reasons = s.scalars(
            select(AuditRow.reason).where(AuditRow.entity == "participant", AuditRow.entity_id == withdrawn.value,
                                          AuditRow.action == "update")
        ).all()  # fmt: skip
    assert "consent withdrawn by the family" in reasons


@pytest.mark.parametrize(
    "step",
    ["enrol_before_consent", "complete_before_follow_up", "dose_before_assignment", "consent_twice"],
)
def test_an_invalid_transition_is_refused_and_writes_nothing(db: Database, step: str) -> None:
    clock = SteppingClock()
    protocol = mexards_protocol()
    _started_phase1(db, clock)
    pid = ParticipantId("MX-001")
    participant.screen_patient(uow(db, clock), COORDINATOR, protocol, pid, SITE, reference_patient())
    if step != "enrol_before_consent":
        participant.record_consent(uow(db, clock), COORDINATOR, pid, "subject", "v1.0", clock.now())
    with db.sessions() as s:
        before_audit = audit_count(s)
    before_state = _state(db, clock, pid)
    actions = {
        "enrol_before_consent": lambda: participant.enrol_participant(uow(db, clock), COORDINATOR, pid),
        "complete_before_follow_up": lambda: participant.complete_participant(uow(db, clock), COORDINATOR, pid),
        "dose_before_assignment": lambda: treatment.administer_dose(
            uow(db, clock),
            COORDINATOR,
            pid,
            1,
            started_at=clock.now(),
            volume_ml="3",
            device="mesh",
            spo2_pre_percent=95,
            spo2_post_percent=95,
            tolerance="tolerated",
        ),
        "consent_twice": lambda: participant.record_consent(
            uow(db, clock), COORDINATOR, pid, "subject", "v1.0", clock.now()
        ),
    }
    with pytest.raises(InvalidTransitionError):
        actions[step]()
    with db.sessions() as s:
        assert audit_count(s) == before_audit
        assert verify_audit(s) == []
    assert _state(db, clock, pid) is before_state
