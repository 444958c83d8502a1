"""Screening, consent, enrolment and the end of participation, through the use cases (fake unit of work)."""

from __future__ import annotations

from datetime import date

import pytest

from mexards.domain.errors import (
    ConflictError,
    InvalidTransitionError,
    NotFoundError,
    PermissionDeniedError,
    ValidationError,
)
from mexards.domain.identifier import ParticipantId
from mexards.domain.participant import ConsentSigner, ParticipantState
from mexards.domain.trial import TrialAction
from mexards.services import escalation, participant, trial
from mexards.services.read_model import consort_counts, screening_log
from tests.unit.services.conftest import (
    ADMIN,
    COORDINATOR,
    INVESTIGATOR,
    MONITOR,
    OTHER_COORDINATOR,
    OTHER_SITE,
    PROTOCOL,
    SITE,
    STATISTICIAN,
    TrialSteps,
    eligible_record,
)
from tests.unit.services.fake import FakeUnitOfWork

P1 = ParticipantId("P901")


def _state(uow: FakeUnitOfWork, pid: ParticipantId) -> ParticipantState:
    with uow:
        return uow.participants.get(pid).state


def test_an_eligible_patient_is_logged_with_every_criterion_and_becomes_eligible(steps: TrialSteps) -> None:
    entry = participant.screen_patient(steps.uow, COORDINATOR, PROTOCOL, P1, SITE, eligible_record())
    assert entry.verdict == "ELIGIBLE"
    assert len(entry.criteria) == len(PROTOCOL.eligibility.all())
    assert entry.stratification == {"berlin_severity": "MODERATE"}
    assert _state(steps.uow, P1) is ParticipantState.ELIGIBLE


def test_an_ineligible_patient_is_kept_in_the_screening_log_with_all_failing_reasons(steps: TrialSteps) -> None:
    record = eligible_record(date_of_birth="1940-01-01", **{"treatment.dialysis": True})
    entry = participant.screen_patient(steps.uow, COORDINATOR, PROTOCOL, P1, SITE, record)
    assert entry.verdict == "INELIGIBLE"
    failing = [c.criterion_id for c in entry.failing]
    assert "I2" in failing and len(failing) >= 2
    assert all(reason.split(":")[0] in failing for reason in entry.reasons)
    assert _state(steps.uow, P1) is ParticipantState.INELIGIBLE
    log = screening_log(steps.uow, MONITOR)
    assert [e.participant_id for e in log] == [P1]
    counts = consort_counts(steps.uow, STATISTICIAN)
    assert counts.assessed == 1 and counts.excluded == 1 and counts.exclusion_reasons["I2"] == 1


def test_an_incomplete_screening_leaves_the_patient_screened_and_can_be_repeated(steps: TrialSteps) -> None:
    incomplete = eligible_record(**{"oxygenation.pao2_mmhg": None})
    first = participant.screen_patient(steps.uow, COORDINATOR, PROTOCOL, P1, SITE, incomplete)
    assert first.verdict == "INCOMPLETE"
    assert _state(steps.uow, P1) is ParticipantState.SCREENED
    second = participant.screen_patient(steps.uow, COORDINATOR, PROTOCOL, P1, SITE, eligible_record())
    assert second.verdict == "ELIGIBLE"
    with pytest.raises(ConflictError):
        participant.screen_patient(steps.uow, COORDINATOR, PROTOCOL, P1, SITE, eligible_record())


def test_consent_by_a_representative_needs_the_relationship(steps: TrialSteps) -> None:
    participant.screen_patient(steps.uow, COORDINATOR, PROTOCOL, P1, SITE, eligible_record())
    with pytest.raises(ValidationError) as error:
        participant.record_consent(steps.uow, COORDINATOR, P1, ConsentSigner.LEGALLY_AUTHORISED_REPRESENTATIVE,
                                   "v2.0", steps.clock.now())
    assert error.value.field == "consent.representative_relationship"
    done = participant.record_consent(steps.uow, COORDINATOR, P1, "legally_authorised_representative", "v2.0",
                                      steps.clock.now(), "wife")
    assert done.consent is not None and done.consent.representative_relationship == "wife"


def test_enrolment_before_consent_is_an_invalid_transition(steps: TrialSteps) -> None:
    participant.screen_patient(steps.uow, COORDINATOR, PROTOCOL, P1, SITE, eligible_record())
    with pytest.raises(InvalidTransitionError):
        participant.enrol_participant(steps.uow, COORDINATOR, P1)
    assert _state(steps.uow, P1) is ParticipantState.ELIGIBLE


def test_a_monitor_may_not_screen_and_a_coordinator_may_not_screen_at_another_site(steps: TrialSteps) -> None:
    with pytest.raises(PermissionDeniedError):
        participant.screen_patient(steps.uow, MONITOR, PROTOCOL, P1, SITE, eligible_record())
    with pytest.raises(PermissionDeniedError):
        participant.screen_patient(steps.uow, COORDINATOR, PROTOCOL, P1, OTHER_SITE, eligible_record())


def test_another_sites_participant_is_not_found_and_not_counted(steps: TrialSteps) -> None:
    pid = steps.enrolled()
    with pytest.raises(NotFoundError):
        participant.withdraw_participant(steps.uow, OTHER_COORDINATOR, pid, "moved away")
    counts = consort_counts(steps.uow, OTHER_COORDINATOR)
    assert counts.assessed == 0 and counts.enrolled == 0
    assert consort_counts(steps.uow, COORDINATOR).enrolled == 1


def test_one_participant_is_driven_through_every_phase1_state_to_completion(steps: TrialSteps) -> None:
    seen = []
    participant.screen_patient(steps.uow, COORDINATOR, PROTOCOL, P1, SITE, eligible_record())
    seen.append(_state(steps.uow, P1))
    participant.record_consent(steps.uow, COORDINATOR, P1, "subject", "v2.0", steps.clock.now())
    seen.append(_state(steps.uow, P1))
    participant.enrol_participant(steps.uow, COORDINATOR, P1)
    seen.append(_state(steps.uow, P1))
    cohort = escalation.open_cohort(steps.uow, INVESTIGATOR, PROTOCOL)
    escalation.assign_to_cohort(steps.uow, INVESTIGATOR, PROTOCOL, P1, cohort.cohort_number)
    seen.append(_state(steps.uow, P1))
    steps.dose_all_days(P1)
    seen.append(_state(steps.uow, P1))
    participant.start_follow_up(steps.uow, COORDINATOR, P1)
    seen.append(_state(steps.uow, P1))
    participant.complete_participant(steps.uow, COORDINATOR, P1)
    seen.append(_state(steps.uow, P1))
    S = ParticipantState
    assert seen == [S.ELIGIBLE, S.CONSENTED, S.ENROLLED, S.PHASE1_ASSIGNED, S.DOSING, S.FOLLOW_UP, S.COMPLETED]
    with pytest.raises(InvalidTransitionError):
        participant.withdraw_participant(steps.uow, COORDINATOR, P1, "too late")


@pytest.mark.parametrize(
    ("end", "state"),
    [("withdraw", ParticipantState.WITHDRAWN), ("death", ParticipantState.DIED),
     ("lost", ParticipantState.LOST_TO_FOLLOW_UP)],
)
def test_participation_ends_by_withdrawal_death_or_loss(steps: TrialSteps, end: str, state: ParticipantState) -> None:
    pid = steps.enrolled()
    if end == "withdraw":
        done = participant.withdraw_participant(steps.uow, COORDINATOR, pid, "consent withdrawn by the wife")
        assert done.end_reason == "consent withdrawn by the wife"
    elif end == "death":
        participant.record_death(steps.uow, INVESTIGATOR, pid, date(2025, 3, 1))
    else:
        participant.lose_to_follow_up(steps.uow, COORDINATOR, pid)
    assert _state(steps.uow, pid) is state


def test_a_withdrawal_without_a_reason_is_refused_naming_the_field(steps: TrialSteps) -> None:
    pid = steps.enrolled()
    with pytest.raises(ValidationError) as error:
        participant.withdraw_participant(steps.uow, COORDINATOR, pid, "  ")
    assert error.value.field == "reason"


def test_a_locked_database_refuses_every_data_change(steps: TrialSteps) -> None:
    pid = steps.enrolled()
    for action in (TrialAction.OPEN_RECRUITMENT, TrialAction.CLOSE_RECRUITMENT):
        trial.change_trial_status(steps.uow, ADMIN, action)
    trial.lock_database(steps.uow, ADMIN)
    with pytest.raises(ConflictError, match="locked"):
        participant.withdraw_participant(steps.uow, COORDINATOR, pid, "after lock")
    with pytest.raises(PermissionDeniedError):
        trial.lock_database(steps.uow, COORDINATOR)
    trial.unlock_database(steps.uow, ADMIN, "late query resolution")
    participant.withdraw_participant(steps.uow, COORDINATOR, pid, "after unlock")
    assert _state(steps.uow, pid) is ParticipantState.WITHDRAWN


def test_the_trial_is_started_once(uow: FakeUnitOfWork) -> None:
    trial.start_trial(uow, ADMIN, PROTOCOL, "1.0")
    with pytest.raises(ConflictError):
        trial.start_trial(uow, ADMIN, PROTOCOL, "1.1")
    with pytest.raises(PermissionDeniedError):
        trial.start_trial(uow, COORDINATOR, PROTOCOL, "1.0")
