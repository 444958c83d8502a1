"""Tampering behind the system's back is reported by ``mexards audit verify`` with the row concerned.

Real trial tables on a real SQLite file and PostgreSQL (issue acceptance; 21 CFR 11.10(e), ICH E6(R3) 4.2.2):
editing, deleting or reordering an audit entry, and editing, deleting or inserting a data row (participant,
slot use of the sealed list) directly in the database.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from mexards.cli.main import app
from mexards.persistence.database import Database
from mexards.services.allocation import generate_allocation_list, randomize_participant
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


@pytest.fixture
def trial_db(db_url: str) -> Iterator[tuple[Database, str]]:
    db = open_database(db_url)
    clock = SteppingClock()
    phase2_trial(db, clock)
    generate_allocation_list(uow(db, clock), UNBLINDED_STATISTICIAN, mexards_protocol(), 6, seed=7)
    for pid in enrolled_participants(db, clock, 3, ("MILD", "SEVERE")):
        randomize_participant(uow(db, clock), COORDINATOR, pid)
    yield db, db_url
    db.dispose()


def _tamper(db: Database, *statements: str) -> None:
    """Act as someone with direct database access would: drop the append-only triggers, then change rows."""
    with db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log"))
        else:
            conn.execute(text("DROP TRIGGER IF EXISTS audit_log_no_update"))
            conn.execute(text("DROP TRIGGER IF EXISTS audit_log_no_delete"))
        for statement in statements:
            conn.execute(text(statement))


def _verify(url: str) -> tuple[int, str]:
    result = runner.invoke(app, ["audit", "verify", "--db", url])
    return result.exit_code, result.output


def test_an_untouched_trial_verifies_clean(trial_db: tuple[Database, str]) -> None:
    code, output = _verify(trial_db[1])
    assert code == 0 and "intact" in output


def test_an_edited_audit_entry_is_named_by_its_sequence_number(trial_db: tuple[Database, str]) -> None:
    db, url = trial_db
    _tamper(db, "UPDATE audit_log SET reason = 'nothing to see' WHERE seq = 5")
    code, output = _verify(url)
    assert code == 1 and "audit seq 5" in output and "edited" in output, output


def test_a_deleted_audit_entry_is_reported(trial_db: tuple[Database, str]) -> None:
    db, url = trial_db
    _tamper(db, "DELETE FROM audit_log WHERE seq = 7")
    code, output = _verify(url)
    assert code == 1 and "audit seq 8" in output and "missing" in output, output


def test_reordered_audit_entries_are_reported(trial_db: tuple[Database, str]) -> None:
    db, url = trial_db
    _tamper(
        db,
        "UPDATE audit_log SET seq = -1 WHERE seq = 3",
        "UPDATE audit_log SET seq = 3 WHERE seq = 4",
        "UPDATE audit_log SET seq = 4 WHERE seq = -1",
    )
    code, output = _verify(url)
    assert code == 1 and "audit seq 3" in output and "audit seq 4" in output


def test_an_edited_participant_row_is_named_with_its_field(trial_db: tuple[Database, str]) -> None:
    db, url = trial_db
    _tamper(db, "UPDATE participant SET state = 'completed' WHERE participant_id = 'P0002'")
    code, output = _verify(url)
    assert code == 1 and "participant P0002 field state" in output


def test_a_deleted_or_forged_slot_use_is_reported(trial_db: tuple[Database, str]) -> None:
    db, url = trial_db
    with db.engine.connect() as conn:
        list_id, stratum = conn.execute(
            text("SELECT list_id, stratum FROM slot_use WHERE participant_id = 'P0001'")
        ).one()
    _tamper(
        db,
        "DELETE FROM slot_use WHERE participant_id = 'P0001'",
        "UPDATE allocation_slot SET arm_code = CASE WHEN arm_code = 'p2_mtd' THEN 'p2_control' ELSE 'p2_mtd' END"
        f" WHERE sequence_number = 6 AND stratum = '{stratum}'",
    )
    code, output = _verify(url)
    assert code == 1
    assert f"slot_use {list_id}/{stratum}/1" in output and "deleted" in output
    assert f"allocation_slot {list_id}/{stratum}/6 field arm_code" in output
    assert "p2_" not in output  # the report names the row and field, never an arm
