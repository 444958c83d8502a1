"""``mexards demo``: a whole in-silico trial on a fresh SQLite database, its exports, the audit check, the
determinism by seed, and the time of the default run (issue 7: under 60 s on the 2-core machine)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mexards.cli.main import app
from mexards.reporting import read_xpt

runner = CliRunner()
SMALL = ["--participants", "6", "--seed", "3"]


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, str]:
    root = tmp_path_factory.mktemp("demo")
    first = runner.invoke(app, ["demo", *SMALL, "--out", str(root / "a")])
    assert first.exit_code == 0, first.output
    second = runner.invoke(app, ["demo", *SMALL, "--out", str(root / "b")])
    assert second.exit_code == 0, second.output
    return root / "a", root / "b", first.stdout


def test_the_demo_summarises_the_protocol_then_runs_the_trial(runs: tuple[Path, Path, str]) -> None:
    out = runs[2]
    assert "NCT04602104" in out and "Phase 1" in out and "Outcome measures" in out
    assert "The in-silico trial (scenario mexards, seed 3)" in out
    assert "MTD declared and approved" in out and "Phase 2 randomized" in out


def test_the_demo_writes_the_database_exports_and_manifest(runs: tuple[Path, Path, str]) -> None:
    folder = runs[0]
    expected = ["mexards-demo.sqlite", "report.html", "report.pdf", "consort.svg", "consort.png",
                "registry_results.json", "odm/NCT04602104_odm.xml", "sdtm/ts.xpt", "sdtm/ts.csv",
                "fhir/NCT04602104_fhir_bundle.json", "registry/NCT04602104_protocol_section.json", "demo.json"]
    for name in expected:
        assert (folder / name).is_file(), name
    results = json.loads((folder / "registry_results.json").read_text())["resultsSection"]
    groups = [g["title"] for g in results["participantFlowModule"]["groups"]]
    assert "Phase 2: control group" in groups  # by arm: the database is locked, read by the unblinded statistician
    assert "<svg" in (folder / "report.html").read_text()
    manifest = json.loads((folder / "demo.json").read_text())
    assert manifest["randomized"] == 6 and manifest["seed"] == 3 and manifest["scenario"] == "mexards"
    assert sum(manifest["by_state"].values()) == manifest["screened"]
    assert "odm/NCT04602104_odm.xml" in manifest["files"]


def test_the_demo_verifies_its_audit_trail_and_says_how_to_open_it(runs: tuple[Path, Path, str]) -> None:
    out = " ".join(runs[2].split())
    database = runs[0] / "mexards-demo.sqlite"
    assert "audit trail intact" in out and "mexards serve --db" in out
    verified = runner.invoke(app, ["audit", "verify", "--db", str(database)])
    assert verified.exit_code == 0, verified.output
    assert "audit trail intact" in verified.stdout


def test_the_cast_has_accounts_that_log_in_with_the_demo_password(runs: tuple[Path, Path, str]) -> None:
    from mexards import bootstrap
    from mexards.api.password import Argon2PasswordHasher
    from mexards.cli.demo import DEMO_PASSWORD
    from mexards.services import account

    assert "log in as one of admin, demo-admin, demo-pi" in " ".join(runs[2].split())
    database = bootstrap.open_database(str(runs[0] / "mexards-demo.sqlite"), upgrade=False)
    try:
        accounts = bootstrap.account_unit_of_work_factory(database)
        reauthenticated = {e.actor_id for e in bootstrap.audit_log(database, entity="account_access", limit=500)
                           if e.action == "reauthenticated"}
        assert reauthenticated == {"demo-statistician", "demo-pi"}  # the two MTD signatures
        issued = account.login(accounts(), Argon2PasswordHasher(), "demo-pharmacist", DEMO_PASSWORD, "api")
        assert issued.user.role.value == "pharmacist"
        assert bootstrap.audit_problems(database) == []
    finally:
        database.dispose()


def test_the_same_seed_gives_the_same_outputs_byte_for_byte_except_transport_file_headers(
    runs: tuple[Path, Path, str],
) -> None:
    first, second = runs[0], runs[1]
    names = sorted(str(p.relative_to(first)) for p in first.rglob("*") if p.is_file() and "sqlite" not in p.name)
    assert names == sorted(str(p.relative_to(second)) for p in second.rglob("*")
                           if p.is_file() and "sqlite" not in p.name)
    for name in names:
        if name.endswith(".xpt"):  # SAS V5 transport headers carry the time the file was written
            a, b = read_xpt(first / name), read_xpt(second / name)
            assert a[0].equals(b[0]) and a[1:3] == b[1:3], name
        else:
            assert (first / name).read_bytes() == (second / name).read_bytes(), name


def test_an_existing_database_file_is_refused(tmp_path: Path) -> None:
    existing = tmp_path / "old.sqlite"
    existing.write_text("")
    result = runner.invoke(app, ["demo", "--db", str(existing), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert "db: must be a new database file" in result.output


def test_an_unknown_design_or_scenario_is_refused_naming_the_field(tmp_path: Path) -> None:
    bad_design = runner.invoke(app, ["demo", "--design", "mtpi", "--out", str(tmp_path)])
    assert bad_design.exit_code == 2 and "design: must be one of: 3+3, boin, crm" in bad_design.output
    bad_scenario = runner.invoke(app, ["demo", "--scenario", str(tmp_path / "none.yaml"), "--out", str(tmp_path)])
    assert bad_scenario.exit_code == 2


@pytest.mark.slow
def test_the_default_demo_finishes_in_under_60_seconds(tmp_path: Path) -> None:
    began = time.perf_counter()
    result = runner.invoke(app, ["demo", "--out", str(tmp_path / "demo")])
    elapsed = time.perf_counter() - began
    assert result.exit_code == 0, result.output
    assert elapsed < 60, f"the default demo took {elapsed:.1f} s"
    manifest = json.loads((tmp_path / "demo" / "demo.json").read_text())
    assert manifest["randomized"] == 60
