"""CTCAE v5.0 grading for the terms expected in an inhalation trial.

Source: NCI Common Terminology Criteria for Adverse Events v5.0 (27 Nov 2017), clinical.md 3.8 [S25].

- **Fever** is graded from the temperature and its duration, verified against [S25]:
  < 38.0 °C no Fever AE (grade 0); 38.0-39.0 -> 1; > 39.0-40.0 -> 2; > 40.0 for <= 24 h -> 3;
  > 40.0 for > 24 h -> 4; death -> 5. Both ends of the grade 1 band and the top of the grade 2 band are
  inclusive (38.0 -> 1, 39.0 -> 1, 39.05 -> 2, 40.0 -> 2).
- **Hypoxia, Bronchospasm, Allergic reaction, Anaphylaxis, Dyspnea, Cough** are graded from structured clinical
  facts, each a clause of the CTCAE table. Their wording is **KNOWLEDGE** (written from the CTCAE v5.0 table
  from memory, not from a retrieved copy; clinical.md 3.8 asks for a check against the NCI xlsx).

A semicolon in CTCAE means "or": the grade is the highest grade any true clause reaches, and the result names
the clause(s) that decided it. Changes are judged against the pre-dose baseline (an ARDS patient is hypoxic at
baseline), and ADL clauses are replaced by the intervention/consequence clauses in sedated, ventilated
patients (clinical.md 3.8); the facts passed in are the investigator's judgements on that basis.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from mexards.clinical.quantity import Number, non_negative, temperature_celsius
from mexards.domain.errors import ValidationError

RULE_VERSION = "CTCAE v5.0 (NCI, 27 Nov 2017)"

FEVER_GRADE_1_FROM_C = Decimal("38.0")
FEVER_GRADE_2_ABOVE_C = Decimal("39.0")
FEVER_GRADE_3_ABOVE_C = Decimal("40.0")
FEVER_GRADE_4_AFTER_HOURS = Decimal(24)


@dataclass(frozen=True)
class CTCAEResult:
    """A CTCAE grade (0 = the event does not reach grade 1) with the deciding clause(s)."""

    term: str
    grade: int
    clauses: tuple[str, ...]
    knowledge_sourced: bool
    missing: tuple[str, ...] = ()
    complete: bool = True
    rule_version: str = RULE_VERSION

    @property
    def clause(self) -> str:
        """The deciding clauses as one line."""
        return "; ".join(self.clauses)


# term -> {fact name: (grade, CTCAE clause)}. All KNOWLEDGE-sourced (see the module docstring).
_DEATH = (5, "death")
_CLAUSES: dict[str, dict[str, tuple[int, str]]] = {
    "Hypoxia": {
        "decreased_spo2_with_exercise": (2, "decreased oxygen saturation with exercise (e.g. pulse oximeter < 88 %)"),
        "intermittent_supplemental_oxygen": (2, "intermittent supplemental oxygen"),
        "decreased_spo2_at_rest": (3, "decreased oxygen saturation at rest (e.g. pulse oximeter < 88 %)"),
        "life_threatening_airway_compromise": (4, "life-threatening airway compromise"),
        "urgent_intervention": (4, "urgent intervention indicated (e.g. tracheotomy or intubation)"),
        "death": _DEATH,
    },
    "Bronchospasm": {
        "mild_symptoms": (1, "mild symptoms; intervention not indicated"),
        "symptomatic": (2, "symptomatic"),
        "medical_intervention": (2, "medical intervention indicated"),
        "limits_instrumental_adl": (2, "limiting instrumental ADL"),
        "limits_self_care_adl": (3, "limiting self-care ADL"),
        "decreased_oxygen_saturation": (3, "oxygen saturation decreased"),
        "life_threatening": (4, "life-threatening respiratory or hemodynamic compromise"),
        "urgent_intervention": (4, "intubation or urgent intervention indicated"),
        "death": _DEATH,
    },
    "Allergic reaction": {
        "systemic_intervention_not_indicated": (1, "systemic intervention not indicated"),
        "oral_intervention": (2, "oral intervention indicated"),
        "bronchospasm": (3, "bronchospasm"),
        "hospitalization_indicated": (3, "hospitalization indicated for clinical sequelae"),
        "intravenous_intervention": (3, "intravenous intervention indicated"),
        "life_threatening": (4, "life-threatening consequences"),
        "urgent_intervention": (4, "urgent intervention indicated"),
        "death": _DEATH,
    },
    "Anaphylaxis": {
        "symptomatic_bronchospasm": (3, "symptomatic bronchospasm, with or without urticaria"),
        "parenteral_intervention": (3, "parenteral intervention indicated"),
        "angioedema": (3, "allergy-related edema/angioedema"),
        "hypotension": (3, "hypotension"),
        "life_threatening": (4, "life-threatening consequences"),
        "urgent_intervention": (4, "urgent intervention indicated"),
        "death": _DEATH,
    },
    "Dyspnea": {
        "on_moderate_exertion": (1, "shortness of breath with moderate exertion"),
        "on_minimal_exertion": (2, "shortness of breath with minimal exertion"),
        "limits_instrumental_adl": (2, "limiting instrumental ADL"),
        "at_rest": (3, "shortness of breath at rest"),
        "limits_self_care_adl": (3, "limiting self-care ADL"),
        "life_threatening": (4, "life-threatening consequences"),
        "urgent_intervention": (4, "urgent intervention indicated"),
        "death": _DEATH,
    },
    "Cough": {
        "mild_symptoms": (1, "mild symptoms"),
        "nonprescription_intervention": (1, "nonprescription intervention indicated"),
        "moderate_symptoms": (2, "moderate symptoms"),
        "medical_intervention": (2, "medical intervention indicated"),
        "limits_instrumental_adl": (2, "limiting instrumental ADL"),
        "severe_symptoms": (3, "severe symptoms"),
        "limits_self_care_adl": (3, "limiting self-care ADL"),
    },
}
# Numeric facts: (grade, clause, predicate on the value).
_HYPOXIA_NUMERIC = {
    "spo2_with_exercise_percent": (2, "SpO2 < 88 % with exercise", Decimal(88), "below"),
    "spo2_at_rest_percent": (3, "SpO2 < 88 % at rest", Decimal(88), "below"),
    "pao2_at_rest_mmhg": (3, "PaO2 <= 55 mmHg at rest", Decimal(55), "at_most"),
}
_ALIASES = {
    "fever": "Fever",
    "hypoxia": "Hypoxia",
    "bronchospasm": "Bronchospasm",
    "allergic reaction": "Allergic reaction",
    "allergic_reaction": "Allergic reaction",
    "anaphylaxis": "Anaphylaxis",
    "dyspnea": "Dyspnea",
    "dyspnoea": "Dyspnea",
    "cough": "Cough",
}
TERMS = ("Fever", *_CLAUSES)


def canonical_term(term: str) -> str:
    """The CTCAE term name for ``term`` (case-insensitive; "dyspnoea" and "allergic_reaction" accepted)."""
    key = " ".join(str(term).strip().lower().split())
    if key not in _ALIASES:
        raise ValidationError("term", "must be one of: " + ", ".join(TERMS), term)
    return _ALIASES[key]


def grade_fever(
    temperature: Number,
    *,
    duration_hours: Number | None = None,
    unit: str = "°C",
    death: bool = False,
) -> CTCAEResult:
    """CTCAE v5.0 Fever [S25] from the highest temperature and, above 40.0 °C, how long it lasted.

    Above 40.0 °C without a duration the grade is at least 3: the result says grade 3 with
    ``missing=("duration_hours",)`` and ``complete=False``.
    """
    celsius = temperature_celsius(temperature, unit, "temperature")
    if death:
        return CTCAEResult("Fever", 5, ("death",), False)
    if celsius < FEVER_GRADE_1_FROM_C:
        return CTCAEResult("Fever", 0, (f"{celsius} °C < 38.0 °C: not a Fever AE",), False)
    if celsius <= FEVER_GRADE_2_ABOVE_C:
        return CTCAEResult("Fever", 1, ("38.0-39.0 °C",), False)
    if celsius <= FEVER_GRADE_3_ABOVE_C:
        return CTCAEResult("Fever", 2, ("> 39.0-40.0 °C",), False)
    if duration_hours is None:
        return CTCAEResult(
            "Fever", 3, ("> 40.0 °C, duration unknown: at least grade 3",), False, ("duration_hours",), False
        )
    hours = non_negative(duration_hours, "duration_hours")
    if hours > FEVER_GRADE_4_AFTER_HOURS:
        return CTCAEResult("Fever", 4, ("> 40.0 °C for > 24 hrs",), False)
    return CTCAEResult("Fever", 3, ("> 40.0 °C for <= 24 hrs",), False)


def _truth(value: object, field: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "yes", "y", "1", "false", "no", "n", "0", ""):
        return value.strip().lower() in ("true", "yes", "y", "1")
    if value is None:
        return False
    raise ValidationError(field, "must be true or false", value)


def grade_event(term: str, facts: Mapping[str, object]) -> CTCAEResult:
    """Grade ``term`` from structured facts; the names are the keys of the term's clause table (see
    :func:`grading_facts`). Fever takes ``temperature_c`` (or ``temperature`` with ``unit``), ``duration_hours``
    and ``death``. Hypoxia also takes ``spo2_at_rest_percent``, ``spo2_with_exercise_percent`` and
    ``pao2_at_rest_mmhg``. Unknown fact names are rejected. No true clause gives grade 0.

    All terms except Fever are KNOWLEDGE-sourced (CTCAE v5.0 wording from memory; clinical.md 3.8).
    """
    name = canonical_term(term)
    if name == "Fever":
        allowed = {"temperature_c", "temperature", "unit", "duration_hours", "death"}
        unknown = sorted(set(facts) - allowed)
        if unknown:
            raise ValidationError(unknown[0], "is not a grading fact for Fever", facts[unknown[0]])
        temperature = facts.get("temperature_c", facts.get("temperature"))
        if temperature is None:
            raise ValidationError("temperature_c", "is required to grade Fever")
        return grade_fever(
            temperature,  # type: ignore[arg-type]
            duration_hours=facts.get("duration_hours"),  # type: ignore[arg-type]
            unit=str(facts.get("unit", "°C")),
            death=_truth(facts.get("death"), "death"),
        )
    table = _CLAUSES[name]
    numeric = _HYPOXIA_NUMERIC if name == "Hypoxia" else {}
    hits: list[tuple[int, str]] = []
    for fact, value in facts.items():
        if fact in table:
            if _truth(value, fact):
                hits.append(table[fact])
        elif fact in numeric:
            if value is None or (isinstance(value, str) and not value.strip()):
                continue
            grade, clause, limit, how = numeric[fact]
            number = non_negative(value, fact)  # type: ignore[arg-type]
            if (number < limit) if how == "below" else (number <= limit):
                hits.append((grade, clause))
        else:
            raise ValidationError(fact, f"is not a grading fact for {name}", value)
    if not hits:
        return CTCAEResult(name, 0, (f"no CTCAE grading clause for {name} met",), True)
    top = max(grade for grade, _ in hits)
    return CTCAEResult(name, top, tuple(clause for grade, clause in hits if grade == top), True)


def grading_facts(term: str) -> tuple[str, ...]:
    """The fact names :func:`grade_event` accepts for ``term``."""
    name = canonical_term(term)
    if name == "Fever":
        return ("temperature_c", "duration_hours", "death")
    extra = tuple(_HYPOXIA_NUMERIC) if name == "Hypoxia" else ()
    return (*_CLAUSES[name], *extra)
