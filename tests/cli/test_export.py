"""``mexards export odm|sdtm|fhir|registry|page``, from a protocol and, with ``--db``, from a trial database."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from lxml import etree
from typer.testing import CliRunner

from mexards.cli.main import app
from mexards.protocol.catalog import builtin_protocol_text
from mexards.reporting.fhir import fhir_errors
from mexards.reporting.odm import ODM_NS, odm_errors
from mexards.reporting.registry import registry_errors
from mexards.reporting.sdtm_finding import arm_words
from mexards.reporting.transport import read_xpt
from mexards.services import trial
from tests.integration.trial_setup import open_database
from tests.unit.services.conftest import ADMIN, PROTOCOL
from tests.unit.services.fake import FakeClock
from tests.unit.services.test_results import SimulatedTrial, simulate_trial

runner = CliRunner()


def _paths(stdout: str) -> list[Path]:
    return [Path(line) for line in stdout.splitlines() if line.strip()]


def test_odm_writes_a_valid_document_and_prints_its_path(tmp_path: Path) -> None:
    result = runner.invoke(app, ["export", "odm", "--protocol", "NCT04602104", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert _paths(result.stdout) == [tmp_path / "NCT04602104_odm.xml"]
    assert odm_errors(tmp_path / "NCT04602104_odm.xml") == []


def test_sdtm_writes_xpt_and_csv_for_the_five_trial_design_datasets(tmp_path: Path) -> None:
    result = runner.invoke(app, ["export", "sdtm", "-p", "nct04313647", "-o", str(tmp_path / "sdtm")])
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in _paths(result.stdout))
    assert names == sorted(f"{d}.{e}" for d in ("ta", "te", "ti", "ts", "tv") for e in ("csv", "xpt"))
    frame, _, member, _ = read_xpt(tmp_path / "sdtm" / "ta.xpt")
    assert member == "TA" and set(frame["EPOCH"]) == {"SCREENING", "DOSE ESCALATION", "FOLLOW-UP"}


def test_fhir_and_registry_write_json_that_passes_their_checks(tmp_path: Path) -> None:
    fhir = runner.invoke(app, ["export", "fhir", "--protocol", "NCT01902082", "--out", str(tmp_path)])
    registry = runner.invoke(app, ["export", "registry", "--protocol", "NCT01902082", "--out", str(tmp_path)])
    assert fhir.exit_code == 0 and registry.exit_code == 0, fhir.output + registry.output
    bundle = json.loads(_paths(fhir.stdout)[0].read_text(encoding="utf-8"))
    record = json.loads(_paths(registry.stdout)[0].read_text(encoding="utf-8"))
    assert fhir_errors(bundle) == [] and registry_errors(record["protocolSection"]) == []


def test_page_writes_one_self_contained_html_file(tmp_path: Path) -> None:
    result = runner.invoke(app, ["export", "page", "--protocol", "NCT04602104", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    (path,) = _paths(result.stdout)
    html = path.read_text(encoding="utf-8")
    assert path.name == "NCT04602104.html" and "Related Clinical Trials" in html and "NCT01902082" in html
    assert "<script" not in html and "<link" not in html


def test_a_protocol_file_can_be_exported(tmp_path: Path) -> None:
    source = tmp_path / "copy.yaml"
    source.write_text(builtin_protocol_text("NCT04602104"), encoding="utf-8")
    result = runner.invoke(
        app, ["export", "registry", "--protocol", str(source), "--out", str(tmp_path / "o")]
    )
    assert result.exit_code == 0, result.output


def test_an_unknown_protocol_is_reported_and_nothing_is_written(tmp_path: Path) -> None:
    result = runner.invoke(app, ["export", "odm", "--protocol", "NCT00000000", "--out", str(tmp_path / "o")])
    assert result.exit_code == 2
    assert "no built-in protocol 'NCT00000000'" in result.stderr
    assert not (tmp_path / "o").exists()


def test_an_invalid_protocol_file_is_reported_as_field_and_rule(tmp_path: Path) -> None:
    source = tmp_path / "bad.yaml"
    source.write_text(
        builtin_protocol_text("NCT04602104").replace("phase: PHASE1/PHASE2", "phase: PHASE9"),
        encoding="utf-8",
    )
    result = runner.invoke(app, ["export", "fhir", "--protocol", str(source), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2
    assert "identification.phase:" in result.stderr
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("command", ["odm", "sdtm", "fhir", "registry", "page"])
def test_every_export_command_is_documented(command: str) -> None:
    result = runner.invoke(app, ["export", command, "--help"])
    assert result.exit_code == 0 and "--protocol" in result.stdout and "--out" in result.stdout
    docs = Path(__file__).resolve().parents[2] / "docs" / "exports.md"
    assert f"mexards export {command}" in docs.read_text(encoding="utf-8")


# --- with the trial's data (--db) ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def trial_db(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, SimulatedTrial]:
    """A real SQLite database filled through the use cases, database not yet locked."""
    path = tmp_path_factory.mktemp("export") / "trial.sqlite"
    db = open_database(f"sqlite:///{path}")
    clock = FakeClock()
    sim = simulate_trial(phase2_size=6, seed=13, uow=db.unit_of_work_factory(clock)(), clock=clock, lock=False)
    db.dispose()
    return path, sim


def _lock(path: Path) -> None:
    db = open_database(f"sqlite:///{path}")
    trial.lock_database(db.unit_of_work_factory(FakeClock())(), ADMIN)
    db.dispose()


def test_with_a_database_every_export_adds_the_clinical_data_masked_by_default(
    trial_db: tuple[Path, SimulatedTrial], tmp_path: Path
) -> None:
    path, sim = trial_db
    for kind in ("odm", "sdtm", "fhir", "registry"):
        result = runner.invoke(app, ["export", kind, "--db", str(path), "--out", str(tmp_path / kind)])
        assert result.exit_code == 0, result.output
    assert odm_errors(tmp_path / "odm" / "NCT04602104_odm.xml") == []
    dm, _, member, _ = read_xpt(tmp_path / "sdtm" / "dm.xpt")
    assert member == "DM" and set(dm["ARMCD"]) >= {"BLINDED"}
    bundle = json.loads((tmp_path / "fhir" / "NCT04602104_fhir_bundle.json").read_text(encoding="utf-8"))
    assert fhir_errors(bundle) == []
    subjects = [e for e in bundle["entry"] if e["resource"]["resourceType"] == "ResearchSubject"]
    assert len(subjects) == len(sim.phase1) + len(sim.phase2) + sim.ineligible + sim.incomplete + \
        sim.eligible_not_enrolled
    record = json.loads((tmp_path / "registry" / "NCT04602104_protocol_section.json").read_text(encoding="utf-8"))
    assert record["hasResults"] is True and "resultsSection" in record
    # the design (TA, ResearchStudy, arm Groups) names the arms; nothing about a participant may
    clinical = etree.fromstring((tmp_path / "odm" / "NCT04602104_odm.xml").read_bytes()).find(
        f"{{{ODM_NS}}}ClinicalData")
    subject_level = [etree.tostring(clinical, encoding="unicode"), json.dumps(subjects)]
    subject_level += [(tmp_path / "sdtm" / f"{d}.csv").read_text(encoding="utf-8")
                      for d in ("dm", "ds", "ex", "ae", "vs", "lb", "sv")]
    assert not any(word in text for text in subject_level for word in arm_words(PROTOCOL))


def test_an_unblinded_role_gets_treatment_groups_only_after_the_lock(
    trial_db: tuple[Path, SimulatedTrial], tmp_path: Path
) -> None:
    path, _ = trial_db
    args = ["export", "sdtm", "--db", str(path), "--as", "unblinded_statistician", "--user", "ustat1"]
    before = runner.invoke(app, [*args, "--out", str(tmp_path / "before")])
    assert before.exit_code == 0, before.output
    assert "Phase 2: control group" not in (tmp_path / "before" / "dm.csv").read_text(encoding="utf-8")
    page = runner.invoke(app, ["export", "page", "--db", str(path), "--out", str(tmp_path / "page-before")])
    assert "Results not yet posted" in (tmp_path / "page-before" / "NCT04602104.html").read_text(encoding="utf-8")
    _lock(path)
    after = runner.invoke(app, [*args, "--out", str(tmp_path / "after")])
    assert after.exit_code == 0, after.output
    assert "Phase 2: control group" in (tmp_path / "after" / "dm.csv").read_text(encoding="utf-8")
    blinded = runner.invoke(app, ["export", "sdtm", "--db", str(path), "--out", str(tmp_path / "blinded")])
    assert blinded.exit_code == 0, blinded.output
    assert "Phase 2: control group" not in (tmp_path / "blinded" / "dm.csv").read_text(encoding="utf-8")
    page = runner.invoke(app, ["export", "page", "--db", str(path), "--out", str(tmp_path / "page")])
    assert page.exit_code == 0, page.output
    html = (tmp_path / "page" / "NCT04602104.html").read_text(encoding="utf-8")
    assert "Participant flow: Overall Study" in html and "Phase 2: control group" in html


def test_without_a_database_a_protocol_is_required(tmp_path: Path) -> None:
    result = runner.invoke(app, ["export", "odm", "--out", str(tmp_path)])
    assert result.exit_code == 2 and "--protocol" in result.stderr
