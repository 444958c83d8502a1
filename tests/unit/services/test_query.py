"""Data queries: the role and the participant's site are checked before the query's state, so nobody learns
the state of a query they may not touch (403/404 before 409)."""

from __future__ import annotations

import pytest

from mexards.domain.errors import (
    ConflictError,
    InvalidTransitionError,
    NotFoundError,
    PermissionDeniedError,
)
from mexards.domain.role import Role
from mexards.domain.trial import TrialAction
from mexards.services import query, trial
from tests.unit.services.conftest import (
    ADMIN,
    COORDINATOR,
    MONITOR,
    OTHER_COORDINATOR,
    OTHER_SITE,
    TrialSteps,
    make_actor,
)

OTHER_MONITOR = make_actor(Role.MONITOR, OTHER_SITE, user="monitor-2")


def test_reopening_an_open_query_tells_a_wrong_role_403_and_another_site_404_before_the_state(
    steps: TrialSteps,
) -> None:
    opened = query.open_query(steps.uow, MONITOR, steps.enrolled(), "labs.d1.crp_mg_l", "CRP unit?")
    with pytest.raises(PermissionDeniedError):
        query.reopen_query(steps.uow, COORDINATOR, opened.query_id, "again")
    with pytest.raises(NotFoundError):
        query.reopen_query(steps.uow, OTHER_MONITOR, opened.query_id, "again")
    with pytest.raises(InvalidTransitionError):
        query.reopen_query(steps.uow, MONITOR, opened.query_id, "again")


def test_answering_and_closing_check_the_site_before_the_state(steps: TrialSteps) -> None:
    opened = query.open_query(steps.uow, MONITOR, steps.enrolled(), "labs.d1.crp_mg_l", "CRP unit?")
    query.close_query(steps.uow, MONITOR, opened.query_id)
    with pytest.raises(NotFoundError):
        query.answer_query(steps.uow, OTHER_COORDINATOR, opened.query_id, "mg/L")
    with pytest.raises(NotFoundError):
        query.close_query(steps.uow, OTHER_MONITOR, opened.query_id)
    with pytest.raises(InvalidTransitionError):
        query.answer_query(steps.uow, COORDINATOR, opened.query_id, "mg/L")


def test_after_lock_another_sites_monitor_still_gets_not_found_and_the_sites_monitor_a_conflict(
    steps: TrialSteps,
) -> None:
    opened = query.open_query(steps.uow, MONITOR, steps.enrolled(), "labs.d1.crp_mg_l", "CRP unit?")
    trial.change_trial_status(steps.uow, ADMIN, TrialAction.TERMINATE)
    trial.lock_database(steps.uow, ADMIN)
    with pytest.raises(PermissionDeniedError):
        query.reopen_query(steps.uow, COORDINATOR, opened.query_id, "again")
    with pytest.raises(NotFoundError):
        query.close_query(steps.uow, OTHER_MONITOR, opened.query_id)
    with pytest.raises(ConflictError):
        query.close_query(steps.uow, MONITOR, opened.query_id)


def test_a_reopening_reason_is_the_audit_reason(steps: TrialSteps) -> None:
    opened = query.open_query(steps.uow, MONITOR, steps.enrolled(), "labs.d1.crp_mg_l", "CRP unit?")
    query.answer_query(steps.uow, COORDINATOR, opened.query_id, "mg/L")
    query.reopen_query(steps.uow, MONITOR, opened.query_id, "the source says mg/dL")
    assert steps.uow.store.transactions[-1].reason == "the source says mg/dL"
