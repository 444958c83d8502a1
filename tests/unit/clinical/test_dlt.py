"""Proposed DLT rule (clinical.md 3.9, PROPOSAL): window, clauses 1a-1f, 2 and 3, relatedness, parameters."""

import pytest

from mexards.clinical.dlt import DLTFacts, DLTRule, propose_dlt
from mexards.domain.errors import ValidationError


def facts(**kw: object) -> DLTFacts:
    values: dict[str, object] = {"study_day": 2, "relatedness": "possible", "hours_after_dose": 1}
    values.update(kw)
    return DLTFacts.from_mapping(values)


def test_oxygenation_worsening_needs_both_fio2_and_peep_rises_when_ventilated() -> None:
    assert propose_dlt(facts(ventilated=True, fio2_increase="0.2", peep_increase_cmh2o=5)).proposed
    assert not propose_dlt(facts(ventilated=True, fio2_increase="0.2", peep_increase_cmh2o=4)).proposed
    assert not propose_dlt(facts(ventilated=True, fio2_increase="0.19", peep_increase_cmh2o=6)).proposed


def test_new_intubation_counts_when_not_ventilated() -> None:
    result = propose_dlt(facts(ventilated=False, new_intubation_or_niv=True))
    assert result.proposed
    assert result.clauses[0].startswith("1a")


def test_the_2_hour_window_is_inclusive() -> None:
    assert propose_dlt(facts(hours_after_dose=2, new_vasopressor=True)).proposed
    assert not propose_dlt(facts(hours_after_dose="2.1", new_vasopressor=True)).proposed


@pytest.mark.parametrize(
    ("kw", "clause"),
    [
        ({"new_bronchospasm_needing_treatment": True}, "1b"),
        ({"bronchospasm_grade": 3}, "1b"),
        ({"norepinephrine_increase_ug_min": 10}, "1c"),
        ({"arrhythmia_needing_cardioversion": True}, "1d"),
        ({"anaphylaxis_or_allergy_grade": 3}, "1e"),
        ({"death": True, "hours_after_dose": 20}, "1f"),
        ({"ctcae_grade": 3}, "2"),
        ({"ctcae_grade": 4, "haematological": True}, "2"),
        ({"serious": True}, "3"),
    ],
)
def test_each_clause_triggers_a_proposal_naming_itself(kw: dict[str, object], clause: str) -> None:
    result = propose_dlt(facts(**kw))
    assert result.proposed
    assert any(c.startswith(clause + ":") or c.startswith(clause) for c in result.clauses)


def test_below_threshold_events_are_not_dlts() -> None:
    assert not propose_dlt(
        facts(bronchospasm_grade=2, anaphylaxis_or_allergy_grade=2, norepinephrine_increase_ug_min=9)
    ).proposed
    assert not propose_dlt(facts(ctcae_grade=3, haematological=True)).proposed
    assert not propose_dlt(facts(ctcae_grade=3, clearly_due_to_underlying_disease=True)).proposed


def test_outside_the_day_1_to_8_window_is_not_a_dlt() -> None:
    assert not propose_dlt(facts(study_day=9, ctcae_grade=4)).proposed
    assert propose_dlt(facts(study_day=8, ctcae_grade=4)).proposed
    assert not propose_dlt(facts(study_day=0, ctcae_grade=4)).proposed


def test_unrelated_events_are_not_proposed_but_the_clauses_are_shown() -> None:
    result = propose_dlt(facts(relatedness="unlikely", ctcae_grade=4))
    assert not result.proposed
    assert result.clauses


def test_unknown_relatedness_is_proposed_pending_assessment() -> None:
    result = propose_dlt(facts(relatedness=None, ctcae_grade=3))
    assert result.proposed
    assert "relatedness" in result.missing


def test_early_facts_without_a_time_are_flagged_missing() -> None:
    result = propose_dlt(facts(hours_after_dose=None, new_vasopressor=True))
    assert not result.proposed
    assert result.missing == ("hours_after_dose",)


def test_parameters_come_from_the_protocol() -> None:
    rule = DLTRule.from_mapping({"window_last_day": 14, "inhalation_window_hours": 6, "nonhaematological_grade": 4})
    assert propose_dlt(facts(study_day=12, hours_after_dose=5, new_vasopressor=True), rule).proposed
    assert not propose_dlt(facts(ctcae_grade=3), rule).proposed


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"window_size": 3}, "window_size"),
        ({"window_last_day": "x"}, "window_last_day"),
        ({"window_first_day": 5, "window_last_day": 2}, "window_last_day"),
        ({"allergy_grade": 7}, "allergy_grade"),
    ],
)
def test_bad_rule_parameters_are_rejected_by_name(values: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationError) as info:
        DLTRule.from_mapping(values)
    assert info.value.field == field


@pytest.mark.parametrize(
    ("kw", "field"),
    [
        ({"relatedness": "maybe"}, "relatedness"),
        ({"ctcae_grade": 6}, "ctcae_grade"),
        ({"hours_after_dose": -1}, "hours_after_dose"),
        ({"serious": "yes"}, "serious"),
    ],
)
def test_bad_facts_are_rejected_by_name(kw: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationError) as info:
        propose_dlt(facts(**kw))
    assert info.value.field == field


def test_unknown_fact_names_are_rejected() -> None:
    with pytest.raises(ValidationError) as info:
        DLTFacts.from_mapping({"study_day": 1, "rash": True})
    assert info.value.field == "rash"
