"""`mexards simulate` (docs/simulation.md "Command line")."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mexards.cli.main import app

runner = CliRunner()
B3 = ["--target", "0.25", "--true-tox", "0.10,0.25,0.40", "--cohort-size", "3", "--cohorts", "6"]


def run_json(*args: str) -> dict[str, object]:
    result = runner.invoke(app, ["simulate", *args, "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert isinstance(data, dict)
    return data


def test_exact_boin_prints_the_reference_operating_characteristics_as_json() -> None:
    data = run_json("--design", "boin", *B3, "--exact")
    assert data["p_no_mtd"] == pytest.approx(0.002786, abs=1e-6)
    assert data["p_select"] == pytest.approx([0.228819, 0.577256, 0.191139], abs=1e-6)
    assert data["mean_n"] == pytest.approx([7.866891, 7.038956, 3.061669], abs=1e-6)
    assert data["mean_dlt"] == pytest.approx([0.786689, 1.759739, 1.224668], abs=1e-6)
    assert data["trials"] is None and data["seed"] is None
    assert 0 < data["p_stop_early"] < 0.01  # type: ignore[operator]


def test_monte_carlo_records_trials_and_seed_and_is_reproducible() -> None:
    args = ("--design", "boin", *B3, "--trials", "3000", "--seed", "1", "--workers", "1")
    first = run_json(*args)
    assert first["trials"] == 3000 and first["seed"] == 1
    assert first == run_json(*args)
    assert isinstance(first["standard_errors"], dict)


def test_the_dose_subcommand_is_the_same_simulation() -> None:
    result = runner.invoke(app, ["simulate", "dose", "--design", "3+3", *B3, "--exact", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["p_no_mtd"] == pytest.approx(0.093853, abs=1e-6)


def test_crm_takes_a_getprior_skeleton_by_default_and_an_explicit_one_on_request() -> None:
    default = run_json("--design", "crm", *B3, "--exact", "--halfwidth", "0.05", "--nu", "2")
    assert default["p_select"] == pytest.approx([0.210609, 0.462324, 0.327066], abs=1e-6)
    explicit = run_json("--design", "crm", *B3, "--exact", "--skeleton", "0.1567410211,0.25,0.3545004276")
    assert explicit["p_select"] == pytest.approx(default["p_select"], abs=1e-8)
    logistic = run_json("--design", "crm", *B3, "--exact", "--model", "logistic")
    assert logistic["p_select"] != default["p_select"]


def test_compare_runs_designs_on_the_same_patients_and_writes_a_plot(tmp_path: Path) -> None:
    plot = tmp_path / "oc.svg"
    data = run_json(
        "--compare", "boin,crm,3+3", *B3, "--trials", "2000", "--seed", "4", "--workers", "1", "--plot", str(plot)
    )
    designs = data["designs"]
    assert isinstance(designs, list) and len(designs) == 3
    assert [d["seed"] for d in designs] == [4, 4, 4]
    assert data["trials"] == 2000
    assert plot.read_text(encoding="utf-8").lstrip().startswith("<?xml")


def test_a_png_plot_is_written_for_an_exact_comparison(tmp_path: Path) -> None:
    plot = tmp_path / "oc.png"
    result = runner.invoke(app, ["simulate", "--compare", "boin,3+3-deescalate", *B3, "--exact", "--plot", str(plot)])
    assert result.exit_code == 0, result.output
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "plot written" in result.output


def test_the_table_output_names_each_design_and_the_summaries() -> None:
    result = runner.invoke(app, ["simulate", "--design", "boin", *B3, "--exact"])
    assert result.exit_code == 0, result.output
    assert "BOIN(target=0.25)" in result.output
    assert "P(select)" in result.output and "true MTD 2" in result.output


def test_the_three_plus_three_defaults_to_two_cohorts_per_dose() -> None:
    data = run_json("--design", "3+3", "--true-tox", "0.10,0.25,0.40", "--exact")
    assert data["num_cohorts"] == 6
    assert data["p_select"] == pytest.approx([0.362592, 0.375427, 0.168128], abs=1e-6)


def test_modifiers_are_simulated_through_the_live_design() -> None:
    data = run_json("--design", "boin", *B3, "--exact", "--max-n", "9")
    assert data["mean_total_n"] <= 9 + 1e-9  # type: ignore[operator]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--target", "0.25", "--true-tox", "0.1,0.2", "--cohorts", "6", "--exact"], "design: give --design"),
        (["--design", "boin", *B3], "trials: give --trials N"),
        (["--design", "boin", *B3, "--exact", "--trials", "10"], "trials: give either --exact or --trials"),
        (["--design", "boin", "--target", "0.25", "--true-tox", "0.1,x", "--cohorts", "6", "--exact"], "true_tox[1]"),
        (["--design", "boin", "--target", "0.25", "--cohorts", "6", "--exact"], "true_tox: is required"),
        (["--design", "boin", "--true-tox", "0.1,0.2", "--cohorts", "6", "--exact"], "target: is required"),
        (["--design", "crm", "--target", "0.25", "--true-tox", "0.1,0.2", "--exact"], "cohorts: is required"),
        (["--design", "3+3", *B3[:-4], "--cohort-size", "2", "--exact"], "cohort_size: the 3+3"),
        (["--design", "magic", *B3, "--exact"], "design: must be one of"),
        (["--design", "boin", "--compare", "crm", *B3, "--exact"], "compare: give either"),
        (["--compare", "boin,boin", *B3, "--exact"], "compare: names a design twice"),
        (["--design", "boin", *B3, "--trials", "0", "--seed", "1"], "trials: must be at least 1"),
        (["--design", "boin", *B3, "--exact", "--plot", "out.gif"], "plot: must end in"),
        (["--design", "boin", *B3, "--trials", "10", "--seed", "1", "--workers", "0"], "workers: must be at least 1"),
    ],
)
def test_bad_input_exits_with_status_2_and_names_the_field(args: list[str], message: str) -> None:
    result = runner.invoke(app, ["simulate", *args])
    assert result.exit_code == 2
    assert message in result.stderr


def test_every_option_is_documented_in_the_help() -> None:
    result = runner.invoke(app, ["simulate", "--help"], terminal_width=200)
    assert result.exit_code == 0
    for option in ("--design", "--compare", "--true-tox", "--exact", "--trials", "--seed", "--scheduler",
                   "--workers", "--plot", "--skeleton", "--halfwidth", "--nu", "--model", "--json"):
        assert option in result.output
    assert "dose" in result.output


def test_a_dask_scheduler_gives_the_same_numbers_as_the_local_pool() -> None:
    distributed = pytest.importorskip("distributed")
    args = ("--design", "boin", *B3, "--trials", "1500", "--seed", "3")
    local = run_json(*args, "--workers", "1")
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None) as c:
        on_dask = run_json(*args, "--scheduler", c.scheduler_address)
    assert on_dask == local


def test_an_unreachable_scheduler_is_reported_on_the_scheduler_field(monkeypatch: pytest.MonkeyPatch) -> None:
    from mexards.simulation import dask_executor

    original = dask_executor.DaskExecutor.__init__

    def quick(self: dask_executor.DaskExecutor, address: str | None = None, **kwargs: object) -> None:
        original(self, address, timeout_s=1)

    monkeypatch.setattr(dask_executor.DaskExecutor, "__init__", quick)
    result = runner.invoke(app, ["simulate", "--design", "boin", *B3, "--trials", "10", "--scheduler", "tcp://127.0.0.1:9"])
    assert result.exit_code == 2
    assert "scheduler: cannot connect" in result.stderr


def test_simulate_without_arguments_shows_its_usage() -> None:
    result = runner.invoke(app, ["simulate"])
    assert "Usage" in result.output
    assert "dose" in result.output


def test_the_toxicity_stop_modifier_ends_trials_at_overly_toxic_doses() -> None:
    toxic = ["--target", "0.25", "--true-tox", "0.60,0.70,0.80", "--cohorts", "6", "--exact"]
    plain = run_json("--design", "crm", *toxic)
    guarded = run_json("--design", "crm", *toxic, "--stop-tox-threshold", "0.25", "--stop-confidence", "0.9")
    assert plain["p_no_mtd"] == 0.0
    assert guarded["p_no_mtd"] > 0.5  # type: ignore[operator]


def test_crm_prior_options_change_the_operating_characteristics() -> None:
    base = run_json("--design", "crm", *B3, "--exact")
    narrow = run_json("--design", "crm", *B3, "--exact", "--prior-sd", "0.5")
    assert narrow["p_select"] != base["p_select"]
