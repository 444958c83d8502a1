"""``mexards screen``: JSON and CSV input; table, JSON and CSV output; field errors."""

from __future__ import annotations

import csv
import io
import json
from importlib import resources
from pathlib import Path

from typer.testing import CliRunner

from mexards.cli.main import app
from mexards.protocol import example_patients

runner = CliRunner()
EXAMPLES = resources.files("mexards.protocol").joinpath("examples")


def write(tmp_path: Path, name: str, data: object) -> str:
    path = tmp_path / name
    path.write_text(json.dumps(data), encoding="utf-8")
    return str(path)


def test_one_patient_as_json_gives_one_object_with_verdict_and_criteria(tmp_path: Path) -> None:
    path = write(tmp_path, "p.json", example_patients("NCT04602104")[1])
    result = runner.invoke(app, ["screen", "--protocol", "NCT04602104", path, "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["verdict"] == "INELIGIBLE" and data["failing"] == ["I2", "E7", "E10"]
    assert {"id", "status", "reason"} <= set(data["criteria"][0])
    assert len(data["criteria"]) == 26


def test_a_csv_gives_one_output_row_per_patient() -> None:
    path = str(EXAMPLES.joinpath("NCT04602104.csv"))
    result = runner.invoke(app, ["screen", path, "--csv"])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [r["verdict"] for r in rows] == ["ELIGIBLE", "INELIGIBLE", "INELIGIBLE", "ELIGIBLE", "INELIGIBLE",
                                            "INELIGIBLE", "INCOMPLETE"]
    assert rows[1]["failing"] == "I2 E7 E10" and rows[1]["E10"] == "MET"
    assert rows[6]["missing"] == "E13 E17 E20 E21"


def test_a_csv_as_json_gives_a_list() -> None:
    result = runner.invoke(app, ["screen", str(EXAMPLES.joinpath("NCT04602104.csv")), "--json"])
    assert [p["patient_id"] for p in json.loads(result.stdout)][:2] == ["MX-001", "MX-002"]


def test_the_table_for_people_shows_every_criterion_and_the_verdict(tmp_path: Path) -> None:
    path = write(tmp_path, "p.json", example_patients("NCT04602104")[3])
    result = runner.invoke(app, ["screen", path])
    assert result.exit_code == 0, result.output
    assert "E21" in result.stdout and "ELIGIBLE" in result.stdout and "warning" in result.stdout


def test_several_patients_give_an_overview_table() -> None:
    result = runner.invoke(app, ["screen", str(EXAMPLES.joinpath("NCT04602104.json"))])
    assert result.exit_code == 0, result.output
    assert "MX-007" in result.stdout and "INCOMPLETE" in result.stdout


def test_a_setting_can_be_overridden_from_the_command_line(tmp_path: Path) -> None:
    path = write(tmp_path, "p.json", example_patients("NCT04602104")[3])
    literal = json.loads(runner.invoke(app, ["screen", path, "--json"]).stdout)
    start = json.loads(runner.invoke(app, ["screen", path, "--json", "--set", "exclusion3_join=or"]).stdout)
    assert (literal["verdict"], start["verdict"]) == ("ELIGIBLE", "INELIGIBLE")
    bad = runner.invoke(app, ["screen", path, "--set", "exclusion3_join"])
    assert bad.exit_code == 2 and "--set: must be NAME=VALUE" in bad.stderr


def test_bad_patient_data_exits_2_with_field_rule_lines(tmp_path: Path) -> None:
    record = dict(example_patients("NCT04602104")[0])
    record["anthropometry"] = {"weight_kg": "heavy", "height_cm": 176}
    record["sex"] = "unknown"
    path = write(tmp_path, "bad.json", record)
    result = runner.invoke(app, ["screen", path])
    assert result.exit_code == 2
    assert result.stderr.splitlines() == ["rows[1].sex: must be one of: male, female",
                                          "rows[1].anthropometry.weight_kg: must be a number"]


def test_invalid_json_and_missing_files_exit_2(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text("{oops", encoding="utf-8")
    assert runner.invoke(app, ["screen", str(path)]).exit_code == 2
    missing = runner.invoke(app, ["screen", str(tmp_path / "none.csv")])
    assert missing.exit_code == 2 and "file not found" in missing.stderr


def test_other_protocols_screen_their_own_patients(tmp_path: Path) -> None:
    path = write(tmp_path, "vt.json", example_patients("NCT04313647"))
    result = runner.invoke(app, ["screen", "-p", "NCT04313647", path, "--json"])
    assert [p["verdict"] for p in json.loads(result.stdout)] == ["ELIGIBLE", "INELIGIBLE"]


def test_standard_input_is_read_when_the_path_is_a_dash() -> None:
    text = json.dumps(example_patients("NCT04602104")[0])
    result = runner.invoke(app, ["screen", "-", "--json"], input=text)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["verdict"] == "ELIGIBLE"
