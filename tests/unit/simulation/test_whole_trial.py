"""Whole-trial simulation: design resolution from the protocol, reproducibility, agreement with the engine."""

from __future__ import annotations

from dataclasses import replace

import pytest

from mexards.domain.errors import ValidationError
from mexards.simulation import LocalPoolExecutor, SerialExecutor, patient, simulate_operating_characteristics
from mexards.simulation.trial_scenario import load_trial_scenario
from mexards.simulation.whole_trial import simulate_whole_trial, trial_design, with_dose_toxicity

SCENARIO = load_trial_scenario("mexards")


def test_the_design_comes_from_the_protocol() -> None:
    design = trial_design(SCENARIO)
    assert design.level_particles == (2.0e8, 8.0e8, 16.0e8)
    assert design.design.name.startswith("3+3")
    assert design.phase1.cohort_size == 3 and design.phase1.max_patients == 18
    assert design.arm_ids == ("p2_quarter_mtd", "p2_mtd", "p2_control")
    assert design.arm_fractions == (0.25, 1.0, None)
    assert design.arm_ids[design.control] == "p2_control"
    assert design.arm_ids[design.order[0]] == "p2_mtd"
    assert design.dlt_window_days == 8
    assert design.phase1.true_mtd == 2


def test_the_phase2_size_defaults_to_planned_enrolment_minus_the_phase1_maximum() -> None:
    assert trial_design(SCENARIO).arm_sizes == ((169 - 18) // 3,) * 3
    assert trial_design(SCENARIO, phase2_sample_size=90).arm_sizes == (30, 30, 30)
    scenario = replace(SCENARIO, trial=replace(SCENARIO.trial, phase2_sample_size=60))
    assert trial_design(scenario).arm_sizes == (20, 20, 20)


def test_arm_doses_are_fractions_of_the_selected_mtd() -> None:
    import numpy as np

    design = trial_design(SCENARIO)
    doses = design.arm_doses(np.array([0, 1, 2]))
    assert doses[0].tolist() == [0.5e8, 2.0e8, 4.0e8]
    assert doses[1].tolist() == [2.0e8, 8.0e8, 16.0e8]
    assert doses[2].tolist() == [0.0, 0.0, 0.0]


def test_a_curve_with_the_wrong_number_of_doses_is_refused() -> None:
    with pytest.raises(ValidationError) as info:
        trial_design(with_dose_toxicity(SCENARIO, (0.1, 0.2)))
    assert info.value.field == "dose_toxicity.dlt_probability"


def test_a_phase2_too_small_for_its_arms_is_refused() -> None:
    with pytest.raises(ValidationError) as info:
        trial_design(SCENARIO, phase2_sample_size=5)
    assert info.value.field == "trial.phase2_sample_size"


@pytest.mark.parametrize(("trials", "seed"), [(0, 1), (10, -1)])
def test_trials_and_seed_are_checked(trials: int, seed: int) -> None:
    with pytest.raises(ValidationError):
        simulate_whole_trial(SCENARIO, trials=trials, seed=seed, executor=SerialExecutor())


def test_the_same_seed_gives_the_same_result_and_another_seed_another() -> None:
    first = simulate_whole_trial(SCENARIO, trials=800, seed=3, executor=SerialExecutor())
    assert first == simulate_whole_trial(SCENARIO, trials=800, seed=3, executor=SerialExecutor())
    assert first.seed == 3 and first.trials == 800
    other = simulate_whole_trial(SCENARIO, trials=800, seed=4, executor=SerialExecutor())
    assert other.power.p_success != first.power.p_success


def test_a_process_pool_gives_the_serial_result(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(patient, "CHUNK_TRIALS", 400)
    serial = simulate_whole_trial(SCENARIO, trials=1000, seed=11, executor=SerialExecutor())
    pooled = simulate_whole_trial(SCENARIO, trials=1000, seed=11, executor=LocalPoolExecutor(2))
    assert serial.chunks == 3
    assert pooled == serial


def test_the_phase1_selection_is_exactly_the_dose_finding_engines(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(patient, "CHUNK_TRIALS", 700)
    design = trial_design(SCENARIO)
    result = simulate_whole_trial(SCENARIO, trials=2000, seed=21, executor=SerialExecutor())
    engine = simulate_operating_characteristics(
        design.design, design.phase1, trials=2000, seed=21, executor=SerialExecutor()
    )
    assert result.phase1.p_select == engine.p_select
    assert result.phase1.p_no_mtd == engine.p_no_mtd
    assert result.phase1.mean_n == engine.mean_n
    assert result.p_correct_mtd == engine.p_select[1]
    assert result.p_phase2 == pytest.approx(1.0 - engine.p_no_mtd)


def test_scenarios_differing_only_in_effect_share_their_phase1_and_null_analysis() -> None:
    null = load_trial_scenario("mexards-null")
    a = simulate_whole_trial(SCENARIO, trials=1500, seed=8, executor=SerialExecutor())
    b = simulate_whole_trial(null, trials=1500, seed=8, executor=SerialExecutor())
    assert a.phase1 == b.phase1
    assert a.type_i_error == b.type_i_error
    assert b.power.p_success == b.type_i_error.p_success


def test_the_result_reports_sizes_durations_and_screening() -> None:
    result = simulate_whole_trial(SCENARIO, trials=1000, seed=2, executor=SerialExecutor())
    size = result.sample_size
    assert size["total_n"]["mean"] == pytest.approx(size["phase1_n"]["mean"] + size["phase2_n"]["mean"])
    assert 3 <= size["phase1_n"]["mean"] <= 18
    assert size["phase2_n"]["mean"] == pytest.approx(150 * result.p_phase2)
    days = result.duration_days
    assert days["phase1_days"]["mean"] < days["time_to_mtd_days"]["mean"]
    assert days["time_to_mtd_days"]["mean"] < days["time_to_primary_analysis_days"]["mean"]
    assert days["time_to_primary_analysis_days"]["mean"] < days["time_to_completion_days"]["mean"]
    # Phase 2 accrual alone takes 150 / (4 per month) = 37.5 months on average.
    accrual = days["time_to_primary_analysis_days"]["mean"] - days["time_to_mtd_days"]["mean"]
    assert accrual == pytest.approx(result.p_phase2 * (150 / 4 * 365.25 / 12 + 6), rel=0.03)
    assert result.expected_screened == pytest.approx(size["total_n"]["mean"] / result.eligible_fraction)
    data = result.to_dict()
    assert data["primary_comparison"] == "p2_mtd vs p2_control"
    assert [p["scale"] for p in data["power_curve"]] == list(SCENARIO.trial.power_curve_scales)


def test_a_curve_where_every_dose_is_too_toxic_never_reaches_phase2_when_the_3_plus_3_stops() -> None:
    toxic = with_dose_toxicity(SCENARIO, (0.9, 0.95, 0.99))
    result = simulate_whole_trial(toxic, trials=500, seed=1, executor=SerialExecutor())
    assert result.phase1.true_mtd is None
    assert result.p_correct_mtd == pytest.approx(result.phase1.p_no_mtd)
    assert result.p_phase2 < 0.05
    assert result.power.p_success <= result.p_phase2


def test_a_dask_cluster_gives_the_serial_result(monkeypatch: pytest.MonkeyPatch) -> None:
    distributed = pytest.importorskip("distributed")
    from mexards.simulation.dask_executor import DaskExecutor

    monkeypatch.setattr(patient, "CHUNK_TRIALS", 300)
    serial = simulate_whole_trial(SCENARIO, trials=700, seed=5, executor=SerialExecutor())
    with (
        distributed.LocalCluster(
            n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        on_dask = simulate_whole_trial(SCENARIO, trials=700, seed=5, executor=DaskExecutor(client=client))
    assert on_dask == serial
