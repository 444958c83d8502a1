"""Adverse events, SAE clocks and notifications, the safety stopping alert, and data queries."""

from __future__ import annotations

from datetime import timedelta

import pytest

from mexards.domain.errors import InvalidTransitionError, PermissionDeniedError
from mexards.domain.query import QueryState
from mexards.domain.reporting_clock import ReportKind
from mexards.services import query, safety
from mexards.services.read_model import adverse_event_listing, overdue_sae_reports
from tests.unit.services.conftest import (
    ADMIN,
    COORDINATOR,
    INVESTIGATOR,
    MONITOR,
    OTHER_COORDINATOR,
    TrialSteps,
)


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


def test_relatedness_is_an_investigators_judgement(steps: TrialSteps) -> None:
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
