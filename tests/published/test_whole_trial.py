"""Published operating characteristics of the whole-trial simulation: type I error, power and MTD selection.

Sources and tolerances:

- Fixed-sequence testing controls the family-wise error rate at exactly alpha when its first test is exact
  (Maurer W, Hothorn LA, Lehmacher W. Multiple comparisons in drug clinical trials and preclinical assays:
  a-priori ordered hypotheses. In: Vollmar J, ed. Biometrie in der chemisch-pharmazeutischen Industrie 6,
  Fischer 1995, pp. 3-18; CHMP Guideline on multiplicity issues, EMA/CHMP/44762/2017, section 4); the ANCOVA t
  test of a randomised comparison is exact for normal errors and robust otherwise (ICH E9 section 5.7; Vickers
  & Altman, BMJ 2001;323:1123). Tolerance: 4 Monte Carlo standard errors.
- Power of the pooled two-sample t test: noncentral t on n_1 + n_2 - 2 df (Chow SC, Shao J, Wang H. Sample
  Size Calculations in Clinical Research, 2nd ed. 2008, section 3.2; R ``power.t.test(strict = TRUE)``), as
  implemented in :func:`mexards.analysis.power.power_mean_difference` (itself checked against R in
  tests/published/test_analysis_power.py). Tolerance: 4 Monte Carlo standard errors.
- MTD selection of the 3+3 design: the exact dose-path enumeration of the dose-finding engine, which
  reproduces the 3+3 closed forms of dosefinding.md 3.6 (Lin & Shih, Biostatistics 2001;2:203). Tolerance: 4
  SE.
"""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import pytest

from mexards.analysis.power import power_mean_difference
from mexards.simulation import SerialExecutor, exact_operating_characteristics
from mexards.simulation.trial_scenario import load_trial_scenario
from mexards.simulation.whole_trial import simulate_whole_trial, trial_design

NULL_TRIALS = 40_000


def _se(p: float, n: int) -> float:
    return math.sqrt(p * (1.0 - p) / n)


@pytest.fixture(scope="module")
def null_result():  # type: ignore[no-untyped-def]
    return simulate_whole_trial(
        load_trial_scenario("mexards-null"), trials=NULL_TRIALS, seed=2024, executor=SerialExecutor()
    )


def test_under_the_null_the_fixed_sequence_ancova_keeps_its_nominal_type_i_error(null_result) -> None:  # type: ignore[no-untyped-def]
    alpha = null_result.alpha
    runs = round(null_result.p_phase2 * NULL_TRIALS)
    observed = null_result.type_i_error.p_success_given_phase2
    assert abs(observed - alpha) <= 4 * _se(alpha, runs)
    # Each comparison alone is an exact level-alpha test as well.
    for marginal in null_result.type_i_error.p_reject_marginal:
        assert abs(marginal - alpha) <= 4 * _se(alpha, runs)


def test_under_the_null_the_estimates_are_unbiased(null_result) -> None:  # type: ignore[no-untyped-def]
    for estimate in null_result.type_i_error.mean_estimate_mmhg:
        assert abs(estimate) < 1.0  # SE of a mean over ~39,000 trials of an effect with SE ~15 mmHg is ~0.08


def test_bonferroni_keeps_each_comparison_at_half_alpha_and_the_family_below_alpha(tmp_path: Path) -> None:
    path = tmp_path / "bonferroni.yaml"
    path.write_text(
        "format_version: 1\nbase: mexards-null\nname: null-bonferroni\n"
        "trial: {multiplicity: bonferroni, analysis: t_test}\n",
        encoding="utf-8",
    )
    result = simulate_whole_trial(load_trial_scenario(path), trials=20_000, seed=9, executor=SerialExecutor())
    runs = round(result.p_phase2 * 20_000)
    for marginal in result.type_i_error.p_reject_marginal:
        assert abs(marginal - result.alpha / 2) <= 4 * _se(result.alpha / 2, runs)
    assert result.type_i_error.p_success_given_phase2 <= result.alpha + 4 * _se(result.alpha, runs)


def test_power_increases_with_the_effect_size() -> None:
    result = simulate_whole_trial(
        load_trial_scenario("mexards"), trials=10_000, seed=31, executor=SerialExecutor()
    )
    powers = [point.p_success for point in result.power_curve]
    effects = [point.mean_effect_mmhg[1] for point in result.power_curve]
    assert effects == sorted(effects) and effects[0] == 0.0
    assert all(later > earlier for earlier, later in itertools.pairwise(powers))
    assert result.power.p_success > 4 * result.type_i_error.p_success


KNOWN_MTD = """
format_version: 1
base: mexards
name: known-mtd
population:
  severity: {MILD: 0, MODERATE: 1, SEVERE: 0}
course:
  pf_change_day7_mmhg:
    MODERATE: {mean: 50, sd: 40}
  mortality_day28: {MILD: 0, MODERATE: 0, SEVERE: 0}
  mortality_day60: {MILD: 0, MODERATE: 0, SEVERE: 0}
dose_toxicity:
  dlt_probability: [0, 0, 0]
trial:
  analysis: t_test
  phase2_sample_size: 45
  power_curve_scales: [0.25, 0.5, 1.0]
"""


def test_with_a_known_mtd_the_simulated_power_is_the_analytic_t_test_power(tmp_path: Path) -> None:
    path = tmp_path / "known.yaml"
    path.write_text(KNOWN_MTD, encoding="utf-8")
    scenario = load_trial_scenario(path)
    trials = 20_000
    result = simulate_whole_trial(scenario, trials=trials, seed=77, executor=SerialExecutor())
    assert result.phase1.p_select[2] == 1.0  # no DLT at any dose: the 3+3 always declares the top dose
    sd = scenario.course.pf_change_day7_mmhg[1].sd
    checked = 0
    for point in result.power_curve:
        for index, name in enumerate(result.comparisons):
            delta = point.mean_effect_mmhg[index]
            expected = power_mean_difference(delta, sd, 15, alpha=result.alpha).power
            assert abs(point.p_reject_marginal[index] - expected) <= 4 * _se(expected, trials), (
                point.scale,
                name,
            )
            checked += 1
    assert checked == 6
    # Fixed sequence: the primary (MTD) rejection is the marginal MTD test.
    primary = result.comparisons.index(result.primary_comparison)
    assert result.power.p_success == result.power.p_reject_marginal[primary]


def test_the_probability_of_the_correct_mtd_is_the_exact_3_plus_3_operating_characteristic() -> None:
    scenario = load_trial_scenario("mexards")
    design = trial_design(scenario)
    exact = exact_operating_characteristics(design.design, design.phase1)
    trials = 20_000
    result = simulate_whole_trial(scenario, trials=trials, seed=5, executor=SerialExecutor())
    truth = design.phase1.true_mtd
    assert truth == 2
    expected = exact.p_select[truth - 1]
    assert abs(result.p_correct_mtd - expected) <= 4 * _se(expected, trials)
    for simulated, exact_p in zip(result.phase1.p_select, exact.p_select, strict=True):
        assert abs(simulated - exact_p) <= 4 * _se(exact_p, trials) + 1e-12
