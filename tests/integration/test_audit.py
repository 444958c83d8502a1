"""The audit trail on a real SQLite file and the real PostgreSQL server (AUD-1..3 of 21 CFR 11.10(e) / ICH E6(R3))."""

from __future__ import annotations

import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest
from sqlalchemy import String, func, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from mexards.domain.errors import ValidationError
from mexards.persistence.audit import AuditPendingRow, AuditRow, audit_count, record_event, verify_audit
from mexards.persistence.database import Database


class SampleBase(DeclarativeBase):
    """Test-only tables, kept off the application's metadata."""

    __audited__ = True


class SampleRow(SampleBase):
    """A small audited table used only by these tests."""

    __tablename__ = "audit_test_sample"

    id: Mapped[str] = mapped_column(String(20), primary_key=True)
    value: Mapped[str] = mapped_column(String(50))


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    database = Database(db_url)
    database.create_schema()
    SampleBase.metadata.create_all(database.engine)
    yield database
    database.dispose()


def _insert(db: Database, *ids: str) -> None:
    with db.unit_of_work("u1", "coordinator") as uow:
        for i in ids:
            uow.session.add(SampleRow(id=i, value=f"v{i}"))
        uow.commit()


def test_every_insert_update_and_delete_writes_one_audit_entry_with_who_what_why(db: Database) -> None:
    _insert(db, "a")
    with db.unit_of_work("u2", "investigator", reason="transcription error") as uow:
        uow.session.get(SampleRow, "a").value = "corrected"  # type: ignore[union-attr]
        uow.commit()
    with db.unit_of_work("u2", "investigator", reason="entered in error") as uow:
        uow.session.delete(uow.session.get(SampleRow, "a"))
        uow.commit()
    with db.sessions() as s:
        rows = s.scalars(select(AuditRow).order_by(AuditRow.seq)).all()
        assert [r.action for r in rows] == ["insert", "update", "delete"]
        assert rows[1].actor_id == "u2" and rows[1].actor_role == "investigator"
        assert rows[1].reason == "transcription error"
        assert json.loads(rows[1].changes) == {"value": ["va", "corrected"]}
        assert verify_audit(s, [SampleRow]) == []


def test_a_change_after_first_entry_without_a_reason_is_refused_and_nothing_is_written(db: Database) -> None:
    _insert(db, "a")
    with db.unit_of_work("u2", "investigator") as uow:
        uow.session.get(SampleRow, "a").value = "changed"  # type: ignore[union-attr]
        with pytest.raises(ValidationError) as err:
            uow.commit()
    assert err.value.field == "reason"
    with db.sessions() as s:
        assert s.get(SampleRow, "a").value == "va"  # type: ignore[union-attr]
        assert audit_count(s) == 1


def test_leaving_the_unit_of_work_without_commit_rolls_back_data_and_audit(db: Database) -> None:
    with db.unit_of_work("u1", "coordinator") as uow:
        uow.session.add(SampleRow(id="x", value="1"))
        uow.session.flush()
        record_event(uow.session, "export", "trial", "T1", {"format": "odm"})
    with db.sessions() as s:
        assert s.get(SampleRow, "x") is None
        assert audit_count(s) == 0


def test_a_failure_half_way_leaves_nothing_behind(db: Database) -> None:
    class Boom(Exception):
        pass

    with pytest.raises(Boom), db.unit_of_work("u1", "coordinator") as uow:
        uow.session.add(SampleRow(id="p", value="1"))
        uow.session.flush()
        raise Boom
    with db.sessions() as s:
        assert s.get(SampleRow, "p") is None and audit_count(s) == 0


def test_the_database_refuses_update_and_delete_of_audit_entries(db: Database) -> None:
    _insert(db, "a")
    for statement in ("UPDATE audit_log SET reason = 'x'", "DELETE FROM audit_log"):
        with pytest.raises(DBAPIError), db.engine.begin() as conn:
            conn.execute(text(statement))
    with db.sessions() as s:
        assert audit_count(s) == 1


def _tamper(db: Database, *statements: str) -> None:
    """Act behind the system's back, as someone with direct database access would (triggers dropped first)."""
    with db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log"))
        else:
            conn.execute(text("DROP TRIGGER IF EXISTS audit_log_no_update"))
            conn.execute(text("DROP TRIGGER IF EXISTS audit_log_no_delete"))
        for statement in statements:
            conn.execute(text(statement))


def _problems(db: Database) -> list[str]:
    with db.sessions() as s:
        return [str(p) for p in verify_audit(s, [SampleRow])]


def test_verify_reports_an_edited_audit_entry_by_its_sequence_number(db: Database) -> None:
    _insert(db, "a", "b", "c")
    _tamper(db, "UPDATE audit_log SET actor_id = 'someone-else' WHERE seq = 2")
    problems = _problems(db)
    assert any(p.startswith("audit seq 2") and "edited" in p for p in problems)


def test_verify_reports_a_deleted_audit_entry(db: Database) -> None:
    _insert(db, "a", "b", "c")
    _tamper(db, "DELETE FROM audit_log WHERE seq = 2")
    problems = _problems(db)
    assert any("audit seq 3" in p and "missing" in p for p in problems)


def test_verify_reports_reordered_audit_entries(db: Database) -> None:
    _insert(db, "a", "b", "c")
    _tamper(
        db,
        "UPDATE audit_log SET seq = 100 WHERE seq = 1",
        "UPDATE audit_log SET seq = 1 WHERE seq = 2",
        "UPDATE audit_log SET seq = 2 WHERE seq = 100",
    )
    problems = _problems(db)
    assert any(p.startswith("audit seq 1") for p in problems)
    assert any(p.startswith("audit seq 2") for p in problems)


def test_verify_reports_data_rows_edited_inserted_or_deleted_behind_the_systems_back(db: Database) -> None:
    _insert(db, "a", "b", "c")
    _tamper(
        db,
        "UPDATE audit_test_sample SET value = 'forged' WHERE id = 'a'",
        "DELETE FROM audit_test_sample WHERE id = 'b'",
        "INSERT INTO audit_test_sample (id, value) VALUES ('z', 'ghost')",
    )
    problems = _problems(db)
    assert any("audit_test_sample a field value" in p and "edited" in p for p in problems)
    assert any("audit_test_sample b" in p and "deleted" in p for p in problems)
    assert any("audit_test_sample z" in p and "inserted" in p for p in problems)


def test_an_untouched_trail_verifies_clean_and_timestamps_are_utc(db: Database) -> None:
    fixed = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)
    with db.unit_of_work("u1", "coordinator", now=lambda: fixed) as uow:
        uow.session.add(SampleRow(id="a", value="1"))
        uow.commit()
    with db.sessions() as s:
        assert verify_audit(s, [SampleRow]) == []
        assert s.scalars(select(AuditRow.recorded_at)).one() == "2025-03-01T08:00:00"


def test_a_new_database_is_audited_even_when_it_reuses_a_collected_sessionmakers_address() -> None:
    """Regression: SQLAlchemy's ``event.contains`` keys on ``id(target)``; a sessionmaker created where a collected
    one lived (its session class still alive) was once taken as already audited, and wrote no audit entries."""
    from sqlalchemy import event
    from sqlalchemy.orm import sessionmaker

    from mexards.persistence.audit import _before_flush, install_audit

    first = sessionmaker()
    install_audit(first)
    kept_alive, address = first.class_, id(first)
    del first
    reused = []
    for _ in range(10_000):
        maker = sessionmaker()
        if id(maker) == address:
            reused.append(maker)
            break
        del maker
    second = reused[0] if reused else sessionmaker()
    install_audit(second)
    install_audit(second)
    assert kept_alive is not second.class_
    assert event.contains(second.class_, "before_flush", _before_flush)
    assert len(second().dispatch.before_flush) == 1


def test_every_database_opened_in_a_row_writes_its_audit_entries(db_url: str) -> None:
    for _ in range(5):
        database = Database(db_url)
        database.create_schema()
        SampleBase.metadata.create_all(database.engine)
        before = 0
        with database.sessions() as s:
            before = audit_count(s)
        _insert(database, f"x{before}")
        with database.sessions() as s:
            assert audit_count(s) == before + 1
        database.dispose()


def test_an_open_transaction_does_not_hold_the_chain_and_entries_follow_commit_order(db: Database) -> None:
    """Audit entries are chained at commit: a long transaction that has flushed audited changes does not stop
    another writer from committing (the chain's lock is held only while appending), and the chain follows
    commit order, so it verifies."""
    if db.engine.dialect.name == "sqlite":
        pytest.skip("SQLite has one writer at a time (BEGIN IMMEDIATE): the second writer waits for the database")
    slow = db.unit_of_work("u1", "coordinator").__enter__()
    try:
        slow.session.add(SampleRow(id="slow", value="first in, last out"))
        slow.session.flush()
        _insert(db, "quick")  # would wait forever for the chain's lock if the open transaction held it
        slow.commit()
    finally:
        slow.__exit__(None, None, None)
    with db.sessions() as s:
        entities = [r.entity_id for r in s.scalars(select(AuditRow).order_by(AuditRow.seq))]
        assert entities == ["quick", "slow"]
        assert verify_audit(s, [SampleRow]) == []


def test_a_rolled_back_transaction_leaves_no_audit_entries(db: Database) -> None:
    with db.unit_of_work("u1", "coordinator") as uow:
        uow.session.add(SampleRow(id="gone", value="never committed"))
        uow.session.flush()
        record_event(uow.session, "export", "dataset", "adsl", {"rows": 1})
    _insert(db, "kept")
    with db.sessions() as s:
        assert [r.entity_id for r in s.scalars(select(AuditRow))] == ["kept"]
        assert verify_audit(s, [SampleRow]) == []


HOSTILE_VALUES = ('say "seq":0 and "prev_hash":""', "back\\slash \\\"quoted\\\"", "漢字 é 🧪\u2028line", "}{\n\t")


def test_entries_with_any_text_chain_to_hashes_the_verifier_accepts_and_nothing_stays_pending(db: Database) -> None:
    """On PostgreSQL the database computes the hashes at commit (audit_pending, deferred trigger); the Python
    verifier must accept them for text that quotes or imitates the hashed keys, and the hand-over table must be
    empty after every commit."""
    with db.unit_of_work("u1", "coordinator", reason='why: "seq":1') as uow:
        for n, value in enumerate(HOSTILE_VALUES):
            uow.session.add(SampleRow(id=f"h{n}", value=value))
        record_event(uow.session, "export", "dataset", 'adsl "x"', {"note": HOSTILE_VALUES[0]})
        uow.commit()
    with db.unit_of_work("u1", "coordinator", reason="correction 漢") as uow:
        row = uow.session.get(SampleRow, "h0")
        assert row is not None
        row.value = HOSTILE_VALUES[2]
        uow.commit()
    with db.sessions() as s:
        assert verify_audit(s, [SampleRow]) == []
        assert audit_count(s) == len(HOSTILE_VALUES) + 2
        assert s.scalar(select(func.count()).select_from(AuditPendingRow)) == 0


def test_concurrent_writers_build_one_unbroken_chain(db: Database) -> None:
    """Eight writers commit at once, 15 times each: every entry is in the chain once, numbered without a gap,
    and the chain verifies (the chain's lock serializes appends however the commits interleave)."""
    writers, commits = 8, 15

    def write(w: int) -> None:
        for n in range(commits):
            _insert(db, f"w{w}-{n}")

    with ThreadPoolExecutor(writers) as pool:
        list(pool.map(write, range(writers)))
    with db.sessions() as s:
        seqs = list(s.scalars(select(AuditRow.seq).order_by(AuditRow.seq)))
        assert seqs == list(range(1, writers * commits + 1))
        assert verify_audit(s, [SampleRow]) == []
        assert s.scalar(select(func.count()).select_from(AuditPendingRow)) == 0
