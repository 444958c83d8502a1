"""The sealed list stays tamper-evident although randomization no longer re-reads it whole on every call.

A process re-reads and re-hashes the whole list once per (list id, seal) and keeps it; later randomizations read
the header's seal and the stratum's next free slot only, and compare that slot (and the count of used slots)
with the verified list. Tampering with slots after a first randomization is therefore caught:

- by the randomization that reaches the edited, deleted or inserted slot (refused, nothing written);
- at once by ``mexards audit verify`` and by the verification use case, whichever slot was edited.

Real SQLite files and the real PostgreSQL server (``db_url``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import event, text
from typer.testing import CliRunner

from mexards.cli.main import app
from mexards.domain.errors import ConflictError
from mexards.domain.identifier import ParticipantId
from mexards.domain.participant import ParticipantState
from mexards.persistence.database import Database
from mexards.services.allocation import (
    VERIFIED_LISTS,
    generate_allocation_list,
    randomize_participant,
    verify_allocation_list,
)
from tests.integration.trial_setup import (
    COORDINATOR,
    UNBLINDED_STATISTICIAN,
    SteppingClock,
    enrolled_participants,
    mexards_protocol,
    open_database,
    phase2_trial,
    uow,
)

runner = CliRunner()
STRATUM = "berlin_severity=MILD"


class Trial:
    def __init__(self, db: Database, url: str, clock: SteppingClock, participants: list[ParticipantId]) -> None:
        self.db, self.url, self.clock, self.participants = db, url, clock, participants

    def randomize(self, index: int) -> Any:
        return randomize_participant(uow(self.db, self.clock), COORDINATOR, self.participants[index])

    def tamper(self, *statements: str) -> None:
        """What someone with direct database access could do behind the system's back."""
        with self.db.engine.begin() as conn:
            for statement in statements:
                conn.execute(text(statement))

    def state(self, index: int) -> ParticipantState:
        with uow(self.db, self.clock) as u:
            return u.participants.get(self.participants[index]).state

    def uses(self) -> int:
        with self.db.engine.connect() as conn:
            return int(conn.execute(text("SELECT count(*) FROM slot_use")).scalar_one())

    def list_id(self) -> str:
        with self.db.engine.connect() as conn:
            return str(conn.execute(text("SELECT list_id FROM allocation_list")).scalar_one())


@pytest.fixture
def trial(db_url: str) -> Iterator[Trial]:
    """Phase 2 with a sealed list (6 slots per stratum) and four enrolled participants, all in stratum MILD; the
    first is randomized, so this process has verified the list."""
    db = open_database(db_url)
    clock = SteppingClock()
    phase2_trial(db, clock)
    generate_allocation_list(uow(db, clock), UNBLINDED_STATISTICIAN, mexards_protocol(), 6, seed=11)
    participants = enrolled_participants(db, clock, 4, ("MILD",))
    VERIFIED_LISTS.clear()
    found = Trial(db, db_url, clock, participants)
    found.randomize(0)
    yield found
    db.dispose()


def slot_reads(db: Database, action: Any) -> list[str]:
    """The SQL statements that read ``allocation_slot`` while ``action`` runs."""
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if "allocation_slot" in statement and statement.lstrip().upper().startswith("SELECT"):
            seen.append(" ".join(statement.split()))

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        action()
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    return seen


def whole_list_reads(statements: list[str]) -> list[str]:
    """Reads of the slots that are not limited to one stratum (the whole list)."""
    return [s for s in statements if "allocation_slot.stratum =" not in s and "allocation_slot.stratum=" not in s]


def test_only_the_first_randomization_of_a_process_reads_the_whole_list(trial: Trial) -> None:
    VERIFIED_LISTS.clear()  # as in a freshly started worker process
    first = slot_reads(trial.db, lambda: trial.randomize(1))
    later = slot_reads(trial.db, lambda: trial.randomize(2))
    assert whole_list_reads(first), first
    assert later and not whole_list_reads(later), later
    assert trial.uses() == 3


def test_the_next_slot_edited_after_a_first_randomization_stops_randomization(trial: Trial) -> None:
    trial.tamper(
        "UPDATE allocation_slot SET arm_code = CASE WHEN arm_code = 'p2_mtd' THEN 'p2_control' ELSE 'p2_mtd' END"
        f" WHERE stratum = '{STRATUM}' AND sequence_number = 2"
    )
    with pytest.raises(ConflictError, match="seal"):
        trial.randomize(1)
    assert trial.state(1) is ParticipantState.ENROLLED and trial.uses() == 1
    with pytest.raises(ConflictError, match="seal"):  # and every randomization after it (the list is re-read)
        trial.randomize(2)


def test_a_later_slot_edited_is_reported_at_once_by_audit_verify_and_refused_when_reached(trial: Trial) -> None:
    trial.tamper(
        f"UPDATE allocation_slot SET kit_code = 'KIT-FORGED' WHERE stratum = '{STRATUM}' AND sequence_number = 3"
    )
    result = runner.invoke(app, ["audit", "verify", "--db", trial.url])
    assert result.exit_code == 1
    assert f"allocation_slot {trial.list_id()}/{STRATUM}/3 field kit_code" in result.output
    trial.randomize(1)  # slot 2 is still the sealed one
    with pytest.raises(ConflictError, match="seal"):
        trial.randomize(2)  # slot 3 is not
    assert trial.state(2) is ParticipantState.ENROLLED and trial.uses() == 2


def test_the_verification_use_case_rereads_the_whole_list_and_randomization_follows_it(trial: Trial) -> None:
    trial.tamper(f"UPDATE allocation_slot SET block_size = 99 WHERE stratum = '{STRATUM}' AND sequence_number = 6")
    check = verify_allocation_list(uow(trial.db, trial.clock), UNBLINDED_STATISTICIAN)
    assert not check.ok and check.problems[0].startswith("sha256")
    with pytest.raises(ConflictError, match="seal"):
        trial.randomize(1)
    assert trial.uses() == 1


def test_a_deleted_next_slot_is_caught_by_the_count_of_used_slots(trial: Trial) -> None:
    trial.tamper(f"DELETE FROM allocation_slot WHERE stratum = '{STRATUM}' AND sequence_number = 2")
    with pytest.raises(ConflictError, match="seal"):
        trial.randomize(1)
    assert trial.uses() == 1


def test_a_changed_seal_in_the_header_is_verified_again_and_refused(trial: Trial) -> None:
    trial.tamper(f"UPDATE allocation_list SET sha256 = '{'0' * 64}'")
    with pytest.raises(ConflictError, match="seal"):
        trial.randomize(1)
    assert trial.state(1) is ParticipantState.ENROLLED
