"""Hypothesis invariants of the services (fake unit of work):

- any sequence of use-case calls, valid or not, leaves every committed change paired with its events and its
  acting user (the audit intent), and a refused call leaves no change behind;
- any order of randomization requests never hands out a slot twice, never skips one, and consumes each
  stratum in list order.
"""

from __future__ import annotations

import contextlib
from datetime import date
from functools import cache

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mexards.domain.errors import MexardsError
from mexards.domain.identifier import ParticipantId
from mexards.services import allocation, crf, participant, query
from tests.unit.services.conftest import (
    COORDINATOR,
    INVESTIGATOR,
    MONITOR,
    OTHER_COORDINATOR,
    START,
    TrialSteps,
)
from tests.unit.services.fake import FakeClock, FakeStore, FakeUnitOfWork

GAS = {"measured_at": "2025-03-01T07:30:00+00:00", "support": "invasive", "pao2_mmhg": "80",
       "fio2_fraction": "0.5", "peep_cmh2o": "10"}


@cache
def _phase2_base() -> tuple[FakeStore, FakeClock, int]:
    clock = FakeClock(START)
    steps = TrialSteps(FakeUnitOfWork(FakeStore(), clock), clock)
    steps.start()
    steps.phase2_ready(slots=6, seed=7)
    for _ in range(8):
        steps.enrolled()
    return steps.uow.store, clock, steps.count


def _fresh() -> tuple[FakeUnitOfWork, FakeClock, list[ParticipantId]]:
    base, base_clock, count = _phase2_base()
    store = FakeStore(tables=base.snapshot())
    clock = FakeClock(base_clock.now())
    pids = [ParticipantId(f"P{i:03d}") for i in range(count - 7, count + 1)]
    return FakeUnitOfWork(store, clock), clock, pids


OPERATIONS = st.sampled_from(
    ["randomize", "randomize_other_site", "withdraw", "withdraw_blank", "crf", "crf_change", "death",
     "query", "enrol_again"]
)


def _call(uow: FakeUnitOfWork, name: str, pid: ParticipantId, stratum: str) -> None:
    if name == "randomize":
        allocation.randomize_participant(uow, COORDINATOR, pid, {"berlin_severity": stratum})
    elif name == "randomize_other_site":
        allocation.randomize_participant(uow, OTHER_COORDINATOR, pid)
    elif name == "withdraw":
        participant.withdraw_participant(uow, COORDINATOR, pid, "family request")
    elif name == "withdraw_blank":
        participant.withdraw_participant(uow, COORDINATOR, pid, "")
    elif name == "crf":
        crf.save_crf(uow, COORDINATOR, pid, "blood_gas", "d1", GAS)
    elif name == "crf_change":
        crf.save_crf(uow, COORDINATOR, pid, "blood_gas", "d1", {**GAS, "pao2_mmhg": "70"}, reason="correction")
    elif name == "death":
        participant.record_death(uow, INVESTIGATOR, pid, date(2025, 3, 2))
    elif name == "query":
        query.open_query(uow, MONITOR, pid, "blood_gas.d1.pao2_mmhg", "confirm")
    else:
        participant.enrol_participant(uow, COORDINATOR, pid)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(OPERATIONS, st.integers(0, 7), st.sampled_from(["MILD", "MODERATE", "SEVERE"])),
                max_size=25))
def test_every_committed_change_carries_its_events_and_actor_and_refusals_change_nothing(calls) -> None:  # type: ignore[no-untyped-def]
    uow, clock, pids = _fresh()
    for name, index, stratum in calls:
        clock.advance(minutes=5)
        before_tables = uow.store.snapshot()
        before_commits = len(uow.store.transactions)
        try:
            _call(uow, name, pids[index], stratum)
        except MexardsError:
            assert len(uow.store.transactions) == before_commits
            after = uow.store.snapshot()
            assert {k: set(v) for k, v in after.items()} == {k: set(v) for k, v in before_tables.items()}
            continue
        assert len(uow.store.transactions) == before_commits + 1
    for transaction in uow.store.transactions:
        assert transaction.writes and transaction.events and transaction.actor is not None
        touched = {w.table for w in transaction.writes}
        if touched & {"crf_records"} and any(w.kind == "update" for w in transaction.writes):
            assert transaction.reason


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.integers(0, 7), st.sampled_from(["MILD", "MODERATE", "SEVERE"])), max_size=30))
def test_random_randomization_orders_never_use_a_slot_twice_or_skip_one(requests) -> None:  # type: ignore[no-untyped-def]
    uow, clock, pids = _fresh()
    for index, stratum in requests:
        clock.advance(minutes=1)
        with contextlib.suppress(MexardsError):
            allocation.randomize_participant(uow, COORDINATOR, pids[index], {"berlin_severity": stratum})
    with uow:
        uses = uow.allocation.used_slots()
    assert len({u.participant_id for u in uses}) == len(uses)
    assert len({(u.stratum, u.sequence_number) for u in uses}) == len(uses)
    assert len({u.kit_code for u in uses}) == len(uses)
    for stratum in {u.stratum for u in uses}:
        numbers = [u.sequence_number for u in uses if u.stratum == stratum]
        assert numbers == list(range(1, len(numbers) + 1))
