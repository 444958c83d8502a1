"""``mexards db`` and ``mexards audit`` on a real SQLite file."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from typer.testing import CliRunner

from mexards.cli.main import app
from mexards.persistence.audit import record_event
from mexards.persistence.database import Database

runner = CliRunner()


def test_db_upgrade_creates_the_schema_and_db_check_confirms_it(tmp_path: Path) -> None:
    path = tmp_path / "trial.sqlite"
    result = runner.invoke(app, ["db", "upgrade", "--db", str(path)])
    assert result.exit_code == 0, result.output
    assert "schema at revision" in result.output
    result = runner.invoke(app, ["db", "check", "--db", str(path)])
    assert result.exit_code == 0 and "schema ok" in result.output


def test_db_check_fails_on_a_database_that_was_never_upgraded(tmp_path: Path) -> None:
    result = runner.invoke(app, ["db", "check", "--db", str(tmp_path / "empty.sqlite")])
    assert result.exit_code == 1


def test_audit_verify_passes_on_an_intact_trail_and_names_the_entry_after_tampering(tmp_path: Path) -> None:
    path = tmp_path / "trial.sqlite"
    assert runner.invoke(app, ["db", "upgrade", "--db", str(path)]).exit_code == 0
    db = Database(f"sqlite:///{path}")
    for n in range(3):
        with db.unit_of_work("u1", "coordinator") as uow:
            record_event(uow.session, "export", "trial", "T1", {"n": n})
            uow.commit()
    db.dispose()
    result = runner.invoke(app, ["audit", "verify", "--db", str(path)])
    assert result.exit_code == 0 and "intact" in result.output
    with sqlite3.connect(path) as conn:
        conn.execute("DROP TRIGGER audit_log_no_update")
        conn.execute("UPDATE audit_log SET changes = '{\"n\":9}' WHERE seq = 2")
    result = runner.invoke(app, ["audit", "verify", "--db", str(path)])
    assert result.exit_code == 1
    assert "audit seq 2" in result.output
