"""The DSMB sees unblinded aggregates only (ICH E9 4.5; edc-and-standards.md BLD-1): no participant's arm, no
kit -> arm mapping, no participant-level unblinded data, but results and counts by treatment group, before
database lock too, as a closed-session report recorded in the audit trail."""

from __future__ import annotations

from collections import Counter

import pytest

from mexards.domain.errors import PermissionDeniedError
from mexards.domain.role import Role
from mexards.services import allocation, read_model
from mexards.services.read_model import BlindedParticipantSummary, consort_counts, participant_summaries
from mexards.services.results import analysis_dataset
from tests.unit.services.conftest import (
    COORDINATOR,
    PROTOCOL,
    STATISTICIAN,
    UNBLINDED_STATISTICIAN,
    TrialSteps,
    make_actor,
)
from tests.unit.services.test_results import SimulatedTrial, simulate_trial

DSMB = make_actor(Role.DSMB_MEMBER)
PHASE2_ARMS = ("p2_quarter_mtd", "p2_mtd", "p2_control")


@pytest.fixture(scope="module")
def unlocked() -> SimulatedTrial:
    return simulate_trial(phase2_size=9, seed=5, lock=False)


@pytest.fixture
def randomized(steps: TrialSteps) -> TrialSteps:
    steps.phase2_ready(slots=6)
    steps.randomized = steps.enrolled()  # type: ignore[attr-defined]
    allocation.randomize_participant(steps.uow, COORDINATOR, steps.randomized)  # type: ignore[attr-defined]
    return steps


def test_the_dsmb_is_blinded_at_the_participant_level_and_sees_unblinded_aggregates() -> None:
    assert Role.DSMB_MEMBER.is_blinded and Role.DSMB_MEMBER.sees_unblinded_aggregates
    assert DSMB.is_blinded and DSMB.sees_unblinded_aggregates


def test_the_dsmb_gets_blinded_participant_summaries_and_no_kit_to_arm_mapping(
    randomized: TrialSteps,
) -> None:
    summaries = participant_summaries(randomized.uow, DSMB, PROTOCOL)
    assert summaries and all(type(s) is BlindedParticipantSummary for s in summaries)
    with pytest.raises(PermissionDeniedError):
        allocation.reveal_allocation(randomized.uow, DSMB, PROTOCOL, randomized.randomized)  # type: ignore[attr-defined]
    with pytest.raises(PermissionDeniedError):
        read_model.allocation_status(randomized.uow, DSMB)


def test_the_dsmb_sees_the_randomized_count_per_arm_but_a_blinded_statistician_does_not(
    randomized: TrialSteps,
) -> None:
    assert sum(consort_counts(randomized.uow, DSMB).by_arm.values()) == 1
    assert consort_counts(randomized.uow, STATISTICIAN).by_arm == {}


def test_before_lock_the_dsmb_gets_results_by_arm_as_a_closed_session_dataset(
    unlocked: SimulatedTrial,
) -> None:
    data = analysis_dataset(unlocked.uow, DSMB, PROTOCOL, by_arm=True)
    assert data.by_arm and not data.locked
    assert [g.group_id for g in data.groups if g.phase == 2] == list(PHASE2_ARMS)
    with unlocked.uow as u:
        truth = Counter(u.allocation.slot_of(pid).arm_code for pid in unlocked.phase2)
    assert Counter(p.group_id for p in data.participants if p.phase == 2) == truth


def test_the_closed_session_dataset_names_no_participant_site_or_event_of_the_trial(
    unlocked: SimulatedTrial,
) -> None:
    data = analysis_dataset(unlocked.uow, DSMB, PROTOCOL, by_arm=True)
    real_ids = {pid.value for pid in unlocked.phase1 + unlocked.phase2}
    with unlocked.uow as u:
        ae_ids = {ae.adverse_event_id for ae in u.adverse_events.list()}
    shown = {p.participant_id.value for p in data.participants} | {
        e.participant_id.value for e in data.adverse_events
    }
    assert not shown & real_ids
    assert not {e.adverse_event_id for e in data.adverse_events} & ae_ids
    assert {p.site_id.value for p in data.participants} == {"ALL"}
    assert len(data.adverse_events) == len(ae_ids)


def test_each_closed_session_preparation_is_recorded_in_the_audit_trail(unlocked: SimulatedTrial) -> None:
    before = len(unlocked.uow.store.transactions)
    analysis_dataset(unlocked.uow, DSMB, PROTOCOL, by_arm=True)
    (entry,) = unlocked.uow.store.transactions[before:]
    (event,) = entry.events
    assert type(event).__name__ == "ClosedSessionReportPrepared" and entry.actor == DSMB
    assert event.participants == len(unlocked.phase1) + len(unlocked.phase2) and not event.locked


def test_everyone_elses_rule_is_kept_before_lock(unlocked: SimulatedTrial) -> None:
    for actor in (UNBLINDED_STATISTICIAN, STATISTICIAN):
        with pytest.raises(PermissionDeniedError, match="database lock"):
            analysis_dataset(unlocked.uow, actor, PROTOCOL, by_arm=True)


def test_the_pooled_dataset_of_the_dsmb_is_not_a_closed_session_and_is_not_recorded(
    unlocked: SimulatedTrial,
) -> None:
    before = len(unlocked.uow.store.transactions)
    data = analysis_dataset(unlocked.uow, DSMB, PROTOCOL)
    assert not data.by_arm and len(unlocked.uow.store.transactions) == before
