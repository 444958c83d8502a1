"""Phase 1: cohorts at the design's dose, the DLT window, overrides, DLT adjudication, MTD signatures."""

from __future__ import annotations

import pytest

from mexards.domain.errors import ConflictError, PermissionDeniedError, ValidationError
from mexards.domain.signature import SignatureMeaning
from mexards.domain.trial import TrialPhase
from mexards.services import escalation, mtd
from mexards.services.port import Reauthentication
from mexards.services.read_model import escalation_board
from tests.unit.services.conftest import (
    COORDINATOR,
    INVESTIGATOR,
    MONITOR,
    PI,
    PROTOCOL,
    STATISTICIAN,
    TrialSteps,
    reauth,
)


def test_the_first_cohort_opens_at_the_protocol_start_level_and_the_decision_is_recorded(steps: TrialSteps) -> None:
    cohort = escalation.open_cohort(steps.uow, INVESTIGATOR, PROTOCOL)
    assert cohort.cohort_number == 1 and cohort.dose_level.dose_particles == 200_000_000
    with steps.uow:
        (decision,) = steps.uow.dose_decisions.list()
    assert decision.recommended_dose_index == 1 and not decision.overrides_recommendation


def test_a_coordinator_may_not_open_a_cohort(steps: TrialSteps) -> None:
    with pytest.raises(PermissionDeniedError):
        escalation.open_cohort(steps.uow, COORDINATOR, PROTOCOL)


def test_the_next_cohort_waits_for_the_dlt_window_and_the_review(steps: TrialSteps) -> None:
    cohort = escalation.open_cohort(steps.uow, INVESTIGATOR, PROTOCOL)
    with pytest.raises(ConflictError, match="still open"):
        escalation.open_cohort(steps.uow, INVESTIGATOR, PROTOCOL)
    pid = steps.enrolled()
    escalation.assign_to_cohort(steps.uow, INVESTIGATOR, PROTOCOL, pid, cohort.cohort_number)
    steps.dose_all_days(pid)
    closed = escalation.close_cohort(steps.uow, INVESTIGATOR, PROTOCOL, cohort.cohort_number)
    assert closed.dlt_window_ends_at is not None
    with pytest.raises(ConflictError, match="DLT window"):
        escalation.open_cohort(steps.uow, INVESTIGATOR, PROTOCOL)
    adjudication = escalation.propose_participant_dlt(steps.uow, INVESTIGATOR, PROTOCOL, pid, [])
    escalation.adjudicate_dlt(steps.uow, INVESTIGATOR, adjudication.adjudication_id, is_dlt=False, evaluable=True)
    with pytest.raises(ValidationError, match="DLT window"):
        escalation.review_cohort(steps.uow, INVESTIGATOR, cohort.cohort_number)
    steps.clock.advance(days=2)
    escalation.review_cohort(steps.uow, INVESTIGATOR, cohort.cohort_number)
    recommendation = escalation.recommend_next_dose(steps.uow, COORDINATOR, PROTOCOL)
    second = escalation.open_cohort(steps.uow, INVESTIGATOR, PROTOCOL)
    assert second.dose_level == recommendation.dose_level
    assert second.dose_level.index == 1, "3+3 stays at a level until 3 participants are evaluated there"


def test_a_dose_other_than_the_recommendation_needs_a_reason_which_is_recorded(steps: TrialSteps) -> None:
    with pytest.raises(ValidationError) as error:
        escalation.open_cohort(steps.uow, INVESTIGATOR, PROTOCOL, dose_level_index=2)
    assert error.value.field == "override_reason"
    escalation.open_cohort(steps.uow, INVESTIGATOR, PROTOCOL, dose_level_index=2,
                           override_reason="safety committee asked to start higher")
    with steps.uow:
        (decision,) = steps.uow.dose_decisions.list()
        assert steps.uow.store.transactions[-1].reason == "safety committee asked to start higher"
    assert decision.overrides_recommendation and decision.override_reason


def test_the_dlt_rule_proposes_and_an_investigator_confirms_or_overrides_with_a_reason(steps: TrialSteps) -> None:
    cohort = escalation.open_cohort(steps.uow, INVESTIGATOR, PROTOCOL)
    pid = steps.enrolled()
    escalation.assign_to_cohort(steps.uow, INVESTIGATOR, PROTOCOL, pid, cohort.cohort_number)
    facts = [{"study_day": 2, "relatedness": "probable", "ctcae_grade": 3}]
    adjudication = escalation.propose_participant_dlt(steps.uow, INVESTIGATOR, PROTOCOL, pid, facts)
    assert adjudication.proposed_is_dlt and "2: CTCAE grade 3" in adjudication.rule
    with pytest.raises(PermissionDeniedError):
        escalation.adjudicate_dlt(steps.uow, COORDINATOR, adjudication.adjudication_id, is_dlt=True, evaluable=True)
    with pytest.raises(ValidationError) as error:
        escalation.adjudicate_dlt(steps.uow, INVESTIGATOR, adjudication.adjudication_id, is_dlt=False,
                                  evaluable=True)
    assert error.value.field == "override_reason"
    confirmed = escalation.adjudicate_dlt(steps.uow, INVESTIGATOR, adjudication.adjudication_id, is_dlt=False,
                                          evaluable=True, override_reason="event due to the underlying sepsis")
    assert confirmed.is_dlt is False and confirmed.override_reason


def test_an_event_outside_the_protocol_dlt_window_is_not_proposed(steps: TrialSteps) -> None:
    cohort = escalation.open_cohort(steps.uow, INVESTIGATOR, PROTOCOL)
    pid = steps.enrolled()
    escalation.assign_to_cohort(steps.uow, INVESTIGATOR, PROTOCOL, pid, cohort.cohort_number)
    late = [{"study_day": 9, "relatedness": "definite", "ctcae_grade": 4}]
    adjudication = escalation.propose_participant_dlt(steps.uow, INVESTIGATOR, PROTOCOL, pid, late)
    assert adjudication.proposed_is_dlt is False


def test_the_escalation_board_follows_the_3_plus_3_design(steps: TrialSteps) -> None:
    steps.cohort()
    board = escalation_board(steps.uow, MONITOR, PROTOCOL)
    assert [(row.participants, row.dlts) for row in board.levels] == [(3, 0), (0, 0), (0, 0)]
    assert board.recommended_dose is not None and board.recommended_dose.index == 2
    assert "escalate" in board.reason
    steps.cohort()
    steps.cohort(dlts=2)
    board = escalation_board(steps.uow, MONITOR, PROTOCOL)
    assert not board.should_continue and board.mtd is not None and board.mtd.index == 2
    with pytest.raises(ConflictError, match="stopped"):
        escalation.open_cohort(steps.uow, INVESTIGATOR, PROTOCOL)


def test_the_mtd_is_declared_by_the_statistician_and_approved_by_the_pi_then_phase2_starts(steps: TrialSteps) -> None:
    steps.cohort()
    steps.cohort()
    steps.cohort(dlts=2)
    with pytest.raises(PermissionDeniedError, match="re-authentication"):
        mtd.declare_mtd(steps.uow, STATISTICIAN, PROTOCOL, rationale="3+3 done", printed_name="S",
                        reauthentication=Reauthentication(STATISTICIAN.user_id, False, steps.clock.now()))
    with pytest.raises(PermissionDeniedError):
        mtd.declare_mtd(steps.uow, PI, PROTOCOL, rationale="3+3 done", printed_name="P",
                        reauthentication=reauth(PI, steps.clock))
    declaration = mtd.declare_mtd(steps.uow, STATISTICIAN, PROTOCOL, rationale="3+3 done",
                                  printed_name="Stat Istician", reauthentication=reauth(STATISTICIAN, steps.clock))
    assert declaration.mtd is not None and declaration.mtd.dose_particles == 800_000_000
    assert [e.evaluable_participants for e in declaration.evidence] == [3, 3, 3]
    with pytest.raises(PermissionDeniedError, match="acting user"):
        mtd.approve_mtd(steps.uow, PI, declaration.declaration_id, printed_name="P",
                        reauthentication=reauth(STATISTICIAN, steps.clock))
    approved = mtd.approve_mtd(steps.uow, PI, declaration.declaration_id, printed_name="Prin Cipal",
                               reauthentication=reauth(PI, steps.clock))
    assert {s.meaning for s in approved.signatures} == {SignatureMeaning.AUTHORSHIP, SignatureMeaning.APPROVAL}
    assert all(s.verifies(approved.content()) for s in approved.signatures)
    assert approved.quarter_mtd_dose_particles == 200_000_000
    with steps.uow:
        current = steps.uow.trial.get()
    assert current.phase is TrialPhase.PHASE2 and current.mtd_dose_particles == 800_000_000
    with pytest.raises(ConflictError):
        escalation.open_cohort(steps.uow, INVESTIGATOR, PROTOCOL)


def test_the_mtd_cannot_be_declared_while_the_design_would_continue(steps: TrialSteps) -> None:
    steps.cohort()
    with pytest.raises(ConflictError, match="not finished"):
        mtd.declare_mtd(steps.uow, STATISTICIAN, PROTOCOL, rationale="early", printed_name="S",
                        reauthentication=reauth(STATISTICIAN, steps.clock))


def test_a_stale_reauthentication_is_refused(steps: TrialSteps) -> None:
    steps.cohort()
    stale = reauth(STATISTICIAN, steps.clock)
    steps.clock.advance(minutes=6)
    with pytest.raises(PermissionDeniedError, match="expired"):
        mtd.declare_mtd(steps.uow, STATISTICIAN, PROTOCOL, rationale="x", printed_name="S", reauthentication=stale)
