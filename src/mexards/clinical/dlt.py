"""Proposed dose-limiting toxicity (DLT) for an inhaled cell-derived product.

Source: clinical.md 3.9, a PROPOSAL built from MEXCOVID [S15], START's prespecified infusion-associated events
[S16][S17], the Chinese UC-MSC phase 1 template [S27] and NCT07515066 [S29]. No published DLT definition for
nebulised MSC exosomes in ARDS exists; every number below is a parameter of :class:`DLTRule` so that a protocol
file can set it.

An event is proposed as a DLT when it starts inside the DLT window (default Day 1, the first nebulisation, to
Day 8, 24 h after the last), is judged at least possibly related to the product, and meets any of:

1. Within 2 h after a nebulisation (inhalation-associated window, adapted from START's 6 h):
   (a) acute worsening of oxygenation: FiO2 up by >= 0.2 AND PEEP up by >= 5 cmH2O (ventilated), or a new
       intubation/NIV (not ventilated), to keep SpO2 88-95 %;
   (b) new bronchospasm needing treatment, or bronchospasm of CTCAE grade >= 3;
   (c) a new vasopressor, or norepinephrine up by >= 10 µg/min (or equivalent);
   (d) new VT/VF/asystole, or an arrhythmia needing cardioversion;
   (e) anaphylaxis or allergic reaction of CTCAE grade >= 3;
   (f) cardiac arrest or death within 24 h of dosing.
2. Any other CTCAE v5 grade >= 3 non-haematological AE, or grade >= 4 haematological AE, not clearly due to the
   underlying ARDS, its cause, or co-interventions.
3. Any SAE judged related.

This is only the proposal; the investigator confirms or rejects it. With relatedness not yet assessed, an event
that meets a clause is proposed (safety first) and ``missing`` says that relatedness is needed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from decimal import Decimal

from mexards.clinical.quantity import Number, exact, optional_exact, ratio
from mexards.domain.errors import ValidationError

RULE_VERSION = "MEXARDS DLT proposal (clinical.md 3.9)"
RELATEDNESS = ("not_related", "unlikely", "possible", "probable", "definite")
SUSPECTED = ("possible", "probable", "definite")


@dataclass(frozen=True)
class DLTRule:
    """The protocol parameters of the DLT definition, with the clinical.md 3.9 defaults."""

    window_first_day: int = 1
    window_last_day: int = 8
    inhalation_window_hours: Decimal = Decimal(2)
    death_window_hours: Decimal = Decimal(24)
    nonhaematological_grade: int = 3
    haematological_grade: int = 4
    bronchospasm_grade: int = 3
    allergy_grade: int = 3
    fio2_rise: Decimal = Decimal("0.2")
    peep_rise_cmh2o: Decimal = Decimal(5)
    norepinephrine_rise_ug_min: Decimal = Decimal(10)

    def __post_init__(self) -> None:
        if self.window_last_day < self.window_first_day:
            raise ValidationError("window_last_day", "must not be before window_first_day", self.window_last_day)
        for name in ("nonhaematological_grade", "haematological_grade", "bronchospasm_grade", "allergy_grade"):
            if not 1 <= getattr(self, name) <= 5:
                raise ValidationError(name, "must be a CTCAE grade from 1 to 5", getattr(self, name))

    @classmethod
    def from_mapping(cls, values: Mapping[str, object]) -> DLTRule:
        """Build a rule from protocol settings; unknown keys are rejected by name."""
        known = {f.name: f for f in fields(cls)}
        kwargs: dict[str, object] = {}
        for key, value in values.items():
            if key not in known:
                raise ValidationError(key, "is not a DLT rule parameter", value)
            number = exact(value, key)  # type: ignore[arg-type]
            if known[key].type in ("int", int):
                if number != number.to_integral_value():
                    raise ValidationError(key, "must be a whole number", value)
                kwargs[key] = int(number)
            else:
                if number < 0:
                    raise ValidationError(key, "must not be negative", value)
                kwargs[key] = number
        return cls(**kwargs)  # type: ignore[arg-type]


@dataclass(frozen=True)
class DLTFacts:
    """Structured facts about one adverse event, as recorded on the AE / post-dose monitoring forms.

    ``study_day`` is the onset day (Day 1 = first nebulisation); ``hours_after_dose`` is the time from the most
    recent nebulisation to onset; ``ctcae_grade`` is the event's CTCAE v5 grade.
    """

    study_day: int
    relatedness: str | None = None
    ctcae_grade: int | None = None
    hours_after_dose: Number | None = None
    haematological: bool = False
    serious: bool = False
    clearly_due_to_underlying_disease: bool = False
    ventilated: bool | None = None
    fio2_increase: Number | None = None
    peep_increase_cmh2o: Number | None = None
    new_intubation_or_niv: bool = False
    new_bronchospasm_needing_treatment: bool = False
    bronchospasm_grade: int | None = None
    new_vasopressor: bool = False
    norepinephrine_increase_ug_min: Number | None = None
    new_vt_vf_asystole: bool = False
    arrhythmia_needing_cardioversion: bool = False
    anaphylaxis_or_allergy_grade: int | None = None
    cardiac_arrest: bool = False
    death: bool = False

    @classmethod
    def from_mapping(cls, values: Mapping[str, object]) -> DLTFacts:
        """Build facts from a record; unknown keys are rejected by name."""
        known = {f.name for f in fields(cls)}
        for key in values:
            if key not in known:
                raise ValidationError(key, "is not a DLT fact", values[key])
        if "study_day" not in values:
            raise ValidationError("study_day", "is required")
        return cls(**values)  # type: ignore[arg-type]


@dataclass(frozen=True)
class DLTProposal:
    """The proposed DLT decision with the clauses that triggered it."""

    proposed: bool
    clauses: tuple[str, ...]
    reasons: tuple[str, ...]
    missing: tuple[str, ...]
    rule: DLTRule
    rule_version: str = RULE_VERSION

    @property
    def complete(self) -> bool:
        """True when no fact needed for the decision was missing."""
        return not self.missing


def _grade(value: object, field: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5:
        raise ValidationError(field, "must be a CTCAE grade from 1 to 5", value)
    return value


def _flag(value: object, field: str) -> bool:
    if not isinstance(value, bool):
        raise ValidationError(field, "must be true or false", value)
    return value


def propose_dlt(facts: DLTFacts, rule: DLTRule | None = None) -> DLTProposal:
    """Apply the DLT definition of clinical.md 3.9 (parameters in ``rule``) to one event."""
    rule = rule or DLTRule()
    if isinstance(facts.study_day, bool) or not isinstance(facts.study_day, int):
        raise ValidationError("study_day", "must be a whole study day", facts.study_day)
    relatedness = None if facts.relatedness is None else str(facts.relatedness).strip().lower()
    if relatedness is not None and relatedness not in RELATEDNESS:
        raise ValidationError("relatedness", "must be one of: " + ", ".join(RELATEDNESS), facts.relatedness)
    grade = _grade(facts.ctcae_grade, "ctcae_grade")
    bronchospasm_grade = _grade(facts.bronchospasm_grade, "bronchospasm_grade")
    allergy_grade = _grade(facts.anaphylaxis_or_allergy_grade, "anaphylaxis_or_allergy_grade")
    for name in (
        "haematological", "serious", "clearly_due_to_underlying_disease", "new_intubation_or_niv",
        "new_bronchospasm_needing_treatment", "new_vasopressor", "new_vt_vf_asystole",
        "arrhythmia_needing_cardioversion", "cardiac_arrest", "death",
    ):
        _flag(getattr(facts, name), name)
    hours = optional_exact(facts.hours_after_dose, "hours_after_dose")
    if hours is not None and hours < 0:
        raise ValidationError("hours_after_dose", "must not be negative", facts.hours_after_dose)

    if not rule.window_first_day <= facts.study_day <= rule.window_last_day:
        return DLTProposal(
            False,
            (),
            (f"onset Day {facts.study_day} outside the DLT window Day {rule.window_first_day}-"
             f"{rule.window_last_day}",),
            (),
            rule,
        )

    clauses: list[str] = []
    missing: list[str] = []
    early = hours is not None and hours <= rule.inhalation_window_hours
    early_facts = _early_clauses(facts, rule, bronchospasm_grade, allergy_grade)
    if early:
        clauses.extend(early_facts)
    elif hours is None and early_facts:
        missing.append("hours_after_dose")
    if (facts.cardiac_arrest or facts.death) and hours is not None and hours <= rule.death_window_hours:
        clauses.append(f"1f: cardiac arrest or death within {rule.death_window_hours} h of dosing")
    elif (facts.cardiac_arrest or facts.death) and hours is None and "hours_after_dose" not in missing:
        missing.append("hours_after_dose")

    threshold = rule.haematological_grade if facts.haematological else rule.nonhaematological_grade
    kind = "haematological" if facts.haematological else "non-haematological"
    if grade is not None and grade >= threshold and not facts.clearly_due_to_underlying_disease:
        clauses.append(f"2: CTCAE grade {grade} {kind} AE (>= {threshold}) not clearly due to the underlying disease")
    if facts.serious and (relatedness in SUSPECTED or relatedness is None):
        clauses.append("3: serious adverse event judged related")

    reasons: list[str] = []
    if not clauses:
        reasons.append("no DLT clause met")
        return DLTProposal(False, (), tuple(reasons), tuple(missing), rule)
    if relatedness is None:
        missing.append("relatedness")
        reasons.append("relatedness not yet assessed: proposed pending the investigator's causality assessment")
        return DLTProposal(True, tuple(clauses), tuple(reasons), tuple(missing), rule)
    if relatedness not in SUSPECTED:
        reasons.append(f"clauses met but relatedness is '{relatedness}' (needs at least possibly related)")
        return DLTProposal(False, tuple(clauses), tuple(reasons), tuple(missing), rule)
    reasons.append(f"relatedness '{relatedness}' and {len(clauses)} clause(s) met")
    return DLTProposal(True, tuple(clauses), tuple(reasons), tuple(missing), rule)


def _early_clauses(
    facts: DLTFacts, rule: DLTRule, bronchospasm_grade: int | None, allergy_grade: int | None
) -> list[str]:
    """Clauses 1a-1e, evaluated as if the event were inside the inhalation window."""
    hits: list[str] = []
    fio2_up = optional_exact(facts.fio2_increase, "fio2_increase")
    peep_up = optional_exact(facts.peep_increase_cmh2o, "peep_increase_cmh2o")
    if fio2_up is not None and fio2_up > 1:
        fio2_up = ratio(fio2_up, Decimal(100))
    if facts.ventilated is not False and (
        fio2_up is not None and peep_up is not None and fio2_up >= rule.fio2_rise and peep_up >= rule.peep_rise_cmh2o
    ):
        hits.append(f"1a: FiO2 up >= {rule.fio2_rise} and PEEP up >= {rule.peep_rise_cmh2o} cmH2O")
    if facts.ventilated is not True and facts.new_intubation_or_niv:
        hits.append("1a: new intubation or NIV to keep SpO2 88-95 %")
    if facts.new_bronchospasm_needing_treatment or (
        bronchospasm_grade is not None and bronchospasm_grade >= rule.bronchospasm_grade
    ):
        hits.append("1b: new bronchospasm needing treatment or CTCAE grade >= " + str(rule.bronchospasm_grade))
    norepi = optional_exact(facts.norepinephrine_increase_ug_min, "norepinephrine_increase_ug_min")
    if facts.new_vasopressor or (norepi is not None and norepi >= rule.norepinephrine_rise_ug_min):
        hits.append(f"1c: new vasopressor or norepinephrine up >= {rule.norepinephrine_rise_ug_min} µg/min")
    if facts.new_vt_vf_asystole or facts.arrhythmia_needing_cardioversion:
        hits.append("1d: new VT/VF/asystole or arrhythmia needing cardioversion")
    if allergy_grade is not None and allergy_grade >= rule.allergy_grade:
        hits.append(f"1e: anaphylaxis or allergic reaction CTCAE grade >= {rule.allergy_grade}")
    return hits
