"""Published eligibility cases for NCT04602104 (MEXARDS).

Source: /work/shared/reference/clinical-examples.md section E (reference patient P0, screening date
2025-03-01), built from the registry eligibility module [S1] (inclusion 1-5, exclusion 1-10) and the registry
seed text for exclusions 11-21; boundary cases from clinical-examples.md sections C (Child-Pugh, exclusion 2) and
W (BMI, exclusion 10). The expected verdicts are rule logic; no numeric tolerance applies (exact decimals).
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from mexards.clinical.eligibility import Screener, Status, Verdict
from mexards.protocol import builtin_protocol

SCREENING = "2025-03-01T08:00:00+00:00"


def reference_patient_p0() -> dict[str, Any]:
    """P0 of clinical-examples.md E: male, born 1980-01-10 (45); consent signed by his wife; Berlin ARDS after
    pneumonia (onset 2 d, bilateral infiltrates, not cardiac, P/F 160 on PEEP 10, invasive); ARDS diagnosed
    2025-02-27 08:00, randomised 2025-03-01 08:00 (48 h); PAOP not measured, no sign of left atrial
    hypertension; Child-Pugh 5; 75 kg / 176 cm (BMI 24.2); no exclusion present."""
    return {
        "patient_id": "P0",
        "screening_at": SCREENING,
        "enrolment_at": "2025-03-01T08:00:00+00:00",
        "sex": "male",
        "date_of_birth": "1980-01-10",
        "consent": {"signed": True, "given_by": "family_member", "relationship": "wife"},
        "anthropometry": {"weight_kg": 75, "height_cm": 176},
        "ards": {"diagnosed_at": "2025-02-27T08:00:00+00:00", "risk_factor": "pneumonia",
                 "onset_within_1_week": True, "bilateral_opacities": True, "edema_not_cardiac": True},
        "oxygenation": {"pao2_mmhg": 80, "fio2_fraction": "0.50", "peep_cmh2o": 10, "support": "invasive",
                        "paco2_mmhg": 40},
        "hemodynamics": {"left_atrial_hypertension_signs": False},
        "liver": {"bilirubin_mg_dl": "1.5", "albumin_g_dl": "3.8", "inr": "1.2", "ascites": "none",
                  "encephalopathy": "none"},
        "labs": {"cd4_per_mm3": 900, "anc_per_mm3": 5200},
        "history": {"severe_allergic_constitution": False, "chronic_respiratory_disease": False,
                    "home_oxygen": False, "malignancy": False, "neuromuscular_disease": False,
                    "lung_transplant": False, "bone_marrow_transplant": False, "epilepsy": False},
        "infection": {"hepatitis_b": False, "hepatitis_c": False, "hiv": False, "aids": False, "syphilis": False},
        "treatment": {"dialysis": False, "ecmo": False, "hfov": False, "immunosuppressive_therapy": False,
                      "declines_lung_protective_care": False},
        "events": {"severe_trauma": False, "dvt_or_pe": False, "acute_mi": False, "chemotherapy": False},
        "attestations": {"expected_survival_under_30_days": False, "unable_to_understand_protocol": False,
                         "otherwise_unsuitable": False},
    }


def changed(**changes: Any) -> dict[str, Any]:
    """P0 with dotted-path changes (``ards__diagnosed_at=...`` sets ``ards.diagnosed_at``)."""
    record = copy.deepcopy(reference_patient_p0())
    for key, value in changes.items():
        target = record
        *parents, leaf = key.split("__")
        for part in parents:
            target = target.setdefault(part, {})
        target[leaf] = value
    return record


@pytest.fixture(scope="module")
def screener() -> Screener:
    return Screener(builtin_protocol("NCT04602104"))


def test_e01_reference_patient_p0_is_eligible(screener: Screener) -> None:
    result = screener.screen(reference_patient_p0())
    assert result.verdict is Verdict.ELIGIBLE
    assert result.failing == () and result.missing == () and result.warnings == ()
    assert result.criterion("E2").values["child_pugh_score"] == "5"
    assert result.criterion("E10").values["bmi"] == "24.21"


def test_e02_age_71_is_ineligible_by_inclusion_2(screener: Screener) -> None:
    result = screener.screen(changed(date_of_birth="1954-03-01"))
    assert result.verdict is Verdict.INELIGIBLE
    assert result.failing == ("I2",)
    assert result.criterion("I2").values["age_years"] == "71"


def test_e05_enrolment_95_hours_after_diagnosis_is_eligible(screener: Screener) -> None:
    result = screener.screen(changed(screening_at="2025-03-01T08:00:00+00:00",
                                     ards__diagnosed_at="2025-03-01T08:00:00+00:00",
                                     enrolment_at="2025-03-05T07:00:00+00:00"))
    assert result.verdict is Verdict.ELIGIBLE
    assert result.criterion("I4").values["elapsed_hours"] == "95"


def test_e05_enrolment_exactly_96_hours_after_diagnosis_is_ineligible_by_inclusion_4(screener: Screener) -> None:
    result = screener.screen(changed(screening_at="2025-03-01T08:00:00+00:00",
                                     ards__diagnosed_at="2025-03-01T08:00:00+00:00",
                                     enrolment_at="2025-03-05T08:00:00+00:00"))
    assert result.verdict is Verdict.INELIGIBLE
    assert result.failing == ("I4",)


def test_e10_copd_with_paco2_55_without_home_oxygen_is_eligible_with_a_warning_under_and(
        screener: Screener) -> None:
    record = changed(history__chronic_respiratory_disease=True, oxygenation__paco2_mmhg=55)
    result = screener.screen(record)
    assert result.verdict is Verdict.ELIGIBLE
    assert result.criterion("E3").status is Status.NOT_MET
    assert any(w.startswith("E3:") and "'and'" in w for w in result.warnings)


def test_e10_the_same_patient_is_ineligible_by_exclusion_3_under_the_start_reading_or() -> None:
    record = changed(history__chronic_respiratory_disease=True, oxygenation__paco2_mmhg=55)
    result = Screener(builtin_protocol("NCT04602104"), {"exclusion3_join": "or"}).screen(record)
    assert result.verdict is Verdict.INELIGIBLE
    assert result.failing == ("E3",)
    assert any(w.startswith("E3:") for w in result.warnings)


def test_e21_age_72_and_bmi_30_1_lists_both_inclusion_2_and_exclusion_10(screener: Screener) -> None:
    # 30.1 x 1.76^2 = 93.2378 kg; 93.24 kg at 176 cm gives BMI 30.10
    result = screener.screen(changed(date_of_birth="1952-06-01", anthropometry__weight_kg="93.24"))
    assert result.verdict is Verdict.INELIGIBLE
    assert result.failing == ("I2", "E10")


@pytest.mark.parametrize(
    ("liver", "score", "excluded"),
    [
        # C01: 1.5, 3.8, 1.2, none, none -> 5, class A, not excluded
        ({"bilirubin_mg_dl": "1.5", "albumin_g_dl": "3.8", "inr": "1.2", "ascites": "none",
          "encephalopathy": "none"}, "5", False),
        # C03: 4.0, 2.5, 2.5, severe, grade 3 -> 15, excluded
        ({"bilirubin_mg_dl": "4.0", "albumin_g_dl": "2.5", "inr": "2.5", "ascites": "severe",
          "encephalopathy": "grade 3-4"}, "15", True),
        # C05: 3.5, 2.7, 2.0, mild, grade 1-2 -> 12, class C but not excluded (needs > 12)
        ({"bilirubin_mg_dl": "3.5", "albumin_g_dl": "2.7", "inr": "2.0", "ascites": "mild",
          "encephalopathy": "grade 1-2"}, "12", False),
    ],
    ids=["C01", "C03", "C05"],
)
def test_child_pugh_cases_decide_exclusion_2_on_the_score(screener: Screener, liver: dict[str, str], score: str,
                                                           excluded: bool) -> None:
    result = screener.screen(changed(liver=liver))
    assert result.criterion("E2").values["child_pugh_score"] == score
    assert (result.criterion("E2").status is Status.MET) is excluded
    assert (result.verdict is Verdict.INELIGIBLE) is excluded


def test_w03_bmi_exactly_28_from_80_92_kg_and_170_cm_is_not_excluded(screener: Screener) -> None:
    # Float trap: 80.92 / 1.7**2 = 28.000000000000004 in binary floating point; the exact value is 28.
    result = screener.screen(changed(anthropometry__weight_kg=80.92, anthropometry__height_cm=170))
    assert result.criterion("E10").status is Status.NOT_MET
    assert result.verdict is Verdict.ELIGIBLE


def test_w01_bmi_27_7_is_not_excluded(screener: Screener) -> None:
    result = screener.screen(changed(anthropometry__weight_kg=80, anthropometry__height_cm=170))
    assert result.criterion("E10").status is Status.NOT_MET


def test_bmi_28_03_is_excluded_exactly_but_not_with_the_1dp_rounding_setting() -> None:
    # clinical.md 3 general rules: 81 kg / 170 cm = 28.03, which rounds to 28.0.
    record = changed(anthropometry__weight_kg=81, anthropometry__height_cm=170)
    exact = Screener(builtin_protocol("NCT04602104")).screen(record)
    rounded = Screener(builtin_protocol("NCT04602104"), {"bmi_rounding": "1dp"}).screen(record)
    assert exact.failing == ("E10",)
    assert rounded.verdict is Verdict.ELIGIBLE


def test_b06_p_f_exactly_200_from_114_over_0_57_is_moderate_and_meets_inclusion_3(screener: Screener) -> None:
    result = screener.screen(changed(oxygenation={"pao2_mmhg": 114, "fio2_fraction": 0.57, "peep_cmh2o": 10,
                                                  "support": "invasive", "paco2_mmhg": 40}))
    assert result.criterion("I3").values["berlin_category"] == "MODERATE"
    assert result.criterion("I3").status is Status.MET
