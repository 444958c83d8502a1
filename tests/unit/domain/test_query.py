"""Data queries: open -> answered -> closed with re-opening, and the raiser/answerer role split."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from mexards.domain.errors import InvalidTransitionError, PermissionDeniedError, ValidationError
from mexards.domain.identifier import ParticipantId, SiteId, UserId
from mexards.domain.query import QUERY_TRANSITIONS, Query, QueryAction, QueryState
from mexards.domain.role import Actor, Role

AT = datetime(2025, 3, 5, 9, tzinfo=UTC)
S01 = SiteId("S01")
MONITOR = Actor(UserId("mon-1"), Role.MONITOR, frozenset({S01}))
COORDINATOR = Actor(UserId("crc-1"), Role.COORDINATOR, frozenset({S01}))


def open_query() -> Query:
    query, _ = Query.open(
        "Q-1", ParticipantId("MEX-001"), S01, "abg.pao2_mmhg", "Please confirm 45", MONITOR, AT
    )
    return query


def act(query: Query, action: QueryAction, minutes: int = 10) -> object:
    at = AT + timedelta(minutes=minutes)
    if action is QueryAction.ANSWER:
        return query.answer(COORDINATOR, "Value confirmed against the source", at)
    if action is QueryAction.CLOSE:
        return query.close(MONITOR, at)
    return query.reopen(MONITOR, "Answer does not match the source", at)


def query_in(state: QueryState) -> Query:
    query = open_query()
    if state is QueryState.ANSWERED:
        act(query, QueryAction.ANSWER, 1)
    if state is QueryState.CLOSED:
        act(query, QueryAction.CLOSE, 1)
    return query


@pytest.mark.parametrize("state", list(QueryState))
@pytest.mark.parametrize("action", list(QueryAction))
def test_each_query_state_and_action_follows_the_table_or_raises(
    state: QueryState, action: QueryAction
) -> None:
    query = query_in(state)
    if (state, action) in QUERY_TRANSITIONS:
        act(query, action)
        assert query.state is QUERY_TRANSITIONS[(state, action)]
    else:
        with pytest.raises(InvalidTransitionError):
            act(query, action)


def test_the_conversation_keeps_every_step_in_order() -> None:
    query = open_query()
    act(query, QueryAction.ANSWER, 1)
    act(query, QueryAction.REOPEN, 2)
    act(query, QueryAction.ANSWER, 3)
    act(query, QueryAction.CLOSE, 4)
    assert [m.action for m in query.messages] == ["open", "answer", "reopen", "answer", "close"]


def test_site_staff_answer_and_monitors_close() -> None:
    query = open_query()
    with pytest.raises(PermissionDeniedError):
        query.answer(MONITOR, "x", AT)
    with pytest.raises(PermissionDeniedError):
        query.close(COORDINATOR, AT)


def test_staff_of_another_site_cannot_answer() -> None:
    query = open_query()
    outsider = Actor(UserId("crc-2"), Role.COORDINATOR, frozenset({SiteId("S02")}))
    with pytest.raises(PermissionDeniedError, match="site"):
        query.answer(outsider, "x", AT)


def test_an_empty_answer_is_refused() -> None:
    with pytest.raises(ValidationError, match="text"):
        open_query().answer(COORDINATOR, " ", AT)
