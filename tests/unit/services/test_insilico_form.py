"""Form values of the in-silico trial: the scores derived on save are the virtual course's scores.

Sources: SOFA table (Vincent 1996; ``clinical.md`` 3.3), Murray LIS (Murray 1988; ``clinical.md`` 3.2), DLT rule
(``clinical.md`` 3.9), ICH E2A seriousness criteria, the CRF library ``protocol/forms/ards_core.yaml``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import numpy as np
import pytest

from mexards.clinical.dlt import DLTFacts, propose_dlt
from mexards.domain.adverse_event import Relatedness, SeriousnessCriterion
from mexards.protocol import builtin_protocol
from mexards.protocol.form import builtin_form
from mexards.services.crf import convert, derive
from mexards.services.escalation import dlt_rule
from mexards.services.insilico_form import (
    PAO2_FLOOR_MMHG,
    SOFA_SYSTEMS,
    blood_gas_values,
    demographics_values,
    dlt_facts,
    end_of_study_values,
    murray_values,
    oxygenation,
    relatedness,
    seriousness,
    sofa_values,
    split_sofa_points,
)
from mexards.simulation.ards_patient import (
    AdverseEventDraw,
    DailyStatus,
    generate_patients,
    patient_course,
    respiration_points,
)
from mexards.simulation.trial_course import TreatmentModel
from mexards.simulation.trial_scenario import load_trial_scenario

SCENARIO = load_trial_scenario("mexards")
PROTOCOL = builtin_protocol("NCT04602104")
MODEL = TreatmentModel.of(SCENARIO, [float(level.dose_particles) for level in PROTOCOL.dose_levels])
ON = date(2025, 2, 1)
AT = datetime(2025, 2, 1, 9, tzinfo=UTC)


def saved(form_id: str, values: dict[str, object]) -> dict[str, object]:
    """What ``crf.save_crf`` derives from these values (the same check and derivation)."""
    form = builtin_form(form_id)
    return derive(form, form.check(values, None, convert))


def test_sofa_points_are_split_over_the_five_other_systems_at_most_four_each() -> None:
    rng = np.random.default_rng(1)
    for total in range(21):
        points = split_sofa_points(total, rng)
        assert set(points) == set(SOFA_SYSTEMS) and sum(points.values()) == total
        assert all(0 <= p <= 4 for p in points.values())
    with pytest.raises(ValueError):
        split_sofa_points(21, rng)


def test_the_sofa_derived_on_save_is_the_courses_sofa_for_every_day_of_many_patients() -> None:
    rng = np.random.default_rng(2)
    days = same = 0
    for patient in generate_patients(SCENARIO, 60, np.random.default_rng(5)):
        points = split_sofa_points(patient.non_respiratory_sofa, rng)
        course = patient_course(patient, SCENARIO, MODEL, 8e8)
        for status in course.days[:8]:
            derived = saved("sofa", sofa_values(status, points, ON))
            assert derived["sofa_complete"] is True
            assert {k: derived[f"sofa_{k}"] for k in SOFA_SYSTEMS} == points
            pao2, fio2 = (Decimal(v) for v in oxygenation(status))
            entered = respiration_points(float(pao2 / fio2), status.support != "none")
            assert derived["sofa_total"] == entered + sum(points.values())
            days += 1
            same += derived["sofa_total"] == status.sofa
    # PaO2 is entered to 0.1 mmHg, so a P/F on a band edge (199.9 in the course) may be entered as 200.0
    assert days > 300 and same / days > 0.97


def test_the_murray_score_derived_on_save_is_the_courses_score() -> None:
    for patient in generate_patients(SCENARIO, 40, np.random.default_rng(6)):
        course = patient_course(patient, SCENARIO, MODEL, 2e8)
        for status in course.days[:7]:
            derived = saved("murray", murray_values(status, patient, ON))
            assert float(derived["murray_score"]) == pytest.approx(status.murray_lis, abs=0.01)


def test_blood_gas_values_pass_the_form_and_give_the_days_pf_ratio() -> None:
    for patient in generate_patients(SCENARIO, 40, np.random.default_rng(7)):
        course = patient_course(patient, SCENARIO, MODEL, 0.0)
        for status in course.days[:7]:
            values = blood_gas_values(status, AT, 40.2)
            derived = saved("blood_gas", values)
            assert float(derived["pf_ratio"]) == pytest.approx(status.pf_ratio, abs=0.6)
            assert ("peep_cmh2o" in values) is (status.support != "none")


def test_a_pao2_below_the_forms_floor_is_treated_by_raising_fio2_at_the_same_pf() -> None:
    status = DailyStatus(5, "invasive", 40.0, 12.0, 0.30, 12.0, 16, 3.5)
    pao2, fio2 = oxygenation(status)
    assert float(pao2) >= PAO2_FLOOR_MMHG and float(fio2) == 0.5
    assert float(pao2) / float(fio2) == pytest.approx(40.0)


def test_demographics_and_end_of_study_values_pass_their_forms() -> None:
    (patient,) = generate_patients(SCENARIO, 1, np.random.default_rng(8))
    form = builtin_form("demographics")
    checked = form.check(demographics_values(patient), None, convert)
    assert checked["sex"] == patient.record["sex"]
    assert checked["ards_risk_factor"] in form.field("ards_risk_factor").choices
    end = builtin_form("end_of_study").check(end_of_study_values("died", ON, death_on=ON), None, convert)
    assert end["death_on"] == ON


def test_relatedness_and_seriousness_of_drawn_events() -> None:
    assert relatedness(AdverseEventDraw("Fever", 1, 2, "unlikely related", False, False)) is Relatedness.UNLIKELY
    dlt = AdverseEventDraw("Hypoxia", 4, 3, "probably related", True, True)
    assert relatedness(dlt) is Relatedness.PROBABLE
    assert seriousness(dlt) == (SeriousnessCriterion.LIFE_THREATENING,)
    assert seriousness(AdverseEventDraw("Hypoxia", 3, 3, "unlikely related", True, False)) == (
        SeriousnessCriterion.HOSPITALISATION,)
    assert seriousness(AdverseEventDraw("ARDS", 5, 9, "not_related", True, False)) == (SeriousnessCriterion.DEATH,)
    assert seriousness(AdverseEventDraw("Nausea", 2, 3, "unlikely related", False, False)) == ()
    with pytest.raises(ValueError):
        relatedness(AdverseEventDraw("Fever", 1, 2, "who knows", False, False))


def test_the_protocols_dlt_rule_proposes_the_drawn_dlts_and_only_them() -> None:
    rule = dlt_rule(PROTOCOL)
    dlt = AdverseEventDraw("Bronchospasm", 3, 2, "probably related", True, True)
    background = AdverseEventDraw("Hypotension", 3, 2, "unlikely related", True, False)
    late = AdverseEventDraw("Allergic reaction", 4, 9, "probably related", True, True)
    assert propose_dlt(DLTFacts.from_mapping(dlt_facts(dlt, 1.0)), rule).proposed
    assert not propose_dlt(DLTFacts.from_mapping(dlt_facts(background, 5.0)), rule).proposed
    assert not propose_dlt(DLTFacts.from_mapping(dlt_facts(late, 1.0)), rule).proposed  # Day 9: after the window
