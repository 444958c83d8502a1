"""``mexards export odm|sdtm|fhir|registry|page``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mexards.cli.main import app
from mexards.protocol.catalog import builtin_protocol_text
from mexards.reporting.fhir import fhir_errors
from mexards.reporting.odm import odm_errors
from mexards.reporting.registry import registry_errors
from mexards.reporting.transport import read_xpt

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
