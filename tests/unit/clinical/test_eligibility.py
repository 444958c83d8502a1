"""The eligibility engine on the NCT04602104 criteria: each criterion met, not met and missing; window
boundaries; setting flips; anchors; composition. Criteria text: registry record [S1] and seed; conventions:
clinical.md 1.2, 1.3 and 5."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from mexards.clinical.eligibility import Screener, ScreeningResult, Status, Verdict
from mexards.protocol import builtin_protocol, example_patients

MEXARDS = builtin_protocol("NCT04602104")
SCREENER = Screener(MEXARDS)


def patient(**changes: Any) -> dict[str, Any]:
    """The bundled eligible reference patient MX-001 with ``a__b=value`` changes (``None`` removes a field)."""
    record = copy.deepcopy(example_patients("NCT04602104")[0])
    for key, value in changes.items():
        target = record
        *parents, leaf = key.split("__")
        for part in parents:
            target = target.setdefault(part, {})
        if value is None:
            target.pop(leaf, None)
        else:
            target[leaf] = value
    return record


def screen(**changes: Any) -> ScreeningResult:
    return SCREENER.screen(patient(**changes))


def test_the_reference_patient_meets_every_inclusion_and_no_exclusion() -> None:
    result = screen()
    assert result.verdict is Verdict.ELIGIBLE
    assert all(c.status is Status.MET for c in result.criteria if c.kind == "inclusion")
    assert all(c.status is Status.NOT_MET for c in result.criteria if c.kind == "exclusion")


def test_every_criterion_of_the_protocol_gets_a_result_in_protocol_order() -> None:
    ids = [c.id for c in screen().criteria]
    assert ids == [f"I{n}" for n in range(1, 6)] + [f"E{n}" for n in range(1, 22)]


# ------------------------------------------------------------------------------------------ per criterion
CASES: list[tuple[str, dict[str, Any], Status]] = [
    ("I1", {"consent__signed": False}, Status.NOT_MET),
    ("I1", {"consent__signed": None}, Status.MISSING),
    ("I1", {"consent__given_by": "subject"}, Status.MET),
    ("I1", {"consent__given_by": "legal_representative"}, Status.MET),
    ("I2", {"date_of_birth": "2007-03-01"}, Status.MET),        # 18th birthday on the screening date
    ("I2", {"date_of_birth": "2007-03-02"}, Status.NOT_MET),    # one day short of 18
    ("I2", {"date_of_birth": "1954-03-02"}, Status.MET),        # 70, turns 71 the next day
    ("I2", {"date_of_birth": "1954-03-01"}, Status.NOT_MET),    # 71 today
    ("I2", {"date_of_birth": None}, Status.MISSING),
    ("I3", {"oxygenation__pao2_mmhg": 160}, Status.NOT_MET),    # P/F 320: not ARDS
    ("I3", {"oxygenation__pao2_mmhg": 150}, Status.MET),        # P/F 300: mild (inclusive)
    ("I3", {"oxygenation__peep_cmh2o": 3}, Status.NOT_MET),     # PEEP < 5: Berlin cannot be applied
    ("I3", {"ards__bilateral_opacities": False}, Status.NOT_MET),
    ("I3", {"ards__onset_within_1_week": None}, Status.MISSING),
    ("I3", {"oxygenation__pao2_mmhg": None}, Status.MISSING),
    ("I3", {"oxygenation": {"pao2_kpa": "10.666", "fio2_percent": 50, "peep_cmh2o": 10, "support": "invasive"}},
     Status.MET),
    ("I4", {"ards__diagnosed_at": "2025-02-25T08:00:01+00:00"}, Status.MET),   # 95 h 59 min 59 s
    ("I4", {"ards__diagnosed_at": "2025-02-25T08:00:00+00:00"}, Status.NOT_MET),  # exactly 96 h
    ("I4", {"ards__diagnosed_at": "2025-02-25T16:00:00+08:00"}, Status.NOT_MET),  # 96 h across time zones
    ("I4", {"ards__diagnosed_at": None}, Status.MISSING),
    ("I5", {"hemodynamics__left_atrial_hypertension_signs": True}, Status.MISSING),
    ("I5", {"hemodynamics__left_atrial_hypertension_signs": True, "hemodynamics__paop_mmhg": 18}, Status.MET),
    ("I5", {"hemodynamics__left_atrial_hypertension_signs": True, "hemodynamics__paop_mmhg": "18.5"},
     Status.NOT_MET),
    ("I5", {"ards__bilateral_opacities": False}, Status.NOT_MET),
    ("E1", {"history__severe_allergic_constitution": True}, Status.MET),
    ("E1", {"history__severe_allergic_constitution": None}, Status.MISSING),
    ("E2", {"liver": {"child_pugh_score": 13}}, Status.MET),
    ("E2", {"liver": {"child_pugh_score": 12}}, Status.NOT_MET),
    ("E2", {"liver": {}}, Status.MISSING),
    ("E2", {"liver__ascites": None, "liver__encephalopathy": None}, Status.NOT_MET),  # at most 3 + 6 = 9
    ("E2", {"liver": {"bilirubin_mg_dl": 5, "albumin_g_dl": 2, "inr": 3}}, Status.MISSING),  # 11 to 15
    ("E2", {"liver": {"bilirubin_mg_dl": 5, "albumin_g_dl": 2, "inr": 3, "ascites": "severe"}}, Status.MET),
    ("E3", {"history__chronic_respiratory_disease": True, "oxygenation__paco2_mmhg": 55,
            "history__home_oxygen": True}, Status.MET),
    ("E3", {"history__chronic_respiratory_disease": True, "oxygenation__paco2_mmhg": 50,
            "history__home_oxygen": True}, Status.NOT_MET),      # PaCO2 must exceed 50
    ("E3", {"history__chronic_respiratory_disease": True, "oxygenation__paco2_mmhg": None,
            "history__home_oxygen": True}, Status.MISSING),
    ("E3", {"history__chronic_respiratory_disease": True, "oxygenation__paco2_mmhg": None,
            "oxygenation__paco2_kpa": "7.5", "history__home_oxygen": True}, Status.MET),  # 56.25 mmHg
    ("E4", {"events__severe_trauma": {"occurred": True, "date": "2025-02-15"}}, Status.MET),   # day 14
    ("E4", {"events__severe_trauma": {"occurred": True, "date": "2025-02-14"}}, Status.NOT_MET),  # day 15
    ("E4", {"events__severe_trauma": {"occurred": True}}, Status.MISSING),
    ("E4", {"events__severe_trauma": None}, Status.MISSING),
    ("E5", {"history__malignancy": True}, Status.MISSING),
    ("E5", {"history__malignancy": True, "history__malignancy_only_basal_cell_skin": True}, Status.NOT_MET),
    ("E5", {"history__malignancy": True, "history__malignancy_only_basal_cell_skin": False}, Status.MET),
    ("E6", {"treatment__dialysis": True}, Status.MET),
    ("E7", {"events__dvt_or_pe": {"occurred": True, "date": "2024-12-01"}}, Status.MET),      # day 90
    ("E7", {"events__dvt_or_pe": {"occurred": True, "date": "2024-11-30"}}, Status.NOT_MET),  # day 91
    ("E8", {"events__acute_mi": {"occurred": True, "date": "2025-01-30"}}, Status.MET),       # day 30
    ("E8", {"events__acute_mi": {"occurred": True, "date": "2025-01-29"}}, Status.NOT_MET),   # day 31
    ("E9", {"history__neuromuscular_disease": True}, Status.MET),
    ("E10", {"anthropometry__weight_kg": "80.93", "anthropometry__height_cm": 170}, Status.MET),
    ("E10", {"anthropometry__weight_kg": None}, Status.MISSING),
    ("E11", {"history__lung_transplant": True}, Status.MET),
    ("E12", {"history__bone_marrow_transplant": True}, Status.MET),
    ("E13", {"infection__hiv": True, "labs__cd4_per_mm3": 199}, Status.MET),
    ("E13", {"infection__hiv": True, "labs__cd4_per_mm3": 200}, Status.NOT_MET),
    ("E13", {"labs__anc_per_mm3": 499}, Status.MET),
    ("E13", {"labs__anc_per_mm3": 500}, Status.NOT_MET),
    ("E13", {"treatment__immunosuppressive_therapy": True}, Status.MET),
    ("E13", {"events__chemotherapy": {"occurred": True, "date": "2025-01-18"}}, Status.MET),    # 42 days
    ("E13", {"events__chemotherapy": {"occurred": True, "date": "2025-01-17"}}, Status.NOT_MET),  # 43 days
    ("E13", {"labs__anc_per_mm3": None}, Status.MISSING),
    ("E14", {"treatment__hfov": True}, Status.MET),
    ("E14", {"treatment__ecmo": None}, Status.MISSING),
    ("E15", {"treatment__declines_lung_protective_care": True}, Status.MET),
    ("E16", {"history__epilepsy": True, "treatment__continuous_anticonvulsant": True}, Status.MET),
    ("E16", {"history__epilepsy": True, "treatment__continuous_anticonvulsant": False,
             "events__anticonvulsant_therapy": {"occurred": True, "date": "2022-03-01"}}, Status.MET),  # 3 years
    ("E16", {"history__epilepsy": True, "treatment__continuous_anticonvulsant": False,
             "events__anticonvulsant_therapy": {"occurred": True, "date": "2022-02-28"}}, Status.NOT_MET),
    ("E17", {"attestations__expected_survival_under_30_days": True}, Status.MET),
    ("E17", {"attestations__expected_survival_under_30_days": None}, Status.MISSING),
    ("E18", {"infection__syphilis": True}, Status.MET),
    ("E18", {"infection__hepatitis_b": None}, Status.MISSING),
    ("E19", {"sex": "female", "reproductive": {"childbearing_potential": True, "lactating": True}}, Status.MET),
    ("E19", {"sex": "female", "reproductive": {"childbearing_potential": False}}, Status.NOT_MET),
    ("E19", {"sex": "female", "reproductive": {"childbearing_potential": True}}, Status.MISSING),
    ("E19", {"sex": None}, Status.MISSING),
    ("E20", {"attestations__unable_to_understand_protocol": True}, Status.MET),
    ("E21", {"attestations__otherwise_unsuitable": True}, Status.MET),
    ("E21", {"attestations__otherwise_unsuitable": None}, Status.MISSING),
]


@pytest.mark.parametrize(("criterion", "changes", "status"), CASES,
                         ids=[f"{c}-{i}" for i, (c, _, _) in enumerate(CASES)])
def test_a_change_to_the_reference_patient_gives_the_expected_status_and_verdict(
        criterion: str, changes: dict[str, Any], status: Status) -> None:
    result = screen(**changes)
    assert result.criterion(criterion).status is status
    assert result.criterion(criterion).reason
    if result.criterion(criterion).fails:
        assert result.verdict is Verdict.INELIGIBLE and criterion in result.failing
    elif status is Status.MISSING:
        assert criterion in result.missing and result.verdict is not Verdict.ELIGIBLE


def test_an_ineligible_patient_lists_every_failing_criterion() -> None:
    result = screen(date_of_birth="1940-01-01", treatment__dialysis=True, history__lung_transplant=True,
                    events__acute_mi="2025-02-20", consent__signed=False)
    assert result.failing == ("I1", "I2", "E6", "E8", "E11")


def test_ineligibility_wins_over_missing_data() -> None:
    result = screen(treatment__dialysis=True, labs=None)
    assert result.verdict is Verdict.INELIGIBLE
    assert result.missing == ("E13",)


def test_missing_data_without_a_failure_gives_incomplete() -> None:
    result = screen(attestations=None)
    assert result.verdict is Verdict.INCOMPLETE
    assert result.missing == ("E17", "E20", "E21")


def test_the_within_inclusive_setting_flips_the_boundary_day() -> None:
    record = patient(events__severe_trauma={"occurred": True, "date": "2025-02-15"})
    exclusive = Screener(MEXARDS, {"within_n_days_inclusive": False}).screen(record)
    assert SCREENER.screen(record).criterion("E4").status is Status.MET
    assert exclusive.criterion("E4").status is Status.NOT_MET


def test_the_exclusion_3_join_setting_flips_the_verdict_and_both_readings_warn() -> None:
    record = patient(history__chronic_respiratory_disease=True, history__home_oxygen=True,
                     oxygenation__paco2_mmhg=45)
    literal = SCREENER.screen(record)
    start = Screener(MEXARDS, {"exclusion3_join": "or"}).screen(record)
    assert literal.verdict is Verdict.ELIGIBLE and start.verdict is Verdict.INELIGIBLE
    assert literal.criterion("E3").warnings and start.criterion("E3").warnings


def test_the_exclusion_3_warning_is_silent_when_both_parts_agree_or_the_disease_is_absent() -> None:
    both = screen(history__chronic_respiratory_disease=True, history__home_oxygen=True,
                  oxygenation__paco2_mmhg=55)
    no_disease = screen(history__chronic_respiratory_disease=False, oxygenation__paco2_mmhg=55)
    assert both.criterion("E3").status is Status.MET and not both.criterion("E3").warnings
    assert no_disease.criterion("E3").status is Status.NOT_MET and not no_disease.warnings


def test_the_berlin_policy_setting_decides_non_invasive_support_with_p_f_at_most_200() -> None:
    record = patient(oxygenation__support="noninvasive")
    strict = SCREENER.screen(record)
    pragmatic = Screener(MEXARDS, {"berlin_noninvasive_policy": "pragmatic"}).screen(record)
    assert strict.criterion("I3").values["berlin_category"] == "NOT_CLASSIFIABLE"
    assert strict.failing == ("I3",)
    assert pragmatic.criterion("I3").values["berlin_category"] == "MODERATE"
    assert pragmatic.verdict is Verdict.ELIGIBLE


def test_the_course_is_measured_to_the_enrolment_time_when_recorded() -> None:
    record = patient(ards__diagnosed_at="2025-02-25T06:00:00+00:00", screening_at="2025-03-01T05:00:00+00:00",
                     enrolment_at="2025-03-01T07:00:00+00:00")
    result = SCREENER.screen(record)
    assert result.criterion("I4").values["elapsed_hours"] == "97"
    assert result.failing == ("I4",)


def test_without_an_enrolment_time_the_screening_time_is_used_with_a_warning() -> None:
    result = screen(enrolment_at=None)
    assert result.criterion("I4").status is Status.MET
    assert result.criterion("I4").values["screening_at"].startswith("2025-03-01T07:00")
    assert any("re-check at enrolment" in w for w in result.warnings)


def test_a_diagnosis_after_the_anchor_time_cannot_be_decided() -> None:
    result = screen(ards__diagnosed_at="2025-03-02T08:00:00+00:00")
    assert result.criterion("I4").status is Status.MISSING
    assert "check the dates" in result.criterion("I4").reason


def test_chemotherapy_is_counted_back_from_randomisation() -> None:
    # 6 weeks before randomisation 2025-03-10 is 2025-01-27; screening was earlier, on 2025-03-01.
    result = screen(enrolment_at="2025-03-10T08:00:00+00:00",
                    events__chemotherapy={"occurred": True, "date": "2025-01-26"})
    assert result.criterion("E13").status is Status.NOT_MET


def test_an_estimated_weight_is_flagged_on_the_bmi_criterion() -> None:
    result = screen(anthropometry__weight_estimated=True)
    assert result.verdict is Verdict.ELIGIBLE
    assert result.criterion("E10").warnings == ("weight was estimated, not measured",)


def test_a_recorded_child_pugh_score_that_disagrees_with_its_components_is_an_error() -> None:
    from mexards.domain.errors import ValidationErrors

    with pytest.raises(ValidationErrors) as caught:
        screen(liver__child_pugh_score=7)
    assert [(e.field, e.rule) for e in caught.value.errors] == [
        ("liver.child_pugh_score", "differs from the score computed from its components (5)")]
    with pytest.raises(ValidationErrors):
        screen(liver__child_pugh_score=12, liver__ascites=None)   # at most 9 with the recorded components


def test_a_recorded_child_pugh_score_is_used_when_components_are_missing() -> None:
    result = screen(liver__child_pugh_score=6, liver__ascites=None)
    assert result.criterion("E2").values["child_pugh_score"] == "6"
    assert result.criterion("E2").status is Status.NOT_MET


def test_si_unit_liver_values_are_converted_before_scoring() -> None:
    # bilirubin 70 µmol/L = 4.09 mg/dL (3), albumin 25 g/L = 2.5 g/dL (3), INR 2.0 (2), moderate (3), 1-2 (2)
    result = screen(liver={"bilirubin_umol_l": 70, "albumin_g_l": 25, "inr": "2.0", "ascites": "moderate",
                           "encephalopathy": "grade 1-2"})
    assert result.criterion("E2").values["child_pugh_score"] == "13"
    assert result.failing == ("E2",)


def test_reasons_are_plain_language_with_the_values_used() -> None:
    result = screen(date_of_birth="1950-01-01")
    assert result.criterion("I2").reason == "age (years) 75 is outside 18 to 70"
    assert result.criterion("E10").reason == "BMI 24.21 <= 28"
    assert result.criterion("E4").reason == "events.severe_trauma: none recorded"
    assert result.criterion("E17").reason.endswith("(investigator attests)")


def test_the_result_serialises_with_verdict_and_criteria() -> None:
    data = screen().as_dict()
    assert data["verdict"] == "ELIGIBLE"
    assert data["criteria"][0] == {**data["criteria"][0], "id": "I1", "status": "MET"}
    assert set(data["criteria"][0]) >= {"id", "status", "reason", "values", "warnings"}


def test_an_unknown_setting_override_is_rejected_naming_it() -> None:
    from mexards.domain.errors import ValidationErrors

    with pytest.raises(ValidationErrors) as caught:
        Screener(MEXARDS, {"exclusion_three": "or"})
    assert caught.value.errors[0].field == "settings.exclusion_three"


def test_a_bad_setting_value_is_rejected_naming_the_rule_that_uses_it() -> None:
    from mexards.domain.errors import ValidationErrors

    with pytest.raises(ValidationErrors) as caught:
        Screener(MEXARDS, {"exclusion3_join": "xor"})
    assert caught.value.errors[0].field == "eligibility.exclusion[2].rule.all[1].join.op"
    assert caught.value.errors[0].rule == "must be one of: and, or"


@pytest.mark.parametrize("registry_id", ["NCT04602104", "NCT04313647", "NCT01902082"])
def test_every_built_in_protocol_screens_its_example_patients(registry_id: str) -> None:
    screener = Screener(builtin_protocol(registry_id))
    results = screener.screen_many(example_patients(registry_id))
    assert results[0].verdict is Verdict.ELIGIBLE
    assert any(r.verdict is Verdict.INELIGIBLE for r in results)


def test_mexvt_standard_weight_tolerance_is_plus_or_minus_10_percent_inclusive() -> None:
    # standard weight at 175 cm = 0.7 x 95 = 66.5 kg; +10 % = 73.15 kg; -10 % = 59.85 kg  [S6]
    screener = Screener(builtin_protocol("NCT04313647"))
    base = example_patients("NCT04313647")[0]
    statuses = {}
    for weight in ("73.15", "73.16", "59.85", "59.84"):
        record = copy.deepcopy(base)
        record["anthropometry"] = {"weight_kg": weight, "height_cm": 175}
        statuses[weight] = screener.screen(record).criterion("I3").status
    assert statuses == {"73.15": Status.MET, "73.16": Status.NOT_MET, "59.85": Status.MET, "59.84": Status.NOT_MET}


def test_nct01902082_excludes_more_than_72_hours_since_the_criteria_were_met() -> None:
    screener = Screener(builtin_protocol("NCT01902082"))
    record = copy.deepcopy(example_patients("NCT01902082")[0])
    record["ards"]["diagnosed_at"] = "2013-07-29T12:00:00+08:00"   # exactly 72 h before enrolment
    assert screener.screen(record).criterion("E1").status is Status.NOT_MET
    record["ards"]["diagnosed_at"] = "2013-07-29T11:59:00+08:00"
    assert screener.screen(record).criterion("E1").status is Status.MET
