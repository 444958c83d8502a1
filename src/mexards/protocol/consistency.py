"""Cross-reference checks that a JSON Schema cannot express.

Unique ids; arms reference known interventions and dose levels; dose levels strictly ascending; Phase 1 and
Phase 2 settings consistent (start level known, CRM skeleton one value per level and ascending, allocation
ratio one entry per arm, block sizes multiples of the ratio total); visit days ascending with non-overlapping
windows; criterion ids matching the registry numbering; every field a rule names exists with the right type;
every ``{setting: NAME}`` names a setting whose value the rule can use. Each problem names its field path.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from mexards.domain.errors import ValidationError
from mexards.protocol import criterion as rules
from mexards.protocol.model import Protocol, Settings
from mexards.protocol.vocabulary import (
    CATEGORICAL_TYPES,
    NUMERIC_TYPES,
    DerivedSpec,
    FieldSpec,
    derived_values,
    standard_fields,
)


def _unique(errors: list[ValidationError], items: Iterable[tuple[str, str]], what: str) -> None:
    seen: set[str] = set()
    for path, value in items:
        if value in seen:
            errors.append(ValidationError(path, f"duplicate {what} '{value}'", value))
        seen.add(value)


def field_catalogue(protocol: Protocol) -> dict[str, FieldSpec]:
    """The standard patient fields plus the protocol's own ``patient_fields``."""
    catalogue = standard_fields()
    for spec in protocol.patient_fields:
        catalogue[spec.path] = FieldSpec(spec.path, spec.type, spec.description, spec.choices)
    return catalogue


def resolve_param(value: rules.Param, settings: Settings) -> str | bool | int | Decimal:
    """A parameter's value: the literal, or the referenced protocol setting (``KeyError`` if unknown)."""
    if isinstance(value, rules.SettingRef):
        return settings.value(value.name)
    return value


def _check_identity(protocol: Protocol, errors: list[ValidationError]) -> None:
    ident = protocol.identification
    if ident.min_age_years is not None and ident.max_age_years is not None \
            and ident.min_age_years > ident.max_age_years:
        errors.append(ValidationError("identification.max_age_years", "must not be below min_age_years"))
    _unique(errors, ((f"interventions[{i}].id", x.id) for i, x in enumerate(protocol.interventions)),
            "intervention id")
    _unique(errors, ((f"arms[{i}].id", x.id) for i, x in enumerate(protocol.arms)), "arm id")
    _unique(errors, ((f"dose_levels[{i}].id", x.id) for i, x in enumerate(protocol.dose_levels)), "dose level id")
    _unique(errors, ((f"outcomes[{i}].id", x.id) for i, x in enumerate(protocol.outcomes)), "outcome id")
    _unique(errors, ((f"patient_fields[{i}].path", x.path) for i, x in enumerate(protocol.patient_fields)),
            "patient field")
    known_fields = standard_fields()
    for i, spec in enumerate(protocol.patient_fields):
        if spec.path in known_fields:
            errors.append(ValidationError(f"patient_fields[{i}].path", "is already a standard field", spec.path))
        if (spec.type == "choice") != bool(spec.choices):
            errors.append(ValidationError(f"patient_fields[{i}].choices", "are required for (and only for) "
                                          "type choice", spec.choices))


def _check_arms(protocol: Protocol, errors: list[ValidationError]) -> None:
    interventions = {x.id for x in protocol.interventions}
    levels = {x.id for x in protocol.dose_levels}
    for i, item in enumerate(protocol.interventions):
        days = item.schedule_days
        if list(days) != sorted(set(days)):
            errors.append(ValidationError(f"interventions[{i}].schedule_days", "must be ascending without repeats",
                                          list(days)))
        if item.dose.fraction_of_mtd is not None and protocol.phase1 is None:
            errors.append(ValidationError(f"interventions[{i}].dose.fraction_of_mtd",
                                          "needs a phase1 section that determines the MTD"))
    for i, arm in enumerate(protocol.arms):
        for j, ref in enumerate(arm.interventions):
            if ref not in interventions:
                errors.append(ValidationError(f"arms[{i}].interventions[{j}]", f"unknown intervention '{ref}'", ref))
        if arm.dose_level is not None and arm.dose_level not in levels:
            errors.append(ValidationError(f"arms[{i}].dose_level", f"unknown dose level '{arm.dose_level}'",
                                          arm.dose_level))
    for i in range(1, len(protocol.dose_levels)):
        previous, current = protocol.dose_levels[i - 1], protocol.dose_levels[i]
        if current.dose_particles <= previous.dose_particles:
            errors.append(ValidationError(f"dose_levels[{i}].dose_particles",
                                          f"must be greater than the level before ({previous.dose_particles})",
                                          current.dose_particles))


def _check_phases(protocol: Protocol, errors: list[ValidationError]) -> None:
    phase1 = protocol.phase1
    if phase1 is not None:
        if not protocol.dose_levels:
            errors.append(ValidationError("dose_levels", "are required when there is a phase1 section"))
        elif phase1.start_level not in {x.id for x in protocol.dose_levels}:
            errors.append(ValidationError("phase1.start_level", f"unknown dose level '{phase1.start_level}'",
                                          phase1.start_level))
        design = phase1.design
        if design.name in ("BOIN", "CRM") and design.target is None:
            errors.append(ValidationError("phase1.design.target", f"is required for {design.name}"))
        if design.name == "CRM":
            skeleton = design.parameters.get("skeleton")
            if not isinstance(skeleton, tuple):
                errors.append(ValidationError("phase1.design.parameters.skeleton", "is required for CRM (a list)"))
            else:
                if len(skeleton) != len(protocol.dose_levels):
                    errors.append(ValidationError("phase1.design.parameters.skeleton",
                                                  "must have one probability per dose level", list(skeleton)))
                if any(not 0 < p < 1 for p in skeleton) or list(skeleton) != sorted(set(skeleton)):
                    errors.append(ValidationError("phase1.design.parameters.skeleton",
                                                  "must be strictly ascending probabilities between 0 and 1",
                                                  list(skeleton)))
        for name in ("phi1", "phi2"):
            value = design.parameters.get(name)
            if value is not None and (not isinstance(value, Decimal) or not 0 < value < 1):
                errors.append(ValidationError(f"phase1.design.parameters.{name}", "must be between 0 and 1", value))
        if phase1.max_sample_size < phase1.cohort_size:
            errors.append(ValidationError("phase1.max_sample_size", "must be at least the cohort size",
                                          phase1.max_sample_size))
    phase2 = protocol.phase2
    if phase2 is None:
        return
    arms = {x.id for x in protocol.arms}
    for j, ref in enumerate(phase2.arms):
        if ref not in arms:
            errors.append(ValidationError(f"phase2.arms[{j}]", f"unknown arm '{ref}'", ref))
    _unique(errors, ((f"phase2.arms[{j}]", ref) for j, ref in enumerate(phase2.arms)), "arm")
    if len(phase2.allocation_ratio) != len(phase2.arms):
        errors.append(ValidationError("phase2.allocation_ratio", "must have one entry per phase2 arm",
                                      list(phase2.allocation_ratio)))
    total = sum(phase2.allocation_ratio)
    for j, size in enumerate(phase2.block_sizes):
        if size % total:
            errors.append(ValidationError(f"phase2.block_sizes[{j}]",
                                          f"must be a multiple of the allocation ratio total ({total})", size))
    _unique(errors, ((f"phase2.strata[{j}].name", s.name) for j, s in enumerate(phase2.strata)), "stratum")
    for j, stratum in enumerate(phase2.strata):
        _unique(errors, ((f"phase2.strata[{j}].levels[{k}]", v) for k, v in enumerate(stratum.levels)), "level")


def _check_schedule(protocol: Protocol, errors: list[ValidationError]) -> None:
    if protocol.schedule is None:
        return
    visits = protocol.schedule.visits
    _unique(errors, ((f"schedule.visits[{i}].id", v.id) for i, v in enumerate(visits)), "visit id")
    for i in range(1, len(visits)):
        before, visit = visits[i - 1], visits[i]
        if visit.day <= before.day:
            errors.append(ValidationError(f"schedule.visits[{i}].day",
                                          f"must be after the previous visit (day {before.day})", visit.day))
        elif visit.day - visit.window_before_days <= before.day + before.window_after_days:
            errors.append(ValidationError(f"schedule.visits[{i}].window_before_days",
                                          f"window overlaps the window of visit '{before.id}'",
                                          visit.window_before_days))


def _value_spec(name: str, catalogue: dict[str, FieldSpec]) -> FieldSpec | DerivedSpec | None:
    derived = derived_values()
    if name in derived:
        return derived[name]
    return catalogue.get(name)


def _check_param(path: str, value: rules.Param, allowed: tuple[object, ...], settings: Settings,
                 errors: list[ValidationError]) -> None:
    try:
        resolved = resolve_param(value, settings)
    except KeyError:
        assert isinstance(value, rules.SettingRef)
        errors.append(ValidationError(path, f"unknown setting '{value.name}'", value.name))
        return
    if resolved not in allowed or (isinstance(resolved, bool) != any(isinstance(a, bool) for a in allowed)):
        shown = ", ".join(str(a).lower() if isinstance(a, bool) else str(a) for a in allowed)
        errors.append(ValidationError(path, f"must be one of: {shown}", resolved))


def _check_value(path: str, node: rules.Compare | rules.Range | rules.InSet, catalogue: dict[str, FieldSpec],
                 settings: Settings, errors: list[ValidationError]) -> None:
    spec = _value_spec(node.value, catalogue)
    if spec is None:
        errors.append(ValidationError(f"{path}.value", f"unknown patient field or derived value '{node.value}'",
                                      node.value))
        return
    wanted = CATEGORICAL_TYPES if isinstance(node, rules.InSet) else NUMERIC_TYPES
    if spec.type not in wanted:
        errors.append(ValidationError(f"{path}.value", f"'{node.value}' is {spec.type}, not "
                                      + " or ".join(wanted), node.value))
    if isinstance(node, rules.InSet) and spec.choices:
        known = {c.lower() for c in spec.choices}
        for k, item in enumerate(node.values):
            if item.lower() not in known:
                errors.append(ValidationError(f"{path}.values[{k}]", "must be one of: " + ", ".join(spec.choices),
                                              item))
    if isinstance(node, rules.Range) and node.minimum is not None and node.maximum is not None \
            and node.minimum > node.maximum:
        errors.append(ValidationError(f"{path}.max", "must not be below min", node.maximum))
    options = spec.options if isinstance(spec, DerivedSpec) else {}
    for key, value in node.options.items():
        if key not in options:
            errors.append(ValidationError(f"{path}.with.{key}", f"is not an option of '{node.value}'", key))
        else:
            _check_param(f"{path}.with.{key}", value, options[key], settings, errors)


def _expect(path: str, name: str, types: tuple[str, ...], catalogue: dict[str, FieldSpec],
            errors: list[ValidationError]) -> None:
    spec = catalogue.get(name)
    if spec is None:
        errors.append(ValidationError(path, f"unknown patient field '{name}'", name))
    elif spec.type not in types:
        errors.append(ValidationError(path, f"'{name}' is {spec.type}, not {' or '.join(types)}", name))


def check_rule(path: str, rule: rules.Rule, catalogue: dict[str, FieldSpec], settings: Settings,
               errors: list[ValidationError]) -> None:
    """Check one rule tree; ``path`` is the document path of the rule (``eligibility.inclusion[0].rule``)."""
    if isinstance(rule, rules.Compare | rules.Range | rules.InSet):
        kind = {rules.Compare: "compare", rules.Range: "range", rules.InSet: "in"}[type(rule)]
        _check_value(f"{path}.{kind}", rule, catalogue, settings, errors)
    elif isinstance(rule, rules.Fact):
        _expect(f"{path}.fact", rule.field, ("boolean",), catalogue, errors)
    elif isinstance(rule, rules.Attestation):
        _expect(f"{path}.attestation", rule.field, ("attestation",), catalogue, errors)
    elif isinstance(rule, rules.Within):
        _expect(f"{path}.within.event", rule.event, ("event",), catalogue, errors)
        _check_param(f"{path}.within.inclusive", rule.inclusive, (True, False), settings, errors)
    elif isinstance(rule, rules.Elapsed):
        _expect(f"{path}.elapsed.since", rule.since, ("datetime",), catalogue, errors)
    elif isinstance(rule, rules.Not):
        check_rule(f"{path}.not", rule.rule, catalogue, settings, errors)
    else:
        key = {rules.AllOf: "all", rules.AnyOf: "any", rules.Join: "join.of"}[type(rule)]
        if isinstance(rule, rules.Join):
            _check_param(f"{path}.join.op", rule.op, rules.JOIN_OPS, settings, errors)
        for i, part in enumerate(rule.rules):
            check_rule(f"{path}.{key}[{i}]", part, catalogue, settings, errors)


def _check_criteria(protocol: Protocol, errors: list[ValidationError]) -> None:
    catalogue = field_catalogue(protocol)
    everything = [(f"eligibility.inclusion[{i}]", c) for i, c in enumerate(protocol.eligibility.inclusion)]
    everything += [(f"eligibility.exclusion[{i}]", c) for i, c in enumerate(protocol.eligibility.exclusion)]
    _unique(errors, ((f"{path}.id", c.id) for path, c in everything), "criterion id")
    for path, item in everything:
        prefix = "I" if ".inclusion[" in path else "E"
        if item.id.rstrip("abcdefghijklmnopqrstuvwxyz") != f"{prefix}{item.number}":
            errors.append(ValidationError(f"{path}.id", f"must be {prefix}{item.number} to match number "
                                          f"{item.number}", item.id))
        check_rule(f"{path}.rule", item.rule, catalogue, protocol.settings, errors)


def check_protocol(protocol: Protocol) -> list[ValidationError]:
    """Every cross-reference problem in ``protocol`` (an empty list when it is consistent)."""
    errors: list[ValidationError] = []
    _check_identity(protocol, errors)
    _check_arms(protocol, errors)
    _check_phases(protocol, errors)
    _check_schedule(protocol, errors)
    _check_criteria(protocol, errors)
    return errors
