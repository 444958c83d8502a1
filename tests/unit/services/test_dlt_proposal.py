"""The DLT proposal from recorded adverse events: relatedness counts only once an investigator has assessed it
(clinical.md 3.9: with relatedness not yet assessed an event meeting a clause is proposed, pending), and the
check order of cohort assignment (role and site before the trial's state)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from mexards.domain.errors import ConflictError, NotFoundError, ValidationError
from mexards.domain.identifier import ParticipantId
from mexards.domain.role import Role
from mexards.domain.trial import TrialAction
from mexards.services import escalation, safety, trial
from mexards.services.escalation import recorded_dlt_facts
from tests.unit.services.conftest import (
    ADMIN,
    COORDINATOR,
    INVESTIGATOR,
    OTHER_SITE,
    PROTOCOL,
    STATISTICIAN,
    TrialSteps,
    make_actor,
)

OTHER_INVESTIGATOR = make_actor(Role.INVESTIGATOR, OTHER_SITE, user="investigator-2")


def _dosed_in_cohort(steps: TrialSteps) -> ParticipantId:
    cohort = escalation.open_cohort(steps.uow, INVESTIGATOR, PROTOCOL)
    pid = steps.enrolled()
    escalation.assign_to_cohort(steps.uow, INVESTIGATOR, PROTOCOL, pid, cohort.cohort_number)
    steps.dose_all_days(pid)
    return pid


def _first_dose(steps: TrialSteps, pid: ParticipantId) -> datetime:
    with steps.uow:
        first = steps.uow.participants.get(pid).first_dose_at
    assert first is not None
    return first


def _grade3_on_day2(steps: TrialSteps, pid: ParticipantId, **relatedness: str) -> str:
    onset = _first_dose(steps, pid) + timedelta(days=1, minutes=30)
    event = safety.record_adverse_event(
        steps.uow,
        INVESTIGATOR if relatedness else COORDINATOR,
        pid,
        term="Hypotension",
        ctcae_grade=3,
        onset_at=onset,
        investigator_aware_at=onset + timedelta(hours=1),
        expectedness="unexpected",
        **relatedness,  # type: ignore[arg-type]
    )
    return event.adverse_event_id


def test_a_recorded_grade_3_event_with_unassessed_relatedness_is_proposed_pending_assessment(
    steps: TrialSteps,
) -> None:
    pid = _dosed_in_cohort(steps)
    ae_id = _grade3_on_day2(steps, pid)
    proposal = escalation.propose_participant_dlt(steps.uow, COORDINATOR, PROTOCOL, pid)
    assert proposal.proposed_is_dlt
    assert "2: CTCAE grade 3" in proposal.rule and "relatedness not yet assessed" in proposal.rule
    assert proposal.adverse_event_ids == (ae_id,)


def test_once_assessed_as_unrelated_the_same_event_is_not_proposed(steps: TrialSteps) -> None:
    pid = _dosed_in_cohort(steps)
    ae_id = _grade3_on_day2(steps, pid)
    safety.assess_relatedness(steps.uow, INVESTIGATOR, ae_id, "not_related")
    proposal = escalation.propose_participant_dlt(steps.uow, STATISTICIAN, PROTOCOL, pid, [], [ae_id])
    assert not proposal.proposed_is_dlt and "relatedness is 'not_related'" in proposal.rule


def test_an_assessed_related_event_is_proposed_without_anything_pending(steps: TrialSteps) -> None:
    pid = _dosed_in_cohort(steps)
    _grade3_on_day2(steps, pid, relatedness="possible")
    proposal = escalation.propose_participant_dlt(steps.uow, COORDINATOR, PROTOCOL, pid)
    assert proposal.proposed_is_dlt and "pending" not in proposal.rule


def test_the_record_overrides_a_callers_relatedness_for_a_recorded_event(steps: TrialSteps) -> None:
    pid = _dosed_in_cohort(steps)
    ae_id = _grade3_on_day2(steps, pid)
    claimed = [{"study_day": 2, "relatedness": "not_related", "ctcae_grade": 1}]
    proposal = escalation.propose_participant_dlt(steps.uow, COORDINATOR, PROTOCOL, pid, claimed, [ae_id])
    assert proposal.proposed_is_dlt and "relatedness not yet assessed" in proposal.rule


def test_paired_facts_add_what_the_record_does_not_hold(steps: TrialSteps) -> None:
    pid = _dosed_in_cohort(steps)
    onset = _first_dose(steps, pid) + timedelta(hours=1)
    event = safety.record_adverse_event(
        steps.uow,
        INVESTIGATOR,
        pid,
        term="Hypoxia",
        ctcae_grade=2,
        onset_at=onset,
        investigator_aware_at=onset,
        relatedness="probable",
        expectedness="unexpected",
    )
    extra = [{"study_day": 1, "ventilated": True, "fio2_increase": "0.3", "peep_increase_cmh2o": 6}]
    proposal = escalation.propose_participant_dlt(
        steps.uow, INVESTIGATOR, PROTOCOL, pid, extra, [event.adverse_event_id]
    )
    assert proposal.proposed_is_dlt and "1a: FiO2 up" in proposal.rule


def test_adverse_event_ids_must_be_the_participants_and_pair_with_the_facts(steps: TrialSteps) -> None:
    pid = _dosed_in_cohort(steps)
    ae_id = _grade3_on_day2(steps, pid)
    with pytest.raises(ValidationError) as refused:
        escalation.propose_participant_dlt(steps.uow, COORDINATOR, PROTOCOL, pid, [], ["AE-unknown"])
    assert refused.value.field == "adverse_event_ids[0]"
    with pytest.raises(ValidationError) as refused:
        escalation.propose_participant_dlt(
            steps.uow, COORDINATOR, PROTOCOL, pid, [{"study_day": 2}] * 2, [ae_id]
        )
    assert refused.value.field == "events"


def test_recorded_facts_use_the_study_day_and_the_hours_since_the_latest_dose(steps: TrialSteps) -> None:
    pid = _dosed_in_cohort(steps)
    first = _first_dose(steps, pid)
    onset = first + timedelta(days=2, hours=3)
    recorded = safety.record_adverse_event(
        steps.uow,
        COORDINATOR,
        pid,
        term="Fever",
        ctcae_grade=2,
        onset_at=onset,
        investigator_aware_at=onset,
        expectedness="expected",
    )
    with steps.uow:
        doses = [a.started_at for a in steps.uow.administrations.list(pid) if a.started_at is not None]
    facts = recorded_dlt_facts(recorded, first, doses)
    latest = max(t for t in doses if t <= onset)
    assert facts["study_day"] == (onset.date() - first.date()).days + 1
    assert float(facts["hours_after_dose"]) == pytest.approx(
        (onset - latest).total_seconds() / 3600, abs=0.01
    )  # type: ignore[arg-type]
    assert facts["relatedness"] is None and facts["ctcae_grade"] == 2 and facts["serious"] is False


def test_assigning_another_sites_participant_is_not_found_even_when_the_state_forbids_it(
    steps: TrialSteps,
) -> None:
    cohort = escalation.open_cohort(steps.uow, INVESTIGATOR, PROTOCOL)
    pid = steps.enrolled()
    trial.change_trial_status(steps.uow, ADMIN, TrialAction.TERMINATE)
    trial.lock_database(steps.uow, ADMIN)
    with pytest.raises(NotFoundError):
        escalation.assign_to_cohort(steps.uow, OTHER_INVESTIGATOR, PROTOCOL, pid, cohort.cohort_number)
    with pytest.raises(ConflictError):
        escalation.assign_to_cohort(steps.uow, INVESTIGATOR, PROTOCOL, pid, cohort.cohort_number)
