"""``mexards randomization generate-list`` and ``status`` on a real SQLite file, through the use cases."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from mexards.cli.main import app
from mexards.persistence.database import Database
from mexards.services.allocation import randomize_participant
from tests.integration.trial_setup import (
    COORDINATOR,
    SteppingClock,
    enrolled_participants,
    open_database,
    phase2_trial,
    uow,
)

runner = CliRunner()


def _phase2_database(tmp_path: Path) -> tuple[Path, Database, SteppingClock]:
    path = tmp_path / "trial.sqlite"
    db = open_database(f"sqlite:///{path}")
    clock = SteppingClock()
    phase2_trial(db, clock)
    return path, db, clock


def test_generate_list_stores_a_sealed_list_and_prints_its_seal_but_no_arm_or_seed(tmp_path: Path) -> None:
    path, db, _ = _phase2_database(tmp_path)
    args = ["randomization", "generate-list", "--db", str(path), "--user", "ustat1", "--seed", "424242"]
    result = runner.invoke(app, [*args, "--size", "6"])
    assert result.exit_code == 0, result.output
    assert "sha256 " in result.output and "berlin_severity=MILD" in result.output
    assert "p2_" not in result.output and "424242" not in result.output
    again = runner.invoke(app, [*args, "--size", "6"])
    assert again.exit_code == 2 and "already" in again.stderr
    db.dispose()


def test_generate_list_takes_per_stratum_sizes_and_refuses_a_blinded_role(tmp_path: Path) -> None:
    path, db, _ = _phase2_database(tmp_path)
    base = ["randomization", "generate-list", "--db", str(path), "--user", "u1", "--seed", "1"]
    refused = runner.invoke(app, [*base, "--role", "investigator", "--size", "3"])
    assert refused.exit_code == 2
    missing = runner.invoke(app, base)
    assert missing.exit_code == 2 and "size" in missing.stderr
    strata = [f"--strata=berlin_severity={level}={n}" for level, n in (("MILD", 3), ("MODERATE", 9), ("SEVERE", 6))]
    result = runner.invoke(app, [*base, *strata])
    assert result.exit_code == 0, result.stderr
    slots = int(result.output.split(" slots in 3 strata")[0].split()[-1])
    assert 18 <= slots <= 18 + 3 * 5  # whole blocks of 3 or 6 are kept, so a stratum may hold a few more
    db.dispose()


def test_status_counts_used_and_unused_slots_per_stratum_without_arms(tmp_path: Path) -> None:
    path, db, clock = _phase2_database(tmp_path)
    gen = ["randomization", "generate-list", "--db", str(path), "--user", "ustat1", "--seed", "5", "--size", "6"]
    assert runner.invoke(app, gen).exit_code == 0
    for pid in enrolled_participants(db, clock, 4, ("MODERATE", "SEVERE")):
        randomize_participant(uow(db, clock), COORDINATOR, pid)
    result = runner.invoke(app, ["randomization", "status", "--db", str(path), "--user", "ustat1"])
    assert result.exit_code == 0, result.output
    lines = {line.split()[0]: line.split()[1:] for line in result.output.splitlines()[1:]}
    assert lines["berlin_severity=MODERATE"][1:] == ["2", str(int(lines["berlin_severity=MODERATE"][0]) - 2)]
    assert lines["berlin_severity=MILD"][1] == "0"
    assert "p2_" not in result.output
    blinded = runner.invoke(
        app, ["randomization", "status", "--db", str(path), "--user", "c1", "--role", "coordinator"]
    )
    assert blinded.exit_code == 2
    db.dispose()
