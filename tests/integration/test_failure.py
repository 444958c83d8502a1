"""A use case that fails half-way leaves nothing behind: no data row and no audit entry (issue acceptance).

The failure is injected in the database itself: a trigger refuses the insert of one table, so the use case
has already written (and flushed, with audit entries) earlier rows of the same transaction when it fails.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import text

from mexards.domain.identifier import ParticipantId, UserId
from mexards.persistence.audit import audit_count, verify_audit
from mexards.persistence.database import Database
from mexards.services.allocation import generate_allocation_list, randomize_participant
from mexards.services.port import Reauthentication
from mexards.services.unblinding import emergency_unblind
from tests.integration.trial_setup import (
    COORDINATOR,
    INVESTIGATOR,
    UNBLINDED_STATISTICIAN,
    SteppingClock,
    enrolled_participants,
    mexards_protocol,
    open_database,
    phase2_trial,
    uow,
)


def _refuse(db: Database, operation: str, table: str) -> None:
    with db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(
                text(
                    "CREATE FUNCTION injected_failure() RETURNS trigger AS $$ "
                    "BEGIN RAISE EXCEPTION 'injected failure'; END; $$ LANGUAGE plpgsql"
                )
            )
            conn.execute(
                text(
                    f"CREATE TRIGGER injected BEFORE {operation} ON {table} FOR EACH ROW"
                    " EXECUTE FUNCTION injected_failure()"
                )
            )
        else:
            conn.execute(
                text(
                    f"CREATE TRIGGER injected BEFORE {operation} ON {table} BEGIN SELECT RAISE(ABORT, 'injected'); END"
                )
            )


@pytest.fixture
def setting(db_url: str) -> Iterator[tuple[Database, SteppingClock, list[ParticipantId]]]:
    db = open_database(db_url)
    clock = SteppingClock()
    phase2_trial(db, clock)
    generate_allocation_list(uow(db, clock), UNBLINDED_STATISTICIAN, mexards_protocol(), 6, seed=11)
    ids = enrolled_participants(db, clock, 2, ("MODERATE",))
    yield db, clock, ids
    db.dispose()


def _snapshot(db: Database, clock: SteppingClock) -> tuple[int, list[object], list[object], list[object]]:
    with db.sessions() as s:
        count = audit_count(s)
    with uow(db, clock) as u:
        participants = [(p.participant_id, p.state, p.randomization, p.unblinded_at) for p in u.participants.list()]
        uses = [(x.stratum, x.sequence_number, x.participant_id) for x in u.allocation.used_slots()]
        others = [*u.unblindings.list(), *u.notifications.list()]
    return count, participants, uses, others


def test_a_randomization_that_fails_at_its_last_write_leaves_no_slot_used_and_no_audit_entry(
    setting: tuple[Database, SteppingClock, list[ParticipantId]],
) -> None:
    db, clock, ids = setting
    before = _snapshot(db, clock)
    _refuse(db, "UPDATE", "participant")  # the participant update comes after the slot use is written
    with pytest.raises(Exception, match=r"injected|conflicts"):
        randomize_participant(uow(db, clock), COORDINATOR, ids[0])
    assert _snapshot(db, clock) == before
    with db.sessions() as s:
        assert verify_audit(s) == []


def test_an_emergency_unblinding_whose_notification_fails_records_no_unblinding(
    setting: tuple[Database, SteppingClock, list[ParticipantId]],
) -> None:
    db, clock, ids = setting
    randomize_participant(uow(db, clock), COORDINATOR, ids[0])
    before = _snapshot(db, clock)
    _refuse(db, "INSERT", "notification")
    now = clock.now() + timedelta(seconds=2)
    evidence = Reauthentication(UserId("inv1"), True, now)
    clock.move_to(now)
    with pytest.raises(Exception, match=r"injected|conflicts"):
        emergency_unblind(
            uow(db, clock), INVESTIGATOR, mexards_protocol(), ids[0], "anaphylaxis, treating physician asks", evidence
        )
    assert _snapshot(db, clock) == before
    with db.sessions() as s:
        assert verify_audit(s) == []
