"""``mexards report`` on a real SQLite database filled through the use cases."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mexards.cli.main import app
from tests.integration.trial_setup import open_database
from tests.unit.services.conftest import PROTOCOL
from tests.unit.services.fake import FakeClock
from tests.unit.services.test_results import SimulatedTrial, simulate_trial

runner = CliRunner()
EXTERNAL = re.compile(r"""(?:src|href)\s*=\s*["'](?!#|data:)|<link|<script|@import|url\((?!#)""", re.IGNORECASE)


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, SimulatedTrial]:
    path = tmp_path_factory.mktemp("report") / "trial.sqlite"
    db = open_database(f"sqlite:///{path}")
    clock = FakeClock()
    sim = simulate_trial(phase2_size=6, seed=11, uow=db.unit_of_work_factory(clock)(), clock=clock)
    db.dispose()
    return path, sim


def test_report_writes_the_html_pdf_consort_and_registry_files(database: tuple[Path, SimulatedTrial],
                                                              tmp_path: Path) -> None:
    path, sim = database
    result = runner.invoke(app, ["report", "--db", str(path), "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    names = {Path(line).name for line in result.output.split()}
    assert names == {"report.html", "report.pdf", "consort.svg", "consort.png", "registry_results.json"}
    html = (tmp_path / "out" / "report.html").read_text()
    assert "<svg" in html and not EXTERNAL.search(html)
    assert (tmp_path / "out" / "report.pdf").read_bytes().startswith(b"%PDF")
    section = json.loads((tmp_path / "out" / "registry_results.json").read_text())["resultsSection"]
    started = section["participantFlowModule"]["periods"][0]["milestones"][0]
    assert sum(int(a["numSubjects"]) for a in started["achievements"]) == len(sim.phase1) + len(sim.phase2)
    for arm in PROTOCOL.arms:  # blinded by default: Phase 2 pooled
        if arm.phase == 2:
            assert arm.label not in html and arm.label not in json.dumps(section)


def test_report_by_arm_needs_an_unblinded_role(database: tuple[Path, SimulatedTrial], tmp_path: Path) -> None:
    path, _ = database
    refused = runner.invoke(app, ["report", "--db", str(path), "--out", str(tmp_path / "a"), "--by-arm"])
    assert refused.exit_code == 2 and "unblinded role" in refused.stderr
    assert not (tmp_path / "a" / "report.html").exists()
    allowed = runner.invoke(app, ["report", "--db", str(path), "--out", str(tmp_path / "b"), "--by-arm",
                                  "--as", "unblinded_statistician", "--user", "ustat1"])
    assert allowed.exit_code == 0, allowed.output
    assert "Phase 2: control group" in (tmp_path / "b" / "report.html").read_text()


def test_report_names_the_field_of_a_bad_role(database: tuple[Path, SimulatedTrial], tmp_path: Path) -> None:
    path, _ = database
    result = runner.invoke(app, ["report", "--db", str(path), "--out", str(tmp_path), "--as", "astronaut"])
    assert result.exit_code == 2 and "role" in result.stderr


def test_report_without_a_trial_says_so(tmp_path: Path) -> None:
    open_database(f"sqlite:///{tmp_path / 'empty.sqlite'}").dispose()
    result = runner.invoke(app, ["report", "--db", str(tmp_path / "empty.sqlite"), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2 and "no trial" in result.stderr
