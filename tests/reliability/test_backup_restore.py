"""``mexards db backup`` / ``mexards db restore`` on a real SQLite file and on PostgreSQL.

Acceptance (issue 8, item 5): SQLite online backup and pg_dump, verification after restore by the audit chain
and the row counts of every table. Regulatory basis: 21 CFR 11.10(c) and EMA's 2023 guideline on computerised
systems in clinical trials, section 6.8 (backup and restore are validated, restored data are complete).
"""

from __future__ import annotations

import json
import threading
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import inspect, select, table, text
from typer.testing import CliRunner

from mexards.cli.main import app
from mexards.domain.identifier import ParticipantId
from mexards.persistence.allocation import AllocationSlotRow
from mexards.persistence.audit import record_event
from mexards.persistence.backup import libpq_environment, read_manifest
from mexards.persistence.database import Database
from mexards.services.allocation import randomize_participant
from tests.integration.trial_setup import COORDINATOR, uow
from tests.reliability.trial_data import populated_database

runner = CliRunner()


def contents(url: str) -> dict[str, list[tuple[str, ...]]]:
    """Every row of every table, as sorted text tuples (comparable across two databases)."""
    db = Database(url)
    try:
        with db.engine.connect() as conn:
            out = {}
            for name in sorted(inspect(conn).get_table_names()):
                rows = conn.execute(select(text("*")).select_from(table(name))).all()
                out[name] = sorted(tuple(str(v) for v in row) for row in rows)
            return out
    finally:
        db.dispose()


def cli(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


def test_a_backup_restored_into_an_empty_database_holds_every_row_and_verifies(
    db_url: str, empty_database_url: Callable[[], str], tmp_path: Path
) -> None:
    db, _ = populated_database(db_url)
    db.dispose()
    archive = tmp_path / "trial.mexards-backup"
    code, output = cli("db", "backup", "--db", db_url, "--out", str(archive))
    assert code == 0, output
    manifest = read_manifest(archive)
    assert manifest.row_counts["participant"] == 12 and manifest.row_counts["slot_use"] == 6
    assert manifest.audit_problems == 0 and manifest.audit_head_seq == manifest.row_counts["audit_log"]

    target = empty_database_url()
    code, output = cli("db", "restore", "--db", target, "--from", str(archive))
    assert code == 0, output
    assert "restore verified" in output
    assert contents(target) == contents(db_url)
    code, output = cli("audit", "verify", "--db", target)
    assert code == 0 and "audit trail intact" in output, output


def test_the_restored_trial_goes_on_and_its_audit_chain_continues(
    db_url: str, empty_database_url: Callable[[], str], tmp_path: Path
) -> None:
    db, clock = populated_database(db_url)
    db.dispose()
    archive = tmp_path / "b.zip"
    assert cli("db", "backup", "--db", db_url, "--out", str(archive))[0] == 0
    target = empty_database_url()
    assert cli("db", "restore", "--db", target, "--from", str(archive))[0] == 0
    restored = Database(target)
    try:
        randomize_participant(uow(restored, clock), COORDINATOR, ParticipantId("P0007"))
    finally:
        restored.dispose()
    code, output = cli("audit", "verify", "--db", target)
    assert code == 0, output
    assert read_manifest(archive).row_counts["slot_use"] == 6
    assert len(contents(target)["slot_use"]) == 7


def test_a_backup_taken_while_writers_commit_is_one_consistent_snapshot(
    db_url: str, empty_database_url: Callable[[], str], tmp_path: Path
) -> None:
    db, _ = populated_database(db_url, participants=3, randomized=0)
    stop = threading.Event()
    written: list[int] = []

    def writer() -> None:
        n = 0
        while not stop.is_set() and n < 5000:
            with db.unit_of_work("writer", "coordinator") as u:
                record_event(u.session, "export", "trial", "T", {"n": n})
                u.commit()
            n += 1
            written.append(n)

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        while len(written) < 20:
            stop.wait(0.01)
        archive = tmp_path / "online.zip"
        code, output = cli("db", "backup", "--db", db_url, "--out", str(archive))
        during = len(written)
    finally:
        stop.set()
        thread.join(timeout=60)
    assert code == 0, output
    assert len(written) > during or not thread.is_alive()  # the writers were not blocked by the backup
    target = empty_database_url()
    code, output = cli("db", "restore", "--db", target, "--from", str(archive))
    assert code == 0 and "restore verified" in output, output
    with db.engine.connect() as conn:
        total = conn.scalar(text("SELECT count(*) FROM audit_log"))
    assert read_manifest(archive).row_counts["audit_log"] < total
    db.dispose()


def test_a_damaged_payload_is_refused_before_anything_is_written(
    db_url: str, empty_database_url: Callable[[], str], tmp_path: Path
) -> None:
    populated_database(db_url, participants=3, randomized=1)[0].dispose()
    archive = tmp_path / "b.zip"
    assert cli("db", "backup", "--db", db_url, "--out", str(archive))[0] == 0
    manifest = read_manifest(archive)
    with zipfile.ZipFile(archive) as src:
        payload = bytearray(src.read(manifest.payload))
        text_manifest = src.read("manifest.json")
    payload[len(payload) // 2] ^= 0xFF
    damaged = tmp_path / "damaged.zip"
    with zipfile.ZipFile(damaged, "w") as dst:
        dst.writestr("manifest.json", text_manifest)
        dst.writestr(manifest.payload, bytes(payload))
    target = empty_database_url()
    code, output = cli("db", "restore", "--db", target, "--from", str(damaged))
    assert code == 2
    assert "from: the payload does not match the manifest's SHA-256" in output
    assert all(rows == [] for rows in contents(target).values())
    assert "audit_log" not in contents(target)


def test_a_manifest_that_disagrees_with_the_restored_rows_fails_verification_naming_the_table(
    db_url: str, empty_database_url: Callable[[], str], tmp_path: Path
) -> None:
    populated_database(db_url, participants=3, randomized=1)[0].dispose()
    archive = tmp_path / "b.zip"
    assert cli("db", "backup", "--db", db_url, "--out", str(archive))[0] == 0
    with zipfile.ZipFile(archive) as src:
        manifest = json.loads(src.read("manifest.json"))
        payload = src.read(manifest["payload"])
    manifest["row_counts"]["participant"] += 1
    edited = tmp_path / "edited.zip"
    with zipfile.ZipFile(edited, "w") as dst:
        dst.writestr("manifest.json", json.dumps(manifest))
        dst.writestr(manifest["payload"], payload)
    code, output = cli("db", "restore", "--db", empty_database_url(), "--from", str(edited))
    assert code == 1
    assert "table participant: 3 rows, the backup has 4" in output
    assert "restore NOT verified" in output


def test_restore_refuses_a_database_holding_trial_tables_unless_told_to_replace_them(
    db_url: str, tmp_path: Path
) -> None:
    db, clock = populated_database(db_url, participants=6, randomized=2)
    archive = tmp_path / "b.zip"
    assert cli("db", "backup", "--db", db_url, "--out", str(archive))[0] == 0
    before = contents(db_url)
    randomize_participant(uow(db, clock), COORDINATOR, ParticipantId("P0003"))
    db.dispose()
    code, output = cli("db", "restore", "--db", db_url, "--from", str(archive))
    assert code == 2 and "db: " in output and "--replace" in output
    assert len(contents(db_url)["slot_use"]) == 3
    code, output = cli("db", "restore", "--db", db_url, "--from", str(archive), "--replace")
    assert code == 0 and "restore verified" in output, output
    assert contents(db_url) == before


def test_a_backup_never_overwrites_an_existing_file(db_url: str, tmp_path: Path) -> None:
    populated_database(db_url, participants=3, randomized=0)[0].dispose()
    archive = tmp_path / "b.zip"
    archive.write_bytes(b"an older backup")
    code, output = cli("db", "backup", "--db", db_url, "--out", str(archive))
    assert code == 2 and "out: the file exists" in output
    assert archive.read_bytes() == b"an older backup"


def test_a_tampered_database_is_backed_up_but_flagged_and_its_restore_not_verified_without_showing_arms(
    db_url: str, empty_database_url: Callable[[], str], tmp_path: Path
) -> None:
    db, _ = populated_database(db_url, participants=6, randomized=3)
    with db.sessions() as session:
        slot = session.scalars(select(AllocationSlotRow).order_by(AllocationSlotRow.sequence_number)).first()
        assert slot is not None
        arms = {row.arm_code for row in session.scalars(select(AllocationSlotRow))}
        key = (slot.list_id, slot.stratum, slot.sequence_number)
        other = sorted(arms - {slot.arm_code})[0]
    with db.engine.begin() as conn:  # behind the system's back: no audit entry
        conn.execute(
            text("UPDATE allocation_slot SET arm_code = :arm WHERE list_id = :l AND stratum = :s"
                 " AND sequence_number = :n"),
            {"arm": other, "l": key[0], "s": key[1], "n": key[2]},
        )  # fmt: skip
    db.dispose()
    archive = tmp_path / "b.zip"
    code, output = cli("db", "backup", "--db", db_url, "--out", str(archive))
    assert code == 1 and "NOT intact" in output
    code, output = cli("db", "restore", "--db", empty_database_url(), "--from", str(archive))
    assert code == 1 and "restore NOT verified" in output
    assert "allocation_slot" in output and "arm_code" in output
    for arm in arms:
        assert f"'{arm}'" not in output


def test_a_file_that_is_not_a_backup_is_refused_naming_the_option(tmp_path: Path) -> None:
    target = f"sqlite:///{tmp_path / 't.sqlite'}"
    not_zip = tmp_path / "notes.txt"
    not_zip.write_text("hello")
    assert cli("db", "restore", "--db", target, "--from", str(not_zip)) == (
        2, "from: not a mexards-backup/1 archive (not a zip file)\n"
    )  # fmt: skip
    no_manifest = tmp_path / "other.zip"
    with zipfile.ZipFile(no_manifest, "w") as z:
        z.writestr("database.sqlite", b"x")
    code, output = cli("db", "restore", "--db", target, "--from", str(no_manifest))
    assert code == 2 and "from: not a mexards-backup/1 archive (no manifest.json)" in output
    code, output = cli("db", "restore", "--db", target, "--from", str(tmp_path / "missing.zip"))
    assert code == 2 and "from: the backup file does not exist" in output


def test_a_backup_is_restored_only_into_the_same_kind_of_database(tmp_path: Path) -> None:
    source = tmp_path / "s.sqlite"
    populated_database(f"sqlite:///{source}", participants=3, randomized=0)[0].dispose()
    archive = tmp_path / "b.zip"
    assert cli("db", "backup", "--db", str(source), "--out", str(archive))[0] == 0
    with zipfile.ZipFile(archive) as src:
        manifest = json.loads(src.read("manifest.json"))
    manifest.update(dialect="postgresql", payload="database.pgdump")
    relabelled = tmp_path / "pg.zip"
    with zipfile.ZipFile(relabelled, "w") as dst:
        dst.writestr("manifest.json", json.dumps(manifest))
    code, output = cli("db", "restore", "--db", str(tmp_path / "t.sqlite"), "--from", str(relabelled))
    assert code == 2
    assert "from: a postgresql backup can only be restored into a postgresql database" in output


@pytest.mark.parametrize("password", ["s3cret-Pa55", "with spaces & symbols"])
def test_the_database_password_reaches_pg_dump_by_the_environment_not_its_arguments(password: str) -> None:
    from urllib.parse import quote

    env = libpq_environment(f"postgresql+psycopg://alice:{quote(password)}@db.local:5433/trial?sslmode=require")
    assert env["PGPASSWORD"] == password
    where = (env["PGUSER"], env["PGHOST"], env["PGPORT"], env["PGDATABASE"])
    assert where == ("alice", "db.local", "5433", "trial")
    assert env["PGSSLMODE"] == "require"
