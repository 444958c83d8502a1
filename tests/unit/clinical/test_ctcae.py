"""CTCAE v5.0 grading (clinical.md 3.8): Fever [S25] and the KNOWLEDGE-sourced structured terms."""

import pytest

from mexards.clinical.ctcae import canonical_term, grade_event, grade_fever, grading_facts
from mexards.domain.errors import ValidationError


@pytest.mark.parametrize(
    ("temperature", "grade"),
    [("37.9", 0), ("38.0", 1), ("39.0", 1), ("39.05", 2), ("40.0", 2)],
)
def test_fever_band_edges(temperature: str, grade: int) -> None:
    assert grade_fever(temperature).grade == grade


def test_fever_above_40_depends_on_duration() -> None:
    assert grade_fever("40.1", duration_hours=24).grade == 3
    assert grade_fever("40.1", duration_hours="24.5").grade == 4


def test_fever_above_40_without_duration_is_at_least_3_and_incomplete() -> None:
    result = grade_fever("40.5")
    assert result.grade == 3
    assert result.missing == ("duration_hours",)
    assert not result.complete


def test_fever_in_fahrenheit_is_converted() -> None:
    assert grade_fever("100.4", unit="°F").grade == 1


def test_fever_death_is_grade_5() -> None:
    assert grade_fever(39, death=True).grade == 5


def test_fever_is_not_knowledge_sourced_but_the_other_terms_are() -> None:
    assert not grade_fever(38).knowledge_sourced
    assert grade_event("Cough", {"mild_symptoms": True}).knowledge_sourced


@pytest.mark.parametrize(
    ("term", "facts", "grade"),
    [
        ("Hypoxia", {"intermittent_supplemental_oxygen": True}, 2),
        ("Hypoxia", {"spo2_with_exercise_percent": 87}, 2),
        ("Hypoxia", {"spo2_at_rest_percent": 88}, 0),
        ("Hypoxia", {"spo2_at_rest_percent": "87.9"}, 3),
        ("Hypoxia", {"pao2_at_rest_mmhg": 55}, 3),
        ("Hypoxia", {"pao2_at_rest_mmhg": 56}, 0),
        ("Hypoxia", {"urgent_intervention": True, "decreased_spo2_at_rest": True}, 4),
        ("Bronchospasm", {"mild_symptoms": True}, 1),
        ("Bronchospasm", {"medical_intervention": True}, 2),
        ("Bronchospasm", {"decreased_oxygen_saturation": True}, 3),
        ("Bronchospasm", {"urgent_intervention": True}, 4),
        ("Allergic reaction", {"systemic_intervention_not_indicated": True}, 1),
        ("Allergic reaction", {"oral_intervention": True}, 2),
        ("Allergic reaction", {"intravenous_intervention": True}, 3),
        ("allergic_reaction", {"life_threatening": True}, 4),
        ("Anaphylaxis", {"parenteral_intervention": True}, 3),
        ("Anaphylaxis", {"hypotension": "yes"}, 3),
        ("Anaphylaxis", {"urgent_intervention": True}, 4),
        ("Anaphylaxis", {"death": True}, 5),
        ("Dyspnea", {"on_moderate_exertion": True}, 1),
        ("Dyspnoea", {"on_minimal_exertion": True}, 2),
        ("Dyspnea", {"at_rest": True}, 3),
        ("Dyspnea", {"urgent_intervention": True}, 4),
        ("Cough", {"nonprescription_intervention": True}, 1),
        ("Cough", {"medical_intervention": True}, 2),
        ("Cough", {"severe_symptoms": True}, 3),
        ("Cough", {"mild_symptoms": False}, 0),
    ],
)
def test_structured_terms_grade_from_the_highest_true_clause(term: str, facts: dict[str, object], grade: int) -> None:
    assert grade_event(term, facts).grade == grade


def test_the_result_names_the_deciding_clause() -> None:
    result = grade_event("Anaphylaxis", {"parenteral_intervention": True, "urgent_intervention": True})
    assert result.grade == 4
    assert result.clause == "urgent intervention indicated"


def test_cough_has_no_grade_4_fact() -> None:
    with pytest.raises(ValidationError) as info:
        grade_event("Cough", {"urgent_intervention": True})
    assert info.value.field == "urgent_intervention"


def test_fever_through_the_generic_grader() -> None:
    assert grade_event("fever", {"temperature_c": "40.2", "duration_hours": 30}).grade == 4
    with pytest.raises(ValidationError, match="required"):
        grade_event("Fever", {})


def test_unknown_term_is_rejected() -> None:
    with pytest.raises(ValidationError) as info:
        canonical_term("Headache")
    assert info.value.field == "term"


def test_grading_facts_lists_the_accepted_names() -> None:
    assert "spo2_at_rest_percent" in grading_facts("Hypoxia")
    assert "death" not in grading_facts("Cough")


def test_non_boolean_fact_is_rejected() -> None:
    with pytest.raises(ValidationError):
        grade_event("Cough", {"mild_symptoms": 3})
