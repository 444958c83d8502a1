"""CRF saving: typed, unit-checked, range-checked fields; derived scores on save; reasons for changes."""

from __future__ import annotations

from decimal import Decimal

import pytest

from mexards.domain.errors import ValidationError, ValidationErrors
from mexards.protocol.form import builtin_forms, load_forms
from mexards.services import crf
from tests.unit.services.conftest import COORDINATOR, MONITOR, TrialSteps

GAS = {"measured_at": "2025-03-01T07:30:00+00:00", "support": "invasive", "pao2_mmhg": "80",
       "fio2_fraction": "0.5", "peep_cmh2o": "10"}


def test_the_form_library_has_the_clinical_md_section_4_forms() -> None:
    assert {"demographics", "blood_gas", "sofa", "murray", "labs", "vital_signs", "dosing_log", "adverse_event",
            "end_of_study"} <= set(builtin_forms())


def test_a_blood_gas_computes_pf_ratio_and_berlin_category_on_save(steps: TrialSteps) -> None:
    pid = steps.enrolled()
    record = crf.save_crf(steps.uow, COORDINATOR, pid, "blood_gas", "d1", GAS)
    # clinical.md 3.1: P/F = 80 / 0.5 = 160 mmHg; 100 < P/F <= 200 with PEEP >= 5 -> MODERATE
    assert record.derived["pf_ratio"] == "160" and record.derived["berlin_category"] == "MODERATE"
    assert record.values["pao2_mmhg"] == "80" and record.units["pao2_mmhg"] == "mmHg"


def test_kpa_and_percent_are_converted_before_range_checks(steps: TrialSteps) -> None:
    pid = steps.enrolled()
    values = {**GAS, "pao2_mmhg": "10", "fio2_fraction": "50"}
    record = crf.save_crf(steps.uow, COORDINATOR, pid, "blood_gas", "d1", values, {"pao2_mmhg": "kPa",
                                                                                   "fio2_fraction": "%"})
    # 10 kPa x 7.50062 = 75.0062 mmHg; 50 % = 0.5
    assert Decimal(str(record.values["pao2_mmhg"])) == Decimal("75.0062")
    assert record.values["fio2_fraction"] == "0.5"


def test_every_bad_field_is_reported_by_name(steps: TrialSteps) -> None:
    pid = steps.enrolled()
    bad = {**GAS, "pao2_mmhg": "900", "support": "cpap", "colour": "blue"}
    bad.pop("measured_at")
    with pytest.raises(ValidationErrors) as error:
        crf.save_crf(steps.uow, COORDINATOR, pid, "blood_gas", "d1", bad, {"peep_cmh2o": "mmHg"})
    fields = {e.field for e in error.value.errors}
    assert {"colour", "measured_at", "pao2_mmhg", "support", "peep_cmh2o_unit"} <= fields


def test_sofa_and_murray_are_derived_with_the_clinical_definitions(steps: TrialSteps) -> None:
    pid = steps.enrolled()
    sofa = crf.save_crf(steps.uow, COORDINATOR, pid, "sofa", "d1", {
        "assessed_on": "2025-03-01", "pao2_mmhg": "80", "fio2_fraction": "0.5", "respiratory_support": True,
        "platelets_10e3_ul": "120", "bilirubin_mg_dl": "34.2", "map_mmhg": "65", "gcs": 15,
        "creatinine_mg_dl": "1.0"}, {"bilirubin_mg_dl": "µmol/L"})
    # Vincent 1996: P/F 160 on support -> 3; platelets 120 -> 1; bilirubin 2.0 mg/dL -> 2; MAP 65 (< 70) -> 1;
    # GCS 15 -> 0; creatinine 1.0 -> 0: total 7
    assert sofa.derived["sofa_total"] == 7 and sofa.derived["sofa_complete"] is True
    murray = crf.save_crf(steps.uow, COORDINATOR, pid, "murray", "d1", {
        "assessed_on": "2025-03-01", "cxr_quadrants": 4, "pao2_mmhg": "80", "fio2_fraction": "0.5",
        "peep_cmh2o": "10", "compliance_ml_cmh2o": "30"})
    # Murray 1988: CXR 4 -> 4, P/F 160 -> 3, PEEP 10 -> 2, compliance 30 -> 3: (4+3+2+3)/4 = 3
    assert murray.derived["murray_score"] == "3" and murray.derived["murray_category"] == "SEVERE"


def test_a_change_after_first_entry_needs_a_reason_and_raises_the_version(steps: TrialSteps) -> None:
    pid = steps.enrolled()
    crf.save_crf(steps.uow, COORDINATOR, pid, "blood_gas", "d1", GAS)
    changed = {**GAS, "pao2_mmhg": "60"}
    with pytest.raises(ValidationError) as error:
        crf.save_crf(steps.uow, COORDINATOR, pid, "blood_gas", "d1", changed)
    assert error.value.field == "reason"
    record = crf.save_crf(steps.uow, COORDINATOR, pid, "blood_gas", "d1", changed, reason="transcription error")
    assert record.version == 2 and record.change_reason == "transcription error"
    assert record.derived["pf_ratio"] == "120"
    assert steps.uow.store.transactions[-1].reason == "transcription error"
    with pytest.raises(Exception, match="enter data"):
        crf.save_crf(steps.uow, MONITOR, pid, "blood_gas", "d2", GAS)


def test_a_form_file_with_an_unknown_field_type_is_refused_naming_the_path() -> None:
    with pytest.raises(ValidationError) as error:
        load_forms("forms: [{id: x, fields: [{name: a, type: colour}]}]")
    assert error.value.field == "forms[0].fields[0].type"
