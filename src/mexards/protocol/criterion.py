"""Eligibility criteria as data: a small, closed vocabulary of rule kinds.

A protocol file writes each criterion's ``rule`` as a mapping with exactly one key, the rule kind
(``docs/protocol-format.md`` lists them with examples):

- ``compare``: a patient field or a derived value (``age_years``, ``bmi``, ...) against a threshold with one of
  ``< <= > >= == !=``;
- ``range``: a value between a lower and/or upper bound, each inclusive unless told otherwise;
- ``in``: a (categorical) value is one of a set, e.g. ``berlin_category in [MILD, MODERATE, SEVERE]``;
- ``fact``: a yes/no patient field; MET when the field is true;
- ``attestation``: an investigator's judgement; MET only when explicitly attested true, never inferred;
- ``within``: an event occurred within N days/weeks/months/years before the anchor time (screening by default);
- ``elapsed``: hours elapsed from a time stamp to the anchor time compared with a threshold (e.g. ``< 96``);
- ``all`` / ``any`` / ``not``: composition with three-valued (Kleene) logic over MET, NOT_MET and MISSING;
- ``join``: ``all`` or ``any`` chosen by a parameter (typically a protocol setting), optionally warning when
  exactly one part holds, i.e. when the choice changes the answer (clinical.md section 5 item 1).

Any scalar parameter may be written ``{setting: NAME}`` to take its value from the protocol ``settings``
(clinical.md section 5: the ambiguities are protocol settings with the literal reading as default).

Evaluation lives in ``mexards.clinical.eligibility``; this module only describes the rules.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal

COMPARISONS = ("<", "<=", ">", ">=", "==", "!=")
"""Comparison operators allowed in ``compare`` and ``elapsed`` rules."""

ANCHORS = ("screening", "enrolment")
"""Time anchors: ``screening`` is the record's ``screening_at``; ``enrolment`` is ``enrolment_at`` (the
randomisation/enrolment time), falling back to ``screening_at`` with a warning when it is not recorded."""

PERIOD_UNITS = ("days", "weeks", "months", "years")
"""Units of a ``within`` window; months and years are calendar months/years."""

JOIN_OPS = ("and", "or")

CriterionKind = Literal["inclusion", "exclusion"]


@dataclass(frozen=True)
class SettingRef:
    """A parameter whose value is the protocol setting ``name``."""

    name: str


Param = str | bool | int | Decimal | SettingRef
"""A rule parameter: a literal or a reference to a protocol setting."""


@dataclass(frozen=True)
class Compare:
    """``value op threshold``; ``options`` are passed to a derived value (e.g. ``rounding`` for ``bmi``)."""

    value: str
    op: str
    threshold: Decimal
    options: dict[str, Param] = field(default_factory=dict)


@dataclass(frozen=True)
class Range:
    """``minimum <= value <= maximum`` (each bound optional; inclusive unless told otherwise)."""

    value: str
    minimum: Decimal | None = None
    maximum: Decimal | None = None
    min_inclusive: bool = True
    max_inclusive: bool = True
    options: dict[str, Param] = field(default_factory=dict)


@dataclass(frozen=True)
class InSet:
    """The value (compared as text, case-insensitively) is one of ``values``."""

    value: str
    values: tuple[str, ...]
    options: dict[str, Param] = field(default_factory=dict)


@dataclass(frozen=True)
class Fact:
    """A yes/no patient field: MET when true, NOT_MET when false, MISSING when not recorded."""

    field: str


@dataclass(frozen=True)
class Attestation:
    """An investigator's judgement: MET only when attested true; NOT_MET when attested false; else MISSING."""

    field: str


@dataclass(frozen=True)
class Within:
    """The event ``event`` (a patient event with ``occurred`` and ``date``) happened within ``amount`` ``unit``
    before the anchor date. Inclusive: ``event_date >= anchor_date - period`` (clinical.md 1.3, PROPOSAL);
    exclusive: ``event_date > anchor_date - period``."""

    event: str
    amount: int
    unit: str = "days"
    inclusive: Param = SettingRef("within_n_days_inclusive")
    anchor: str = "screening"


@dataclass(frozen=True)
class Elapsed:
    """Hours from the time stamp ``since`` to the anchor time, compared with ``hours`` by ``op``."""

    since: str
    op: str
    hours: Decimal
    anchor: str = "screening"


@dataclass(frozen=True)
class AllOf:
    """Every part holds (Kleene AND: NOT_MET wins, then MISSING)."""

    rules: tuple[Rule, ...]


@dataclass(frozen=True)
class AnyOf:
    """At least one part holds (Kleene OR: MET wins, then MISSING)."""

    rules: tuple[Rule, ...]


@dataclass(frozen=True)
class Not:
    """The negation (MISSING stays MISSING)."""

    rule: Rule


@dataclass(frozen=True)
class Join:
    """``all`` (op ``and``) or ``any`` (op ``or``) chosen by ``op``, usually ``{setting: ...}``. When
    ``warn_when_split`` is given, that warning is raised whenever exactly one part is MET and another NOT_MET,
    i.e. whenever ``and`` and ``or`` would give different answers."""

    op: Param
    rules: tuple[Rule, ...]
    warn_when_split: str | None = None


Rule = Compare | Range | InSet | Fact | Attestation | Within | Elapsed | AllOf | AnyOf | Not | Join
"""A criterion's rule tree."""

RULE_KINDS = ("compare", "range", "in", "fact", "attestation", "within", "elapsed", "all", "any", "not", "join")


@dataclass(frozen=True)
class Criterion:
    """One registered inclusion or exclusion criterion, with the registry's numbering (``I1``, ``E3``)."""

    id: str
    number: int
    text: str
    rule: Rule
    source: str = ""
    note: str = ""


def iter_rules(rule: Rule) -> list[Rule]:
    """The rule and all its descendants, depth first."""
    found: list[Rule] = [rule]
    if isinstance(rule, AllOf | AnyOf | Join):
        for part in rule.rules:
            found.extend(iter_rules(part))
    elif isinstance(rule, Not):
        found.extend(iter_rules(rule.rule))
    return found


def setting_refs(rule: Rule) -> list[str]:
    """Names of every protocol setting the rule tree refers to."""
    names: list[str] = []
    for node in iter_rules(rule):
        params: list[Param] = []
        if isinstance(node, Compare | Range | InSet):
            params.extend(node.options.values())
        elif isinstance(node, Within):
            params.append(node.inclusive)
        elif isinstance(node, Join):
            params.append(node.op)
        names.extend(p.name for p in params if isinstance(p, SettingRef))
    return names
