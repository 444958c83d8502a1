"""Virtual ARDS patients: distributions match the scenario, records screen as built, courses reproduce."""

from __future__ import annotations

import math
from decimal import Decimal

import numpy as np
import pytest

from mexards.clinical.eligibility import Screener
from mexards.clinical.murray import murray_score
from mexards.clinical.sofa import respiration_points as clinical_respiration_points
from mexards.clinical.ventilation import ventilator_free_days
from mexards.domain.errors import ValidationError
from mexards.protocol import builtin_protocol
from mexards.simulation.ards_patient import (
    eligibility_probability,
    generate_patients,
    murray_lis,
    patient_course,
    respiration_points,
)
from mexards.simulation.trial_course import TreatmentModel, adjusted_mortality
from mexards.simulation.trial_scenario import load_trial_scenario

SCENARIO = load_trial_scenario("mexards")
LEVELS = (2.0e8, 8.0e8, 16.0e8)
MODEL = TreatmentModel.of(SCENARIO, LEVELS)
N = 4000


@pytest.fixture(scope="module")
def patients() -> list:  # type: ignore[type-arg]
    return generate_patients(SCENARIO, N, np.random.default_rng(20250601))


def _within(observed: float, expected: float, se: float, k: float = 4.0) -> bool:
    return abs(observed - expected) <= k * se


def test_the_same_seed_gives_the_same_patients() -> None:
    first = generate_patients(SCENARIO, 20, np.random.default_rng(5))
    again = generate_patients(SCENARIO, 20, np.random.default_rng(5))
    assert first == again
    assert [p.patient_id for p in first][:2] == ["VP-0001", "VP-0002"]


def test_a_negative_count_is_refused() -> None:
    with pytest.raises(ValidationError) as info:
        generate_patients(SCENARIO, -1, np.random.default_rng(1))
    assert info.value.field == "n"


def test_sex_and_severity_proportions_match_the_scenario(patients: list) -> None:  # type: ignore[type-arg]
    female = np.mean([p.record["sex"] == "female" for p in patients])
    p = SCENARIO.population.female_probability
    assert _within(female, p, math.sqrt(p * (1 - p) / N))
    for name, q in zip(("MILD", "MODERATE", "SEVERE"), SCENARIO.population.severity, strict=True):
        share = np.mean([x.severity == name for x in patients])
        assert _within(share, q, math.sqrt(q * (1 - q) / N)), name


def test_aetiology_proportions_match_the_scenario(patients: list) -> None:  # type: ignore[type-arg]
    for name, q in SCENARIO.population.aetiology:
        share = np.mean([x.aetiology == name for x in patients])
        assert _within(share, q, math.sqrt(q * (1 - q) / N)), name


def test_height_and_bmi_means_match_the_scenario(patients: list) -> None:  # type: ignore[type-arg]
    men = [p for p in patients if p.record["sex"] == "male"]
    heights = np.array([p.record["anthropometry"]["height_cm"] for p in men])
    normal = SCENARIO.population.height_cm_male
    assert _within(heights.mean(), normal.mean, normal.sd / math.sqrt(len(men)) + 0.05)
    bmi = np.array(
        [
            p.record["anthropometry"]["weight_kg"] / (p.record["anthropometry"]["height_cm"] / 100) ** 2
            for p in patients
        ]
    )
    assert _within(bmi.mean(), SCENARIO.population.bmi.mean, SCENARIO.population.bmi.sd / math.sqrt(N) + 0.02)
    assert abs(bmi.std() - SCENARIO.population.bmi.sd) < 0.15


def test_baseline_pf_lies_in_its_berlin_band_and_peep_is_at_least_5(patients: list) -> None:  # type: ignore[type-arg]
    bands = {"MILD": (200, 300), "MODERATE": (100, 200), "SEVERE": (0, 100)}
    for p in patients:
        oxygenation = p.record["oxygenation"]
        pf = Decimal(str(oxygenation["pao2_mmhg"])) / Decimal(str(oxygenation["fio2_fraction"]))
        low, high = bands[p.severity]
        assert low < pf <= high, p.patient_id
        assert oxygenation["peep_cmh2o"] >= 5
        assert oxygenation["support"] == "invasive" or p.severity == "MILD"


def test_mean_baseline_pf_by_class_matches_the_truncated_normal(patients: list) -> None:  # type: ignore[type-arg]
    from scipy import stats

    for index, name in enumerate(("MILD", "MODERATE", "SEVERE")):
        values = np.array([p.pf_ratio for p in patients if p.severity == name])
        normal = SCENARIO.population.pf_ratio_mmhg[index]
        low, high = [(201, 299), (101, 199), (SCENARIO.course.pf_ratio_min_mmhg, 99)][index]
        a, b = (low - normal.mean) / normal.sd, (high - normal.mean) / normal.sd
        expected = stats.truncnorm.mean(a, b, loc=normal.mean, scale=normal.sd)
        se = stats.truncnorm.std(a, b, loc=normal.mean, scale=normal.sd) / math.sqrt(len(values))
        assert _within(values.mean(), expected, se + 0.2), name


def test_every_record_screens_exactly_as_it_was_built(patients: list) -> None:  # type: ignore[type-arg]
    screener = Screener(builtin_protocol("NCT04602104"))
    for p in patients[:1500]:
        result = screener.screen(p.record)
        failing = {c.id for c in result.criteria if c.fails}
        assert failing == set(p.expected_failures), p.patient_id
        assert result.verdict.value == ("ELIGIBLE" if p.expected_eligible else "INELIGIBLE")


def test_the_eligible_share_matches_its_closed_form(patients: list) -> None:  # type: ignore[type-arg]
    share = np.mean([p.expected_eligible for p in patients])
    q = eligibility_probability(SCENARIO)
    assert 0.05 < q < 0.9
    assert _within(share, q, math.sqrt(q * (1 - q) / N))


def test_each_exclusion_fires_at_its_scenario_rate(patients: list) -> None:  # type: ignore[type-arg]
    for name in ("immunosuppression", "malignancy", "hepatitis_b"):
        rate = SCENARIO.screening.probability(name)
        share = np.mean([name in p.conditions for p in patients])
        assert _within(share, rate, math.sqrt(rate * (1 - rate) / N)), name


def test_screening_times_follow_the_accrual_rate_divided_by_the_eligible_share(patients: list) -> None:  # type: ignore[type-arg]
    from datetime import datetime

    first = datetime.fromisoformat(patients[0].record["screening_at"].replace("Z", "+00:00"))
    last = datetime.fromisoformat(patients[-1].record["screening_at"].replace("Z", "+00:00"))
    months = (last - first).total_seconds() / 86400 / (365.25 / 12)
    per_month = (N - 1) / months
    expected = SCENARIO.trial.accrual_per_month / eligibility_probability(SCENARIO)
    assert per_month == pytest.approx(expected, rel=0.06)


def test_sofa_and_murray_follow_the_published_tables() -> None:
    for pf in (50.0, 99.9, 100.0, 150.0, 199.9, 200.0, 250.0, 300.0, 399.0, 400.0):
        assert respiration_points(pf, True) == clinical_respiration_points(Decimal(str(pf)), True)
        assert respiration_points(pf, False) == clinical_respiration_points(Decimal(str(pf)), False)
    for quadrants, pf, peep, compliance in (
        (2, 180.0, 10.0, 35.0),
        (4, 80.0, None, 20.0),
        (3, 230.0, 5.0, 81.0),
    ):
        expected = murray_score(
            cxr_quadrants=quadrants, pf_ratio=pf, peep_cmh2o=peep, compliance_ml_cmh2o=compliance
        )
        assert murray_lis(quadrants, pf, peep, compliance) == pytest.approx(float(expected.score), abs=0.005)


def test_a_course_is_deterministic_for_a_patient_and_dose(patients: list) -> None:  # type: ignore[type-arg]
    patient = patients[3]
    assert patient_course(patient, SCENARIO, MODEL, 8e8) == patient_course(patient, SCENARIO, MODEL, 8e8)


def test_dlts_are_monotone_in_dose_for_every_patient(patients: list) -> None:  # type: ignore[type-arg]
    for p in patients[:300]:
        flags = [patient_course(p, SCENARIO, MODEL, d).dlt for d in (0.0, *LEVELS)]
        assert flags == sorted(flags), p.patient_id
        assert not flags[0]


def test_dlt_rates_by_dose_level_match_the_curve(patients: list) -> None:  # type: ignore[type-arg]
    for level, p_dlt in zip(LEVELS, SCENARIO.dose_toxicity.dlt_probability, strict=True):
        rate = np.mean([p.dlt_tolerance < MODEL.dlt_probability(level) for p in patients])
        assert _within(rate, p_dlt, math.sqrt(p_dlt * (1 - p_dlt) / N))


def test_the_dlt_event_is_in_the_window_and_at_least_grade_3(patients: list) -> None:  # type: ignore[type-arg]
    seen = 0
    for p in patients[:400]:
        course = patient_course(p, SCENARIO, MODEL, 16e8, dlt_window_days=8)
        dlts = [e for e in course.adverse_events if e.is_dlt]
        assert len(dlts) <= 1
        for event in dlts:
            seen += 1
            assert 1 <= event.onset_day <= 8 and event.grade >= 3 and event.relatedness == "probably related"
    assert seen > 0


def test_day7_change_and_mortality_under_saline_match_the_course_parameters(patients: list) -> None:  # type: ignore[type-arg]
    moderate = [p for p in patients if p.severity == "MODERATE"][:900]
    courses = [patient_course(p, SCENARIO, MODEL, 0.0) for p in moderate]
    changes = np.array([c.pf_change(7) for c in courses if c.pf_change(7) is not None])
    normal = SCENARIO.course.pf_change_day7_mmhg[1]
    assert _within(changes.mean(), normal.mean, normal.sd / math.sqrt(len(changes)) + 2.0)
    assert abs(changes.std() - normal.sd) < 8.0
    dead28 = np.mean([not c.alive_on(28) for c in courses])
    m28 = SCENARIO.course.mortality_day28[1]
    assert _within(dead28, m28, math.sqrt(m28 * (1 - m28) / len(courses)))


def test_the_dose_lowers_mortality_by_the_scenario_odds_ratio(patients: list) -> None:  # type: ignore[type-arg]
    odds_ratio = float(MODEL.odds_ratio(16e8))
    assert odds_ratio == pytest.approx(SCENARIO.dose_response.mortality_odds_ratio_max ** (16 / 20))
    treated = [patient_course(p, SCENARIO, MODEL, 16e8) for p in patients[:1500]]
    control = [patient_course(p, SCENARIO, MODEL, 0.0) for p in patients[:1500]]
    assert sum(not c.alive_on(60) for c in treated) <= sum(not c.alive_on(60) for c in control)
    m = SCENARIO.course.mortality_day28[0]
    assert float(adjusted_mortality(m, odds_ratio)) < m


def test_vfd_and_ventilation_are_consistent_with_the_clinical_definition(patients: list) -> None:  # type: ignore[type-arg]
    for p in patients[:200]:
        course = patient_course(p, SCENARIO, MODEL, 8e8)
        expected = ventilator_free_days(
            course.ventilated_days, death_day=course.death_day, follow_up_end_day=60
        )
        assert course.vfd_28 == (expected.value or 0)
        if course.death_day is not None:
            assert all(day.study_day <= course.death_day for day in course.days)
            assert course.vfd_28 == 0 or course.death_day > 28
        assert course.days[0].pf_ratio == p.pf_ratio


def test_mean_vfd28_is_in_the_range_of_the_arma_lower_tidal_volume_arm(patients: list) -> None:  # type: ignore[type-arg]
    courses = [patient_course(p, SCENARIO, MODEL, 0.0) for p in patients[:1500]]
    vfd = np.array([c.vfd_28 for c in courses])
    assert 8.0 < vfd.mean() < 16.0  # ARMA (NEJM 2000): 12 +/- 11 days
