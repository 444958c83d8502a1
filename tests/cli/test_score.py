"""`mexards score NAME INPUT [--json]` (docs/clinical.md "Command line")."""

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mexards.cli.main import app

runner = CliRunner()


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def run_json(*args: str) -> object:
    result = runner.invoke(app, ["score", *args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_berlin_json_object_gives_one_result_with_the_exact_ratio(tmp_path: Path) -> None:
    path = write(
        tmp_path, "b.json", '{"pao2_mmhg": 114, "fio2_fraction": 0.57, "peep_cmh2o": 10, "support": "invasive"}'
    )
    out = run_json("berlin", str(path))
    assert isinstance(out, dict)
    assert out["category"] == "MODERATE"
    assert out["pf_ratio"] == 200


def test_berlin_accepts_pao2_in_kpa(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "b.json",
        '{"pao2": 7.9, "pao2_unit": "kPa", "fio2_fraction": 0.6, "peep_cmh2o": 12, "support": "invasive"}',
    )
    assert run_json("berlin", str(path))["category"] == "SEVERE"  # type: ignore[index]


def test_berlin_unknown_imaging_from_an_empty_csv_cell_is_not_assessable(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "b.csv",
        "pao2_mmhg,fio2_fraction,peep_cmh2o,support,bilateral_opacities\n80,0.5,10,invasive,\n80,0.5,10,invasive,no\n",
    )
    out = run_json("berlin", str(path))
    assert isinstance(out, list)
    assert [row["category"] for row in out] == ["NOT_ASSESSABLE", "NOT_ARDS"]


def test_murray_csv_gives_one_row_per_line_with_components(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "m.csv",
        "id,cxr_quadrants,pf_ratio,peep_cmh2o,compliance_ml_cmh2o\nM01,4,90,16,18\nM03,3,150,12,\nM06,3,160,9,45\n",
    )
    out = run_json("murray", str(path))
    assert isinstance(out, list)
    assert [row["id"] for row in out] == ["M01", "M03", "M06"]
    assert [row["score"] for row in out] == [4, 3, 2.5]
    assert out[1]["components"] == {"cxr": 3, "pf_ratio": 3, "peep": 3}


def test_sofa_json_reports_components_total_and_completeness(tmp_path: Path) -> None:
    record = {
        "pf_ratio": 150,
        "respiratory_support": True,
        "platelets_10e3_ul": 120,
        "bilirubin_mg_dl": 1.5,
        "map_mmhg": 72,
        "norepinephrine_ug_kg_min": 0.08,
        "gcs": 15,
        "creatinine_mg_dl": 1.6,
        "urine_output_ml_day": 900,
    }
    out = run_json("sofa", str(write(tmp_path, "s.json", json.dumps(record))))
    assert out["total"] == 9  # type: ignore[index]
    assert out["complete"] is True  # type: ignore[index]
    assert out["components"]["cardiovascular"] == 3  # type: ignore[index]


def test_child_pugh_accepts_words(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "c.json",
        '{"bilirubin_mg_dl": 3.5, "albumin_g_dl": 2.7, "inr": 2.0, "ascites": "mild", "encephalopathy": "grade 1-2"}',
    )
    out = run_json("child-pugh", str(path))
    assert out["total"] == 12  # type: ignore[index]
    assert out["child_class"] == "C"  # type: ignore[index]


def test_bmi_float_trap_is_exactly_28(tmp_path: Path) -> None:
    out = run_json("bmi", str(write(tmp_path, "w.json", '{"weight_kg": 80.92, "height_cm": 170}')))
    assert out["bmi_exact"] == "28"  # type: ignore[index]


def test_pbw_reports_tidal_volume_and_warnings(tmp_path: Path) -> None:
    out = run_json("pbw", str(write(tmp_path, "p.csv", "sex,height_cm\nmale,175\nfemale,150\n")))
    assert isinstance(out, list)
    assert out[0]["predicted_body_weight_kg"] == pytest.approx(70.566)
    assert out[0]["tidal_volume_ml"] == pytest.approx(423.396)
    assert out[1]["warnings"]


def test_vfd_reads_day_ranges_from_csv(tmp_path: Path) -> None:
    out = run_json("vfd", str(write(tmp_path, "v.csv", "id,ventilated_days\nV01,0-9\nV04,0-4;8-11\n")))
    assert isinstance(out, list)
    assert [(row["total"], row["ardsnet"]) for row in out] == [(18, 18), (19, 16)]


def test_vfd_reads_a_json_list_of_days(tmp_path: Path) -> None:
    path = write(tmp_path, "v.json", '{"ventilated_days": [0, 1, 2], "convention": "total", "death_day": null}')
    assert run_json("vfd", str(path))["value"] == 25  # type: ignore[index]


def test_table_output_for_people(tmp_path: Path) -> None:
    result = runner.invoke(app, ["score", "bmi", str(write(tmp_path, "w.json", '{"weight_kg": 80, "height_cm": 170}'))])
    assert result.exit_code == 0
    assert "bmi_1dp" in result.stdout
    assert "27.7" in result.stdout


def test_bad_values_exit_2_with_field_and_rule_lines(tmp_path: Path) -> None:
    path = write(tmp_path, "w.csv", "weight_kg,height_cm\n80,170\nheavy,170\n80,\n")
    result = runner.invoke(app, ["score", "bmi", str(path)])
    assert result.exit_code == 2
    assert "row 2.weight_kg: must be a number" in result.stderr
    assert "row 3.height_cm: is required" in result.stderr


def test_unknown_input_field_is_rejected(tmp_path: Path) -> None:
    result = runner.invoke(app, ["score", "bmi", str(write(tmp_path, "w.json", '{"weight": 80, "height_cm": 170}'))])
    assert result.exit_code == 2
    assert "weight: is not an input of bmi" in result.stderr


def test_unknown_score_name_is_rejected(tmp_path: Path) -> None:
    result = runner.invoke(app, ["score", "apache", str(write(tmp_path, "x.json", "{}"))])
    assert result.exit_code == 2
    assert "name: must be one of" in result.stderr


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("x.txt", "", "input: must be a .json or .csv file"),
        ("x.json", "{", "input: is not valid JSON"),
        ("x.json", "[1]", "input: must be a JSON object"),
    ],
)
def test_unreadable_inputs_are_rejected(tmp_path: Path, name: str, text: str, message: str) -> None:
    result = runner.invoke(app, ["score", "bmi", str(write(tmp_path, name, text))])
    assert result.exit_code == 2
    assert message in result.stderr


def test_missing_file_is_rejected(tmp_path: Path) -> None:
    result = runner.invoke(app, ["score", "bmi", str(tmp_path / "none.json")])
    assert result.exit_code == 2
    assert "input: file not found" in result.stderr


def test_the_command_is_documented_in_help() -> None:
    result = runner.invoke(app, ["score", "--help"])
    assert result.exit_code == 0
    assert "child-pugh" in result.stdout
