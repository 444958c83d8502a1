"""Loading protocol files: the three built-in protocols, the schema, the YAML dialect and field-path errors for
malformed files (docs/protocol-format.md)."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from mexards.domain.errors import NotFoundError, ValidationError, ValidationErrors
from mexards.protocol import (
    builtin_protocol,
    dump_protocol,
    list_builtin_protocols,
    load_protocol,
    protocol_schema,
    resolve_protocol,
)
from mexards.protocol.catalog import builtin_protocol_text
from mexards.protocol.criterion import AllOf, Compare, Elapsed, Join, SettingRef, Within

ROOT = Path(__file__).resolve().parents[3]
MEXARDS_TEXT = builtin_protocol_text("NCT04602104")


def errors_for(text: str) -> list[str]:
    with pytest.raises(ValidationError) as caught:
        load_protocol(text)
    exc = caught.value
    found = exc.errors if isinstance(exc, ValidationErrors) else [exc]
    return [f"{e.field}: {e.rule}" for e in found]


def edited(old: str, new: str) -> str:
    assert old in MEXARDS_TEXT, old
    return MEXARDS_TEXT.replace(old, new, 1)


def test_three_protocols_are_built_in() -> None:
    assert list_builtin_protocols() == ("NCT01902082", "NCT04313647", "NCT04602104")


def test_the_published_schema_is_identical_to_the_shipped_schema() -> None:
    published = json.loads((ROOT / "docs" / "protocol.schema.json").read_text(encoding="utf-8"))
    assert published == protocol_schema()


def test_mexards_identification_follows_the_registry_record() -> None:
    ident = builtin_protocol("NCT04602104").identification
    assert (ident.registry_id, ident.org_study_id, ident.phase, ident.status) == (
        "NCT04602104", "MEXARDS", "PHASE1/PHASE2", "COMPLETED")
    assert ident.sponsor.name == "Ruijin Hospital"
    assert [c.name for c in ident.collaborators] == ["Shanghai AbelZeta Ltd."]
    assert (ident.enrollment.planned, ident.enrollment.actual) == (169, 18)
    assert (ident.dates.start, ident.dates.completion) == ("2020-11-30", "2023-01-11")
    assert (ident.min_age_years, ident.max_age_years) == (18, 70)


def test_mexards_arms_doses_and_designs() -> None:
    p = builtin_protocol("NCT04602104")
    assert [d.dose_particles for d in p.dose_levels] == [200_000_000, 800_000_000, 1_600_000_000]
    assert [p.intervention(p.arm(a).interventions[0]).dose.fraction_of_mtd for a in ("p2_quarter_mtd", "p2_mtd")] \
        == [Decimal("0.25"), Decimal(1)]
    assert p.intervention("saline").dose.placebo == "normal saline"
    assert all(i.schedule_days == (1, 2, 3, 4, 5, 6, 7) for i in p.interventions)
    assert p.phase1 is not None and p.phase1.design.name == "3+3" and p.phase1.dlt_window_days == 8
    assert p.phase2 is not None and p.phase2.allocation_ratio == (1, 1, 1)
    assert p.phase2.strata[0].levels == ("MILD", "MODERATE", "SEVERE")


def test_mexards_outcomes_are_all_marked_assumed() -> None:
    outcomes = builtin_protocol("NCT04602104").outcomes
    assert outcomes and all(o.assumed for o in outcomes)


def test_mexards_criteria_use_the_registry_numbering_including_i1_and_e1() -> None:
    eligibility = builtin_protocol("NCT04602104").eligibility
    assert [c.id for c in eligibility.inclusion] == ["I1", "I2", "I3", "I4", "I5"]
    assert [c.id for c in eligibility.exclusion] == [f"E{n}" for n in range(1, 22)]
    assert "informed consent" in eligibility.inclusion[0].text
    assert "allergic" in eligibility.exclusion[0].text


def test_mexards_rules_carry_the_ambiguity_settings() -> None:
    p = builtin_protocol("NCT04602104")
    e3 = p.criterion("E3").rule
    assert isinstance(e3, AllOf) and isinstance(e3.rules[1], Join)
    assert e3.rules[1].op == SettingRef("exclusion3_join") and e3.rules[1].warn_when_split
    i4 = p.criterion("I4").rule
    assert i4 == Elapsed("ards.diagnosed_at", "<", Decimal(96), "enrolment")
    e4 = p.criterion("E4").rule
    assert e4 == Within("events.severe_trauma", 14, "days", SettingRef("within_n_days_inclusive"), "screening")
    e10 = p.criterion("E10").rule
    assert isinstance(e10, Compare) and e10.options == {"rounding": SettingRef("bmi_rounding")}
    assert (p.settings.exclusion3_join, p.settings.within_n_days_inclusive, p.settings.bmi_rounding,
            p.settings.berlin_noninvasive_policy) == ("and", True, "none", "strict")


def test_mexvt_is_a_single_dose_escalation_over_five_levels_with_the_standard_weight_criterion() -> None:
    p = builtin_protocol("NCT04313647")
    assert p.identification.org_study_id == "MEXVT"
    assert [d.dose_particles // 10**8 for d in p.dose_levels] == [2, 4, 8, 12, 16]
    assert all(i.schedule_days == (1,) and i.volume_ml == 3 for i in p.interventions)
    assert p.phase2 is None and p.identification.healthy_volunteers
    i3 = p.criterion("I3").rule
    assert getattr(i3, "value", None) == "standard_weight_deviation"
    assert {f.path for f in p.patient_fields} >= {"attestations.healthy", "history.drug_or_food_allergy_count"}


def test_nct01902082_is_adipose_mscs_per_kg_against_saline_one_to_one() -> None:
    p = builtin_protocol("NCT01902082")
    assert p.intervention("adipose_msc").dose.cells_per_kg == Decimal(1_000_000)
    assert p.phase1 is None and p.phase2 is not None and p.phase2.allocation_ratio == (1, 1)
    assert p.criterion("E1").rule == Elapsed("ards.diagnosed_at", ">", Decimal(72), "enrolment")


def test_a_protocol_loads_from_a_path_and_from_text(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(MEXARDS_TEXT, encoding="utf-8")
    assert load_protocol(path) == load_protocol(str(path)) == load_protocol(MEXARDS_TEXT)
    assert resolve_protocol(str(path)) == builtin_protocol("nct04602104")


def test_an_unknown_built_in_protocol_names_the_known_ones() -> None:
    with pytest.raises(NotFoundError, match="NCT04602104"):
        resolve_protocol("NCT00000000")
    with pytest.raises(ValidationError, match="file not found"):
        load_protocol("no-such-protocol.yaml")


MALFORMED = [
    ("design: {name: 3+3, assumed: true}", "design: {name: BOIN, target: 1.3}",
     "phase1.design.target: must be between 0 and 1"),
    ("design: {name: 3+3, assumed: true}", "design: {name: CRM, target: 0.25}",
     "phase1.design.parameters.skeleton: is required for CRM (a list)"),
    ("design: {name: 3+3, assumed: true}", "design: {name: CRM, target: 0.25, parameters: {skeleton: [0.1, 0.3]}}",
     "phase1.design.parameters.skeleton: must have one probability per dose level"),
    ("interventions: [exo_mtd]", "interventions: [exo_mtdx]",
     "arms[4].interventions[0]: unknown intervention 'exo_mtdx'"),
    ("dose_level: L2}", "dose_level: L9}", "arms[1].dose_level: unknown dose level 'L9'"),
    ("dose_particles: 800000000", "dose_particles: 100000000",
     "dose_levels[1].dose_particles: must be greater than the level before (200000000)"),
    ("fraction_of_mtd: 0.25", "fraction_of_mtd: 1.5",
     "interventions[3].dose.fraction_of_mtd: must be greater than 0 and at most 1"),
    ("fraction_of_mtd: 0.25", "fraction_of_mtd: 0", "interventions[3].dose.fraction_of_mtd: must be greater than 0 "
     "and at most 1"),
    ("dose: {particles: 200000000}", "dose: {particles: 200000000, placebo: saline}",
     "interventions[0].dose: must have exactly one of: particles, cells_per_kg, fraction_of_mtd, placebo"),
    ("    - id: E2\n", "    - id: E1\n", "eligibility.exclusion[1].id: duplicate criterion id 'E1'"),
    ("window_before_days: 2, window_after_days: 2", "window_before_days: 20, window_after_days: 2",
     "schedule.visits[9].window_before_days: window overlaps the window of visit 'd14'"),
    ("{id: d2, label: Day 2, day: 2,", "{id: d2, label: Day 2, day: 1,",
     "schedule.visits[2].day: must be after the previous visit (day 1)"),
    ("allocation_ratio: [1, 1, 1]", "allocation_ratio: [1, 1]",
     "phase2.allocation_ratio: must have one entry per phase2 arm"),
    ("block_sizes: [3, 6]", "block_sizes: [3, 4]",
     "phase2.block_sizes[1]: must be a multiple of the allocation ratio total (3)"),
    ("arms: [p2_quarter_mtd, p2_mtd, p2_control]", "arms: [p2_quarter_mtd, p2_mtd, p2_placebo]",
     "phase2.arms[2]: unknown arm 'p2_placebo'"),
    ("start_level: L1", "start_level: L0", "phase1.start_level: unknown dose level 'L0'"),
    ("rule: {fact: treatment.dialysis}", "rule: {fakt: treatment.dialysis}",
     "eligibility.exclusion[5].rule.fakt: is not a known rule kind (compare, range, in, fact, attestation, within, "
     "elapsed, all, any, not, join)"),
    ("rule: {fact: treatment.dialysis}", "rule: {fact: treatment.dialysys}",
     "eligibility.exclusion[5].rule.fact: unknown patient field 'treatment.dialysys'"),
    ("rule: {fact: treatment.dialysis}", "rule: {fact: anthropometry.weight_kg}",
     "eligibility.exclusion[5].rule.fact: 'anthropometry.weight_kg' is number, not boolean"),
    ("rule: {fact: treatment.dialysis}", "rule: {fact: treatment.dialysis, not: {fact: treatment.ecmo}}",
     "eligibility.exclusion[5].rule: must have exactly one of: compare, range, in, fact, attestation, within, "
     "elapsed, all, any, not, join"),
    ("op: {setting: exclusion3_join}", "op: {setting: exclusion_3_join}",
     "eligibility.exclusion[2].rule.all[1].join.op: unknown setting 'exclusion_3_join'"),
    ("exclusion3_join: and", "exclusion3_join: maybe", "settings.exclusion3_join: must be one of: and, or"),
    ("within_n_days_inclusive: true", "within_n_days_inclusive: yes", "settings.within_n_days_inclusive: must be "
     "true or false"),
    ("{within: {event: events.severe_trauma, days: 14}}", "{within: {event: events.severe_trauma}}",
     "eligibility.exclusion[3].rule.within: needs exactly one of: days, weeks, months, years"),
    ("{range: {value: age_years, min: 18, max: 70}}", "{range: {value: age_years, min: 70, max: 18}}",
     "eligibility.inclusion[1].rule.range.max: must not be below min"),
    ("{range: {value: age_years, min: 18, max: 70}}", "{range: {value: age_yrs, min: 18, max: 70}}",
     "eligibility.inclusion[1].rule.range.value: unknown patient field or derived value 'age_yrs'"),
    ("values: [MILD, MODERATE, SEVERE]", "values: [MILD, MODERATE, HORRIBLE]",
     "eligibility.inclusion[2].rule.in.values[2]: must be one of: MILD, MODERATE, SEVERE, NOT_ARDS, NOT_ASSESSABLE, "
     "NOT_CLASSIFIABLE"),
    ("with: {rounding: {setting: bmi_rounding}}", "with: {rounding: 2dp}",
     "eligibility.exclusion[9].rule.compare.with.rounding: must be one of: none, 1dp"),
    ("    - id: I2\n      number: 2", "    - id: I2\n      number: 3",
     "eligibility.inclusion[1].id: must be I3 to match number 3"),
    ("  status: COMPLETED\n", "", "identification.status: is required"),
    ("cohort_size: 3", "cohort_size: three", "phase1.cohort_size: must be a whole number"),
    ("start: 2020-11-30", "start: 30/11/2020", "identification.dates.start: must be a date YYYY-MM-DD (or YYYY-MM)"),
    ("registry_id: NCT04602104", "registry_id: NCT4602104", "identification.registry_id: must be NCT followed by 8 "
     "digits"),
    ("format_version: 1", "format_version: 2", "format_version: must be 1"),
    ("  acronym: MEXARDS\n", "  acronym: MEXARDS\n  acronym: X\n", "line 9: duplicate key 'acronym'"),
    ("conditions:\n", "condition:\n", "condition: is not a known field here (known: format_version, identification, "
     "conditions, interventions, arms, dose_levels, phase1, phase2, schedule, outcomes, eligibility, settings, "
     "patient_fields)"),
]


@pytest.mark.parametrize(("old", "new", "expected"), MALFORMED, ids=[m[2].split(":")[0] for m in MALFORMED])
def test_a_malformed_protocol_is_rejected_with_an_error_naming_the_field(old: str, new: str, expected: str) -> None:
    assert expected in errors_for(edited(old, new))


def test_all_problems_are_reported_together() -> None:
    text = edited("cohort_size: 3", "cohort_size: 0").replace("start: 2020-11-30", "start: soon")
    found = errors_for(text)
    assert "phase1.cohort_size: must be at least 1" in found
    assert "identification.dates.start: must be a date YYYY-MM-DD (or YYYY-MM)" in found


def test_a_yaml_syntax_error_names_the_line() -> None:
    assert errors_for(MEXARDS_TEXT + "\nbroken: [\n")[0].startswith("line ")


def test_a_document_that_is_not_a_mapping_is_rejected() -> None:
    assert errors_for("- just\n- a list\n") == [
        "protocol: must be a mapping of sections (format_version, identification, ...)"]


def test_the_yaml_dialect_keeps_yes_as_text_and_reads_exponents_exactly() -> None:
    text = edited("dose: {particles: 200000000}", "dose: {particles: 2.0e8}")
    text = text.replace("  acronym: MEXARDS", "  acronym: yes")
    p = load_protocol(text)
    assert p.intervention("exo_low").dose.particles == 200_000_000
    assert p.identification.acronym == "yes"


def test_the_canonical_yaml_of_every_built_in_protocol_loads_back_equal() -> None:
    for registry_id in list_builtin_protocols():
        protocol = builtin_protocol(registry_id)
        assert load_protocol(dump_protocol(protocol)) == protocol
