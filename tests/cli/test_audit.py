"""``mexards audit log``: the trail filtered by entity and id, as text or JSON, blinded by default."""

from __future__ import annotations

import json
from pathlib import Path

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


def _randomized_trial(tmp_path: Path) -> tuple[Path, Database]:
    path = tmp_path / "trial.sqlite"
    db = open_database(f"sqlite:///{path}")
    clock = SteppingClock()
    phase2_trial(db, clock)
    generate_allocation_list(uow(db, clock), UNBLINDED_STATISTICIAN, mexards_protocol(), 3, seed=99)
    for pid in enrolled_participants(db, clock, 2, ("MILD",)):
        randomize_participant(uow(db, clock), COORDINATOR, pid)
    return path, db


def test_audit_log_filters_by_entity_and_id_and_shows_who_what_and_why(tmp_path: Path) -> None:
    path, db = _randomized_trial(tmp_path)
    result = runner.invoke(app, ["audit", "log", "--db", str(path), "--entity", "participant", "--id", "P0001"])
    assert result.exit_code == 0, result.output
    assert "coord1 (coordinator) insert participant P0001" in result.output
    assert "ParticipantRandomized participant P0001" in result.output
    assert "reason: workflow: ParticipantRandomized" in result.output
    assert "P0002" not in result.output
    limited = runner.invoke(app, ["audit", "log", "--db", str(path), "--limit", "2", "--json"])
    entries = json.loads(limited.output)
    assert len(entries) == 2 and entries[0]["seq"] < entries[1]["seq"]
    db.dispose()


def test_audit_log_masks_arms_blocks_and_seed_unless_an_unblinded_role_asks(tmp_path: Path) -> None:
    path, db = _randomized_trial(tmp_path)
    args = ["audit", "log", "--db", str(path), "--entity", "allocation_slot", "--json", "--limit", "500"]
    blinded = json.loads(runner.invoke(app, args).output)
    assert blinded and all(e["changes"]["arm_code"] == ["[blinded]", "[blinded]"] for e in blinded)
    assert "p2_" not in json.dumps(blinded)
    listing = runner.invoke(app, ["audit", "log", "--db", str(path), "--entity", "allocation_list"])
    assert "seed_entropy: '[blinded]'" in listing.output and "scheme: '[blinded]'" in listing.output
    refused = runner.invoke(app, [*args, "--unblinded", "--user", "inv1", "--role", "investigator"])
    assert refused.exit_code == 2
    shown = runner.invoke(app, [*args, "--unblinded", "--user", "ph1", "--role", "pharmacist"])
    assert shown.exit_code == 0, shown.output
    assert {e["changes"]["arm_code"][1] for e in json.loads(shown.output)} <= {"p2_quarter_mtd", "p2_mtd", "p2_control"}
    viewed = runner.invoke(app, ["audit", "log", "--db", str(path), "--entity", "audit_log"])
    assert "ph1 (pharmacist) unblinded_audit_view" in viewed.output
    assert runner.invoke(app, ["audit", "verify", "--db", str(path)]).exit_code == 0
    db.dispose()
