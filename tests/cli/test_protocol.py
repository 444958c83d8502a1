"""``mexards protocol list | show | validate``."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from mexards.cli.main import app
from mexards.protocol.catalog import builtin_protocol_text

runner = CliRunner()


def test_list_shows_the_three_built_in_protocols() -> None:
    result = runner.invoke(app, ["protocol", "list", "--json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert [r["registry_id"] for r in rows] == ["NCT01902082", "NCT04313647", "NCT04602104"]
    assert rows[2]["exclusion"] == 21
    table = runner.invoke(app, ["protocol", "list"])
    assert table.exit_code == 0 and "NCT04313647" in table.stdout


def test_show_prints_the_summary_for_people_and_machines() -> None:
    result = runner.invoke(app, ["protocol", "show", "NCT04602104"])
    assert result.exit_code == 0, result.output
    assert "MEXARDS" in result.stdout and "E21" in result.stdout and "1.4×10^9" in result.stdout
    data = json.loads(runner.invoke(app, ["protocol", "show", "nct04313647", "--json"]).stdout)
    assert data["org_study_id"] == "MEXVT" and len(data["arms"]) == 5


def test_show_yaml_prints_a_file_that_validates(tmp_path: Path) -> None:
    text = runner.invoke(app, ["protocol", "show", "NCT01902082", "--yaml"]).stdout
    path = tmp_path / "copy.yaml"
    path.write_text(text, encoding="utf-8")
    result = runner.invoke(app, ["protocol", "validate", str(path)])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("valid: NCT01902082 (5 inclusion, 6 exclusion criteria")


def test_show_of_an_unknown_protocol_exits_2() -> None:
    result = runner.invoke(app, ["protocol", "show", "NCT00000001"])
    assert result.exit_code == 2
    assert "no built-in protocol" in result.stderr


def test_validate_reports_every_problem_as_field_rule_lines(tmp_path: Path) -> None:
    text = builtin_protocol_text("NCT04602104")
    text = text.replace("design: {name: 3+3, assumed: true}", "design: {name: BOIN, target: 1.3}")
    text = text.replace("interventions: [exo_mtd]", "interventions: [exo_unknown]")
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    result = runner.invoke(app, ["protocol", "validate", str(path)])
    assert result.exit_code == 2
    assert result.stderr.splitlines() == ["phase1.design.target: must be between 0 and 1"]
    path.write_text(text.replace("target: 1.3", "target: 0.3"), encoding="utf-8")
    second = runner.invoke(app, ["protocol", "validate", str(path)])
    assert second.stderr.splitlines() == ["arms[4].interventions[0]: unknown intervention 'exo_unknown'"]


def test_validate_of_a_missing_file_exits_2(tmp_path: Path) -> None:
    result = runner.invoke(app, ["protocol", "validate", str(tmp_path / "none.yaml")])
    assert result.exit_code == 2 and "file not found" in result.stderr


def test_patient_schema_describes_the_record_that_screen_reads() -> None:
    import jsonschema

    from mexards.protocol import example_patients

    result = runner.invoke(app, ["protocol", "patient-schema", "NCT04313647"])
    assert result.exit_code == 0, result.output
    schema = json.loads(result.stdout)
    assert schema["required"] == ["screening_at"]
    assert "heart_normal" in schema["properties"]["labs"]["properties"]
    for record in example_patients("NCT04313647"):
        jsonschema.validate(record, schema)
    mexards = json.loads(runner.invoke(app, ["protocol", "patient-schema"]).stdout)
    for record in example_patients("NCT04602104"):
        jsonschema.validate(record, mexards)
