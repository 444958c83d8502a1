"""Adverse events, SAE clocks and notifications, the safety stopping alert, and data queries."""

from __future__ import annotations

from datetime import timedelta

import pytest

from mexards.domain.adverse_event import Relatedness
from mexards.domain.errors import (
    ConflictError,
    InvalidTransitionError,
    NotFoundError,
    PermissionDeniedError,
    ValidationError,
)
from mexards.domain.query import QueryState
from mexards.domain.reporting_clock import ReportKind
from mexards.domain.role import Role
from mexards.domain.trial import TrialAction
from mexards.services import query, safety, trial
from mexards.services.read_model import adverse_event_listing, overdue_sae_reports
from tests.unit.services.conftest import (
    ADMIN,
    COORDINATOR,
    INVESTIGATOR,
    MONITOR,
    OTHER_COORDINATOR,
    OTHER_SITE,
    TrialSteps,
    make_actor,
)

OTHER_INVESTIGATOR = make_actor(Role.INVESTIGATOR, OTHER_SITE, user="investigator-2")


def _sae(steps: TrialSteps, **changes: object):  # type: ignore[no-untyped-def]
    pid = steps.enrolled()
    now = steps.clock.advance(hours=3)
    arguments = dict(term="bronchospasm", ctcae_grade=3, onset_at=now - timedelta(hours=2),
                     investigator_aware_at=now - timedelta(hours=1), relatedness="possible",
                     expectedness="unexpected", seriousness=["hospitalisation"])
    arguments.update(changes)
    return safety.record_adverse_event(steps.uow, INVESTIGATOR, pid, **arguments)  # type: ignore[arg-type]


def test_a_serious_adverse_event_is_notified_and_its_24_hour_clock_runs(steps: TrialSteps) -> None:
    event = _sae(steps)
    with steps.uow:
        (note,) = steps.uow.notifications.list(event.participant_id)
    assert note.kind == "serious_adverse_event" and "principal_investigator" in note.recipient_roles
    assert overdue_sae_reports(steps.uow, MONITOR) == []
    later = steps.clock.now() + timedelta(hours=24)
    overdue = overdue_sae_reports(steps.uow, MONITOR, later)
    assert [(r.report, r.adverse_event_id) for r in overdue] == [(ReportKind.SPONSOR_NOTIFICATION,
                                                                   event.adverse_event_id)]
    safety.record_sae_report(steps.uow, INVESTIGATOR, event.adverse_event_id, "sponsor", steps.clock.now())
    remaining = overdue_sae_reports(steps.uow, MONITOR, steps.clock.now() + timedelta(days=16))
    assert [r.report for r in remaining] == [ReportKind.SUSAR_OTHER]


def test_a_related_fatal_event_raises_the_stopping_alert(steps: TrialSteps) -> None:
    event = _sae(steps, ctcae_grade=5, seriousness=["death"], relatedness="probable")
    with steps.uow:
        kinds = sorted(n.kind for n in steps.uow.notifications.list(event.participant_id))
    assert kinds == ["serious_adverse_event", "stopping_rule"]
    (row,) = adverse_event_listing(steps.uow, INVESTIGATOR)
    assert row.susar and row.ctcae_grade == 5


def test_relatedness_given_at_entry_is_an_investigators_judgement(steps: TrialSteps) -> None:
    pid = steps.enrolled()
    now = steps.clock.now()
    with pytest.raises(PermissionDeniedError):
        safety.record_adverse_event(steps.uow, COORDINATOR, pid, term="cough", ctcae_grade=1, onset_at=now,
                                    investigator_aware_at=now, relatedness="unlikely", expectedness="expected")


def test_another_sites_adverse_events_are_not_listed(steps: TrialSteps) -> None:
    _sae(steps)
    assert adverse_event_listing(steps.uow, OTHER_COORDINATOR) == []
    assert len(adverse_event_listing(steps.uow, ADMIN)) == 1


def test_a_query_is_opened_by_a_monitor_answered_by_the_site_and_closed(steps: TrialSteps) -> None:
    pid = steps.enrolled()
    opened = query.open_query(steps.uow, MONITOR, pid, "blood_gas.d1.pao2_mmhg", "Please confirm PaO2")
    with pytest.raises(PermissionDeniedError):
        query.close_query(steps.uow, COORDINATOR, opened.query_id)
    with pytest.raises(PermissionDeniedError):
        query.open_query(steps.uow, COORDINATOR, pid, "x", "self query")
    query.answer_query(steps.uow, COORDINATOR, opened.query_id, "Confirmed from the analyser print-out")
    reopened = query.reopen_query(steps.uow, MONITOR, opened.query_id, "print-out not attached")
    assert reopened.state is QueryState.OPEN
    query.answer_query(steps.uow, COORDINATOR, opened.query_id, "attached")
    closed = query.close_query(steps.uow, MONITOR, opened.query_id)
    assert closed.state is QueryState.CLOSED and len(closed.messages) == 5
    with pytest.raises(InvalidTransitionError):
        query.answer_query(steps.uow, COORDINATOR, opened.query_id, "again")


def _events(steps: TrialSteps, name: str) -> list[object]:
    return [e for t in steps.uow.store.transactions for e in t.events if type(e).__name__ == name]


def test_a_coordinator_records_an_adverse_event_whose_relatedness_is_not_yet_assessed(
    steps: TrialSteps,
) -> None:
    pid = steps.enrolled()
    now = steps.clock.advance(hours=2)
    event = safety.record_adverse_event(
        steps.uow, COORDINATOR, pid, term="Bronchospasm", ctcae_grade=3, onset_at=now - timedelta(hours=1),
        investigator_aware_at=now, expectedness="unexpected", seriousness=["hospitalisation"],
    )
    assert event.relatedness is Relatedness.NOT_ASSESSED and not event.relatedness.is_assessed
    (row,) = adverse_event_listing(steps.uow, INVESTIGATOR)
    assert row.relatedness == "not_assessed" and not row.relatedness_assessed and not row.susar
    with steps.uow:
        kinds = [n.kind for n in steps.uow.notifications.list(pid)]
    assert kinds == ["serious_adverse_event"]


def test_the_sponsor_clock_runs_from_awareness_whether_or_not_relatedness_is_assessed(
    steps: TrialSteps,
) -> None:
    pid = steps.enrolled()
    now = steps.clock.advance(hours=2)
    aware = now - timedelta(hours=1)
    event = safety.record_adverse_event(
        steps.uow, COORDINATOR, pid, term="Hypoxia", ctcae_grade=4, onset_at=aware - timedelta(hours=1),
        investigator_aware_at=aware, expectedness="unexpected", seriousness=["life_threatening"],
    )
    due = aware + timedelta(hours=24)
    overdue = overdue_sae_reports(steps.uow, MONITOR, due + timedelta(minutes=1))
    assert [(r.report, r.due_at) for r in overdue] == [(ReportKind.SPONSOR_NOTIFICATION, due)]
    steps.clock.advance(hours=30)
    safety.assess_relatedness(steps.uow, INVESTIGATOR, event.adverse_event_id, "probable")
    overdue = overdue_sae_reports(steps.uow, MONITOR, aware + timedelta(days=8))
    # a fatal/life-threatening SUSAR: 7 days, counted from awareness (ICH E2A III.A.1; SAE-2)
    assert {(r.report, r.due_at) for r in overdue} == {
        (ReportKind.SPONSOR_NOTIFICATION, due),
        (ReportKind.SUSAR_FATAL_OR_LIFE_THREATENING, aware + timedelta(days=7)),
    }


def test_only_an_investigator_of_the_site_assesses_relatedness_and_a_change_needs_a_reason(
    steps: TrialSteps,
) -> None:
    pid = steps.enrolled()
    now = steps.clock.advance(hours=1)
    event = safety.record_adverse_event(steps.uow, COORDINATOR, pid, term="Cough", ctcae_grade=1,
                                        onset_at=now, investigator_aware_at=now, expectedness="expected")
    with pytest.raises(PermissionDeniedError):
        safety.assess_relatedness(steps.uow, COORDINATOR, event.adverse_event_id, "unlikely")
    with pytest.raises(NotFoundError):
        safety.assess_relatedness(steps.uow, OTHER_INVESTIGATOR, event.adverse_event_id, "unlikely")
    with pytest.raises(ValidationError) as refused:
        safety.assess_relatedness(steps.uow, INVESTIGATOR, event.adverse_event_id, "not_assessed")
    assert refused.value.field == "relatedness"
    assessed = safety.assess_relatedness(steps.uow, INVESTIGATOR, event.adverse_event_id, "unlikely")
    assert assessed.relatedness is Relatedness.UNLIKELY
    with pytest.raises(ValidationError) as refused:
        safety.assess_relatedness(steps.uow, INVESTIGATOR, event.adverse_event_id, "possible")
    assert refused.value.field == "reason"
    changed = safety.assess_relatedness(steps.uow, INVESTIGATOR, event.adverse_event_id, "possible",
                                        reason="new information from the bronchoscopy")
    assert changed.relatedness is Relatedness.POSSIBLE
    assert steps.uow.store.transactions[-1].reason == "new information from the bronchoscopy"
    assert [e.change for e in _events(steps, "AdverseEventUpdated")] == [  # type: ignore[attr-defined]
        "relatedness_assessed: unlikely", "relatedness_assessed: possible"]


def test_a_fatal_event_assessed_as_related_raises_the_stopping_alert_at_assessment(steps: TrialSteps) -> None:
    pid = steps.enrolled()
    now = steps.clock.advance(hours=1)
    event = safety.record_adverse_event(steps.uow, COORDINATOR, pid, term="Cardiac arrest", ctcae_grade=5,
                                        onset_at=now, investigator_aware_at=now, expectedness="unexpected",
                                        seriousness=["death"])
    with steps.uow:
        assert [n.kind for n in steps.uow.notifications.list(pid)] == ["serious_adverse_event"]
    safety.assess_relatedness(steps.uow, INVESTIGATOR, event.adverse_event_id, "possible")
    with steps.uow:
        kinds = sorted(n.kind for n in steps.uow.notifications.list(pid))
    assert kinds == ["serious_adverse_event", "stopping_rule"]


def test_another_sites_staff_learn_nothing_about_a_locked_trials_adverse_event(steps: TrialSteps) -> None:
    pid = steps.enrolled()
    now = steps.clock.advance(hours=1)
    event = safety.record_adverse_event(steps.uow, COORDINATOR, pid, term="Cough", ctcae_grade=1,
                                        onset_at=now, investigator_aware_at=now, expectedness="expected")
    trial.change_trial_status(steps.uow, ADMIN, TrialAction.TERMINATE)
    trial.lock_database(steps.uow, ADMIN)
    with pytest.raises(NotFoundError):
        safety.assess_relatedness(steps.uow, OTHER_INVESTIGATOR, event.adverse_event_id, "unlikely")
    with pytest.raises(ConflictError):
        safety.assess_relatedness(steps.uow, INVESTIGATOR, event.adverse_event_id, "unlikely")
