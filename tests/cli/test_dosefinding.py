"""``mexards escalate`` and ``mexards design table`` through Typer's CliRunner."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from mexards.cli.main import app

runner = CliRunner()
BOIN3 = ["escalate", "--design", "boin", "--target", "0.25", "--doses", "3"]
README_SKELETON = "0.05,0.1,0.25,0.4,0.6"


def _json(args: list[str]) -> dict[str, object]:
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    data: dict[str, object] = json.loads(result.stdout)
    return data


def test_escalate_boin_prints_the_recommendation_and_the_reason() -> None:
    result = runner.invoke(app, [*BOIN3, "--outcomes", "1NNN 2NTN"])
    assert result.exit_code == 0, result.output
    assert "Recommended dose: 1" in result.output
    assert "1/3 = 0.33 >= de-escalation boundary 0.298" in result.output


def test_escalate_json_has_every_decision_field() -> None:
    data = _json([*BOIN3, "--outcomes", "1NNN 2NNN", "--json"])
    fields = (
        "recommended_dose",
        "should_continue",
        "stop_reason",
        "n_at_dose",
        "tox_at_dose",
        "empiric_tox_rate",
        "admissible_doses",
        "mtd",
        "reason",
        "details",
    )
    for field in fields:
        assert field in data
    assert data["recommended_dose"] == 3
    assert data["n_at_dose"] == [3, 3, 0]
    assert data["empiric_tox_rate"] == [0.0, 0.0, None]


def test_escalate_crm_with_an_explicit_skeleton_reports_posterior_estimates() -> None:
    args = ["escalate", "--design", "crm", "--target", "0.25", "--skeleton", README_SKELETON]
    data = _json([*args, "--outcomes", "2NNN", "--json"])
    # restrict=True (dfcrm crmsim default): at most one level above the last dose
    assert data["recommended_dose"] == 3
    assert data["mtd"] == 4
    details = data["details"]
    assert isinstance(details, dict) and len(details["ptox"]) == 5


def test_escalate_crm_without_skeleton_uses_getprior_around_the_middle_dose() -> None:
    data = _json(["escalate", "--design", "crm", "--target", "0.25", "--doses", "3", "--json"])
    details = data["details"]
    assert isinstance(details, dict)
    assert details["skeleton"][1] == 0.25
    assert data["recommended_dose"] == 1


def test_escalate_three_plus_three_stops_with_the_mtd() -> None:
    data = _json(
        ["escalate", "--design", "3+3", "--doses", "3", "--outcomes", "1NNN 2NNT 2NNN 3NTT", "--json"]
    )
    assert data["should_continue"] is False
    assert data["mtd"] == 2


def test_escalate_three_plus_three_deescalate_variant_steps_down() -> None:
    data = _json(["escalate", "--design", "3+3-deescalate", "--doses", "5", "--outcomes", "2NTT", "--json"])
    assert data["recommended_dose"] == 1 and data["should_continue"] is True


def test_escalate_max_n_stops_the_trial() -> None:
    result = runner.invoke(app, [*BOIN3, "--outcomes", "1NNN 2NNN", "--max-n", "6"])
    assert result.exit_code == 0, result.output
    assert "Stop: sample size reached" in result.output


def test_escalate_toxicity_stop_and_no_skip_options_apply_the_modifiers() -> None:
    args = ["escalate", "--design", "crm", "--target", "0.25", "--skeleton", README_SKELETON, "--no-skip"]
    stop = ["--stop-tox-threshold", "0.35", "--stop-confidence", "0.7"]
    data = _json([*args, *stop, "--outcomes", "1NTN 1TTT", "--json"])
    assert data["should_continue"] is False and data["recommended_dose"] is None


def test_escalate_bad_outcomes_exit_non_zero_naming_the_position() -> None:
    result = runner.invoke(app, [*BOIN3, "--outcomes", "1NNN 2NXN"])
    assert result.exit_code == 2
    assert "outcomes[7]: expected N or T" in result.output


def test_escalate_dose_above_the_design_is_rejected() -> None:
    result = runner.invoke(app, [*BOIN3, "--outcomes", "4NNN"])
    assert result.exit_code == 2
    assert "outcomes[0]: dose level 4 exceeds the 3 doses of the design" in result.output


def test_escalate_unknown_design_and_missing_target_are_named() -> None:
    result = runner.invoke(app, ["escalate", "--design", "mtpi", "--doses", "3"])
    assert result.exit_code == 2 and "design: must be one of boin, crm, 3+3, 3+3-deescalate" in result.output
    result = runner.invoke(app, ["escalate", "--design", "boin", "--doses", "3"])
    assert result.exit_code == 2 and "target: is required for the boin design" in result.output
    result = runner.invoke(app, ["escalate", "--design", "boin", "--target", "1.5", "--doses", "3"])
    assert result.exit_code == 2 and "target: must be a probability strictly between 0 and 1" in result.output


def test_escalate_rejects_a_decreasing_skeleton() -> None:
    result = runner.invoke(app, ["escalate", "--design", "crm", "--target", "0.25", "--skeleton", "0.3,0.2"])
    assert result.exit_code == 2 and "skeleton[1]: must be strictly increasing" in result.output


def test_design_table_boin_json_reproduces_get_boundary_for_target_025() -> None:
    # dosefinding.md 3.1 per-cohort table for target 0.25, here 6 cohorts of 3
    table = ["design", "table", "--design", "boin", "--target", "0.25"]
    data = _json([*table, "--cohorts", "6", "--cohort-size", "3", "--json"])
    rows = data["per_cohort"]
    assert isinstance(rows, list)
    assert [r["escalate_if_dlt_at_most"] for r in rows] == [0, 1, 1, 2, 2, 3]
    assert [r["deescalate_if_dlt_at_least"] for r in rows] == [1, 2, 3, 4, 5, 6]
    assert [r["eliminate_if_dlt_at_least"] for r in rows] == [3, 4, 5, 6, 7, 8]
    full = data["full"]
    assert isinstance(full, list) and len(full) == 18


def test_design_table_boin_text_shows_the_rows() -> None:
    args = [
        "design",
        "table",
        "--design",
        "boin",
        "--target",
        "0.30",
        "--cohorts",
        "10",
        "--extrasafe",
        "--full",
    ]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    for label in (
        "Escalate if # of DLT <=",
        "De-escalate if # of DLT >=",
        "Eliminate if # of DLT >=",
        "Stop",
    ):
        assert label in result.output
    assert "lambda_e = 0.2365" in result.output


def test_design_table_three_plus_three_lists_its_rules() -> None:
    data = _json(["design", "table", "--design", "3+3", "--json"])
    rules = data["rules"]
    assert isinstance(rules, list)
    assert {"patients": 3, "dlts": 0, "action": "escalate"} in rules
    assert {"patients": 3, "dlts": 2, "action": "stop (MTD: the dose below)"} in rules


def test_design_table_crm_gives_the_dose_transition_pathways() -> None:
    args = [
        "design",
        "table",
        "--design",
        "crm",
        "--target",
        "0.25",
        "--doses",
        "3",
        "--cohorts",
        "2",
        "--json",
    ]
    root = _json(args)["paths"]
    assert isinstance(root, dict)
    assert root["recommended_dose"] == 1
    assert [child["outcomes"] for child in root["children"]] == ["1NNN", "1NNT", "1NTT", "1TTT"]
    assert root["children"][0]["recommended_dose"] == 2


def test_both_commands_are_documented_and_have_help() -> None:
    text = (Path(__file__).resolve().parents[2] / "docs" / "dosefinding.md").read_text()
    assert "mexards escalate" in text and "mexards design table" in text
    for args in (["escalate", "--help"], ["design", "table", "--help"]):
        assert runner.invoke(app, args).exit_code == 0
