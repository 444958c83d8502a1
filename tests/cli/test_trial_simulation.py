"""`mexards simulate-trial` and `mexards simulate trial` (docs/whole-trial-simulation.md "Command line")."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from mexards.cli.main import app

runner = CliRunner()


def run_json(*args: str) -> dict[str, object]:
    result = runner.invoke(app, ["simulate-trial", *args, "--json", "--workers", "1"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert isinstance(data, dict)
    return data


def test_json_output_reports_selection_power_type_i_error_size_duration_and_seed() -> None:
    data = run_json("--trials", "600", "--seed", "3")
    assert data["trials"] == 600 and data["seed"] == 3
    assert data["scenario"] == "mexards" and data["protocol"] == "NCT04602104"
    assert len(data["p_select"]) == 3 and data["true_mtd"] == 2
    for key in (
        "p_correct_mtd",
        "p_phase2",
        "power",
        "type_i_error",
        "power_curve",
        "sample_size",
        "duration_days",
    ):
        assert key in data
    assert data["type_i_error"]["scale"] == 0.0 and data["power"]["scale"] == 1.0


def test_the_same_seed_prints_the_same_json() -> None:
    assert run_json("--trials", "400", "--seed", "9") == run_json("--trials", "400", "--seed", "9")


def test_simulate_trial_is_also_a_command_of_the_simulate_group() -> None:
    direct = run_json("--trials", "300", "--seed", "1")
    result = runner.invoke(
        app, ["simulate", "trial", "--trials", "300", "--seed", "1", "--json", "--workers", "1"]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == direct


def test_the_table_output_names_power_type_i_error_and_the_seed() -> None:
    result = runner.invoke(app, ["simulate-trial", "--trials", "300", "--seed", "4", "--workers", "1"])
    assert result.exit_code == 0, result.output
    for text in (
        "P(correct MTD)",
        "Power",
        "Type I error",
        "Expected sample size",
        "Expected duration",
        "seed 4",
    ):
        assert text in result.output


def test_plots_are_written_to_the_folder(tmp_path: Path) -> None:
    data = run_json("--trials", "300", "--seed", "2", "--plot", str(tmp_path / "plots"))
    written = [Path(p) for p in data["plots"]]  # type: ignore[union-attr]
    assert [p.name for p in written] == ["mtd_selection.png", "power_curve.png"]
    assert all(p.stat().st_size > 1000 for p in written)


def test_a_user_scenario_file_and_a_phase2_size_are_used(tmp_path: Path) -> None:
    path = tmp_path / "mine.yaml"
    path.write_text(
        "format_version: 1\nbase: mexards\nname: mine\ndose_toxicity: {dlt_probability: [0, 0, 0]}\n",
        encoding="utf-8",
    )
    data = run_json("--scenario", str(path), "--trials", "200", "--seed", "1", "--phase2-size", "60")
    assert data["scenario"] == "mine"
    assert data["p_select"] == [0.0, 0.0, 1.0]
    assert data["arm_sizes"] == {"p2_quarter_mtd": 20, "p2_mtd": 20, "p2_control": 20}


def test_a_bad_scenario_is_reported_by_field_with_exit_code_2(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("format_version: 1\nbase: mexards\nname: bad\ntrial: {alpha: 2}\n", encoding="utf-8")
    result = runner.invoke(app, ["simulate-trial", "--scenario", str(path), "--trials", "10"])
    assert result.exit_code == 2
    assert "trial.alpha: must be at most 0.5" in result.output


def test_an_unknown_scenario_and_a_bad_trial_count_are_refused() -> None:
    unknown = runner.invoke(app, ["simulate-trial", "--scenario", "nope", "--trials", "10"])
    assert unknown.exit_code == 2 and "no scenario 'nope'" in unknown.output
    zero = runner.invoke(app, ["simulate-trial", "--trials", "0"])
    assert zero.exit_code == 2 and "trials: must be at least 1" in zero.output
