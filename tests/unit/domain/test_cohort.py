"""Phase 1 cohorts and DLT adjudication (clinical.md 3.9; edc-and-standards.md RND-9, SYS-2)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from mexards.domain.cohort import Cohort, CohortState, DLTAdjudication, dlt_window_end
from mexards.domain.dose import DoseLevel
from mexards.domain.errors import (
    ConflictError,
    InvalidTransitionError,
    PermissionDeniedError,
    ValidationError,
)
from mexards.domain.identifier import ParticipantId, UserId
from mexards.domain.role import Actor, Role

T0 = datetime(2025, 3, 1, 8, tzinfo=UTC)
LEVEL = DoseLevel(2, 800_000_000)
INVESTIGATOR = Actor(UserId("dr-1"), Role.INVESTIGATOR)
PIDS = [ParticipantId(f"MEX-00{i}") for i in range(1, 4)]


def closed_cohort() -> Cohort:
    cohort, _ = Cohort.open(1, LEVEL, T0, capacity=3)
    for pid in PIDS:
        cohort.add_participant(pid)
    cohort.close(T0 + timedelta(days=1), dlt_window_end(T0 + timedelta(days=7)))
    return cohort


def adjudication(pid: ParticipantId, proposed: bool) -> DLTAdjudication:
    adj, _ = DLTAdjudication.propose(
        f"ADJ-{pid}", pid, 1, proposed, "clinical.md 3.9 rule", T0 + timedelta(days=8)
    )
    return adj


def test_the_dlt_window_ends_24_hours_after_the_last_dose() -> None:
    assert dlt_window_end(T0 + timedelta(days=6)) == T0 + timedelta(days=7)


def test_a_cohort_is_reviewed_after_its_window_with_confirmed_adjudications() -> None:
    cohort = closed_cohort()
    adjudications = [adjudication(pid, proposed=(pid == PIDS[0])) for pid in PIDS]
    for adj in adjudications:
        adj.confirm(
            INVESTIGATOR, is_dlt=adj.proposed_is_dlt, evaluable=True, confirmed_at=T0 + timedelta(days=9)
        )
    with pytest.raises(ValidationError, match="reviewed_at"):
        cohort.review(adjudications, T0 + timedelta(days=7))
    event = cohort.review(adjudications, T0 + timedelta(days=9))
    assert cohort.state is CohortState.REVIEWED
    assert (event.evaluable_participants, event.dlt_participants) == (3, 1)


def test_review_needs_every_participant_adjudicated_and_confirmed() -> None:
    cohort = closed_cohort()
    adjudications = [adjudication(pid, False) for pid in PIDS]
    with pytest.raises(ValidationError, match="confirmed"):
        cohort.review(adjudications, T0 + timedelta(days=9))
    with pytest.raises(ValidationError, match="every participant"):
        cohort.review(adjudications[:2], T0 + timedelta(days=9))


def test_cohort_actions_out_of_order_raise_invalid_transition() -> None:
    cohort, _ = Cohort.open(1, LEVEL, T0)
    with pytest.raises(InvalidTransitionError):
        cohort.review([], T0)
    cohort.add_participant(PIDS[0])
    cohort.close(T0, T0 + timedelta(days=8))
    with pytest.raises(InvalidTransitionError):
        cohort.add_participant(PIDS[1])
    with pytest.raises(InvalidTransitionError):
        cohort.close(T0, T0 + timedelta(days=8))


def test_a_full_cohort_and_a_repeated_participant_are_conflicts() -> None:
    cohort, _ = Cohort.open(1, LEVEL, T0, capacity=1)
    cohort.add_participant(PIDS[0])
    with pytest.raises(ConflictError, match="already"):
        cohort.add_participant(PIDS[0])
    with pytest.raises(ConflictError, match="full"):
        cohort.add_participant(PIDS[1])


def test_only_an_investigator_confirms_a_dlt_and_only_once() -> None:
    adj = adjudication(PIDS[0], True)
    with pytest.raises(PermissionDeniedError):
        adj.confirm(
            Actor(UserId("c"), Role.COORDINATOR),
            is_dlt=True,
            evaluable=True,
            confirmed_at=T0 + timedelta(days=9),
        )
    adj.confirm(INVESTIGATOR, is_dlt=True, evaluable=True, confirmed_at=T0 + timedelta(days=9))
    with pytest.raises(InvalidTransitionError):
        adj.confirm(INVESTIGATOR, is_dlt=False, evaluable=True, confirmed_at=T0 + timedelta(days=9))


def test_overriding_the_rule_needs_a_reason() -> None:
    adj = adjudication(PIDS[0], True)
    with pytest.raises(ValidationError, match="override_reason"):
        adj.confirm(INVESTIGATOR, is_dlt=False, evaluable=True, confirmed_at=T0 + timedelta(days=9))
    event = adj.confirm(
        INVESTIGATOR,
        is_dlt=False,
        evaluable=True,
        confirmed_at=T0 + timedelta(days=9),
        override_reason="hypoxia explained by ventilator disconnection",
    )
    assert event.overrides_rule and adj.is_dlt is False


def test_a_participant_with_a_dlt_is_evaluable() -> None:
    adj = adjudication(PIDS[0], True)
    with pytest.raises(ValidationError, match="evaluable"):
        adj.confirm(INVESTIGATOR, is_dlt=True, evaluable=False, confirmed_at=T0 + timedelta(days=9))


def test_non_evaluable_participants_do_not_count_towards_the_denominator() -> None:
    cohort = closed_cohort()
    adjudications = [adjudication(pid, False) for pid in PIDS]
    for i, adj in enumerate(adjudications):
        adj.confirm(INVESTIGATOR, is_dlt=False, evaluable=i > 0, confirmed_at=T0 + timedelta(days=9))
    event = cohort.review({a.participant_id: a for a in adjudications}, T0 + timedelta(days=9))
    assert (event.evaluable_participants, event.dlt_participants) == (2, 0)
