"""32 concurrent clients (4 processes x 8 threads) randomize 600 participants, on SQLite and PostgreSQL.

Issue acceptance (ICH E9 2.3.2 "the next free number in the appropriate randomisation schedule"; RND-5):
every participant gets exactly one slot, each stratum's list is consumed in order with no slot skipped or
used twice, arms are balanced at every completed block, and every allocation has its audit entries (the
slot use row and the ParticipantRandomized event) in a trail that verifies.
"""

from __future__ import annotations

import json
import multiprocessing
from collections import Counter, defaultdict
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from mexards.persistence.allocation import SlotUseRow
from mexards.persistence.audit import AuditRow, verify_audit
from mexards.persistence.database import Database
from mexards.services.allocation import generate_allocation_list
from tests.integration.trial_setup import (
    UNBLINDED_STATISTICIAN,
    SteppingClock,
    enrolled_participants,
    mexards_protocol,
    open_database,
    phase2_trial,
    randomize_in_threads,
    uow,
)

PARTICIPANTS = 600
PROCESSES, THREADS = 4, 8
LEVELS = ("MILD", "MODERATE", "SEVERE")


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    database = open_database(db_url)
    yield database
    database.dispose()


def test_32_concurrent_clients_randomize_600_participants_exactly_once_in_list_order(db: Database, db_url: str) -> None:
    clock = SteppingClock()
    phase2_trial(db, clock)
    generate_allocation_list(
        uow(db, clock), UNBLINDED_STATISTICIAN, mexards_protocol(), PARTICIPANTS // len(LEVELS) + 12, seed=604
    )
    ids = [p.value for p in enrolled_participants(db, clock, PARTICIPANTS, LEVELS)]
    chunks = [ids[i::PROCESSES] for i in range(PROCESSES)]
    with multiprocessing.get_context("spawn").Pool(PROCESSES) as pool:
        results = pool.starmap(randomize_in_threads, [(db_url, chunk, THREADS) for chunk in chunks])
    assert sorted(pid for done in results for pid in done) == sorted(ids)

    with uow(db, clock) as u:
        u.actor = UNBLINDED_STATISTICIAN
        uses = u.allocation.used_slots()
        sealed = u.allocation.find_list()
        participants = {p.participant_id.value: p for p in u.participants.list()}
    assert sealed is not None
    # every participant exactly one slot, no slot twice
    assert len(uses) == PARTICIPANTS
    assert len({use.participant_id for use in uses}) == PARTICIPANTS
    assert len({(use.stratum, use.sequence_number) for use in uses}) == PARTICIPANTS
    for use in uses:
        record = participants[use.participant_id.value].randomization
        assert record is not None
        assert (record.stratum, record.sequence_number, record.kit_code) == (
            use.stratum,
            use.sequence_number,
            use.kit_code,
        )
    # consumed in order within each stratum: slots 1..k used, none skipped
    used_by_stratum: dict[str, list[int]] = defaultdict(list)
    for use in uses:
        used_by_stratum[use.stratum].append(use.sequence_number)
    for stratum, numbers in used_by_stratum.items():
        assert sorted(numbers) == list(range(1, len(numbers) + 1)), stratum
    assert {s: len(n) for s, n in used_by_stratum.items()} == {
        f"berlin_severity={level}": PARTICIPANTS // len(LEVELS) for level in LEVELS
    }
    # arms balanced at every completed block
    slots = {(s.stratum, s.sequence_number): s for s in sealed.allocation_list.all_slots()}
    scheme = sealed.allocation_list.scheme
    for stratum, numbers in used_by_stratum.items():
        blocks: dict[int, list[str]] = defaultdict(list)
        sizes: dict[int, int] = {}
        for number in numbers:
            slot = slots[(stratum, number)]
            blocks[slot.block_number].append(slot.arm_code)
            sizes[slot.block_number] = slot.block_size
        completed = [b for b, arms in blocks.items() if len(arms) == sizes[b]]
        assert completed
        for block in completed:
            assert Counter(blocks[block]) == Counter(scheme.block_contents(sizes[block])), (stratum, block)

    with db.sessions() as s:
        audit = s.scalars(
            select(AuditRow).where(AuditRow.entity.in_(["slot_use", "participant"])).order_by(AuditRow.seq)
        ).all()
        slot_rows = s.scalars(select(SlotUseRow)).all()
        problems = verify_audit(s)
    assert problems == []
    inserted = [json.loads(a.changes) for a in audit if a.entity == "slot_use" and a.action == "insert"]
    assert len(inserted) == len(slot_rows) == PARTICIPANTS
    randomized = [a for a in audit if a.action == "ParticipantRandomized"]
    assert len(randomized) == PARTICIPANTS
    assert all(a.actor_role == "coordinator" and a.actor_id == "coord1" for a in audit if a.entity == "slot_use")
    # the audit order of allocations is the list order within each stratum
    order: dict[str, list[int]] = defaultdict(list)
    for changes in inserted:
        order[changes["stratum"][1]].append(changes["sequence_number"][1])
    for numbers in order.values():
        assert numbers == sorted(numbers)
