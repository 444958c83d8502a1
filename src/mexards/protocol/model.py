"""The protocol as frozen data: identification, arms, interventions, dose levels, the Phase 1 and Phase 2
settings, the schedule of assessments, outcome measures, eligibility criteria and the ambiguity settings.

Every field maps one to one onto a key of the protocol file (``docs/protocol-format.md``); tuples are YAML
lists and ``None`` means "not stated". The registry facts come from the registry record and
``clinical.md`` sections 1-2; the items a registry does not state (outcomes of NCT04602104, the Phase 1
design parameters) are marked ``assumed`` in the files.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from mexards.protocol.criterion import Criterion, Param

FORMAT_VERSION = 1

PHASES = ("EARLY_PHASE1", "PHASE1", "PHASE1/PHASE2", "PHASE2", "PHASE2/PHASE3", "PHASE3", "PHASE4", "NA")
DESIGN_NAMES = ("3+3", "BOIN", "CRM")
SETTING_DEFAULTS: dict[str, Param] = {
    "exclusion3_join": "and",
    "within_n_days_inclusive": True,
    "bmi_rounding": "none",
    "berlin_noninvasive_policy": "strict",
}
"""The ambiguity settings with the literal reading as default (clinical.md section 5)."""


@dataclass(frozen=True)
class Organisation:
    """A sponsor or collaborator; ``kind`` uses the registry's agency classes (INDUSTRY, OTHER, NIH, ...)."""

    name: str
    kind: str = "OTHER"


@dataclass(frozen=True)
class Site:
    """A study location."""

    name: str
    city: str = ""
    region: str = ""
    country: str = ""


@dataclass(frozen=True)
class StudyDates:
    """Registry dates as ISO text (``YYYY-MM-DD`` or ``YYYY-MM`` where the registry gives only a month)."""

    first_posted: str | None = None
    start: str | None = None
    primary_completion: str | None = None
    completion: str | None = None
    results_posted: str | None = None
    last_updated: str | None = None


@dataclass(frozen=True)
class Enrollment:
    """Planned (at registration) and actual enrollment; clinical.md 1.1 asks for both."""

    planned: int | None = None
    actual: int | None = None


@dataclass(frozen=True)
class StudyDesign:
    """Registry design fields: allocation, intervention model, masking, primary purpose ("" = not stated)."""

    allocation: str = ""
    model: str = ""
    masking: str = ""
    purpose: str = ""


@dataclass(frozen=True)
class Identification:
    """Who, what and when: registry identifiers, titles, phase, sponsor, sites, status, dates, enrollment."""

    registry_id: str
    brief_title: str
    phase: str
    status: str
    sponsor: Organisation
    org_study_id: str = ""
    official_title: str = ""
    acronym: str = ""
    study_type: str = "INTERVENTIONAL"
    collaborators: tuple[Organisation, ...] = ()
    sites: tuple[Site, ...] = ()
    dates: StudyDates = StudyDates()
    enrollment: Enrollment = Enrollment()
    design: StudyDesign = StudyDesign()
    min_age_years: int | None = None
    max_age_years: int | None = None
    sex: str = "ALL"
    healthy_volunteers: bool = False
    summary: str = ""
    sources: tuple[str, ...] = ()


@dataclass(frozen=True)
class Dose:
    """Exactly one of: a fixed number of particles, cells per kg body weight, a fraction of the MTD (Phase 2
    arms of a seamless design), or a placebo (the substance given)."""

    particles: int | None = None
    cells_per_kg: Decimal | None = None
    fraction_of_mtd: Decimal | None = None
    placebo: str | None = None


@dataclass(frozen=True)
class Intervention:
    """A product given by a route on the listed study days (Day 1 = first administration)."""

    id: str
    name: str
    dose: Dose
    route: str
    schedule_days: tuple[int, ...]
    kind: str = "BIOLOGICAL"
    product: str = ""
    volume_ml: Decimal | None = None
    description: str = ""


@dataclass(frozen=True)
class Arm:
    """A study arm; ``phase`` is the trial stage it belongs to (1 dose finding, 2 randomised comparison)."""

    id: str
    label: str
    interventions: tuple[str, ...]
    kind: str = "EXPERIMENTAL"
    phase: int | None = None
    dose_level: str | None = None
    description: str = ""


@dataclass(frozen=True)
class DoseLevel:
    """A Phase 1 dose level, in particles per administration; listed in ascending order."""

    id: str
    label: str
    dose_particles: int


@dataclass(frozen=True)
class DesignSpec:
    """The dose-finding design: ``3+3``, ``BOIN`` or ``CRM`` with its parameters (e.g. ``skeleton`` for CRM)."""

    name: str
    target: Decimal | None = None
    parameters: dict[str, Decimal | str | bool | tuple[Decimal, ...]] = field(default_factory=dict)
    assumed: bool = False


@dataclass(frozen=True)
class DLTRule:
    """Parameters of the DLT definition (clinical.md 3.9, PROPOSAL)."""

    post_dose_hours: int = 2
    nonhematologic_min_grade: int = 3
    hematologic_min_grade: int = 4
    death_within_hours: int = 24
    related_at_least: str = "possible"
    assumed: bool = False


@dataclass(frozen=True)
class Phase1:
    """The dose-finding stage."""

    design: DesignSpec
    start_level: str
    cohort_size: int
    max_sample_size: int
    dlt_window_days: int
    next_cohort_before_window_closes: bool = False
    dlt_rule: DLTRule = DLTRule()
    notes: str = ""


@dataclass(frozen=True)
class Stratum:
    """A stratification factor, e.g. Berlin severity with levels MILD/MODERATE/SEVERE."""

    name: str
    levels: tuple[str, ...]
    source_value: str = ""


@dataclass(frozen=True)
class Phase2:
    """The randomised comparison stage (whatever the registry phase label): arms, ratio, strata, blocks."""

    arms: tuple[str, ...]
    allocation_ratio: tuple[int, ...]
    strata: tuple[Stratum, ...] = ()
    block_sizes: tuple[int, ...] = ()
    sample_size: int | None = None
    masking: str = ""
    assumed: bool = False
    notes: str = ""


@dataclass(frozen=True)
class Visit:
    """A scheduled visit on study ``day`` with an allowed window of days before and after."""

    id: str
    label: str
    day: int
    window_before_days: int = 0
    window_after_days: int = 0
    assessments: tuple[str, ...] = ()


@dataclass(frozen=True)
class Schedule:
    """The schedule of assessments (clinical.md section 4)."""

    day_one: str
    visits: tuple[Visit, ...]
    assumed: bool = False


@dataclass(frozen=True)
class Outcome:
    """An outcome measure; ``assumed`` marks measures the registry does not state (clinical.md 1.6)."""

    id: str
    kind: str
    measure: str
    time_frame: str
    description: str = ""
    phase: int | None = None
    assumed: bool = False
    source: str = ""


@dataclass(frozen=True)
class PatientFieldSpec:
    """A patient-record field a protocol adds to the standard record (``docs/eligibility.md``)."""

    path: str
    type: str
    description: str = ""
    choices: tuple[str, ...] = ()


@dataclass(frozen=True)
class Eligibility:
    """Inclusion and exclusion criteria, in registry order and numbering."""

    inclusion: tuple[Criterion, ...]
    exclusion: tuple[Criterion, ...]

    def all(self) -> tuple[Criterion, ...]:
        """Inclusion criteria then exclusion criteria."""
        return self.inclusion + self.exclusion


@dataclass(frozen=True)
class Settings:
    """The ambiguity settings (clinical.md section 5) and any protocol-specific ones in ``extra``."""

    exclusion3_join: str = "and"
    within_n_days_inclusive: bool = True
    bmi_rounding: str = "none"
    berlin_noninvasive_policy: str = "strict"
    extra: dict[str, str | bool | int | Decimal] = field(default_factory=dict)

    def value(self, name: str) -> str | bool | int | Decimal:
        """The value of setting ``name`` (``KeyError`` if the protocol has no such setting)."""
        if name in SETTING_DEFAULTS:
            value: str | bool | int | Decimal = getattr(self, name)
            return value
        return self.extra[name]

    def names(self) -> tuple[str, ...]:
        """Every setting name this protocol defines."""
        return tuple(SETTING_DEFAULTS) + tuple(self.extra)


@dataclass(frozen=True)
class Protocol:
    """A whole protocol definition, loaded from a protocol file and checked at load."""

    identification: Identification
    conditions: tuple[str, ...]
    interventions: tuple[Intervention, ...]
    arms: tuple[Arm, ...]
    eligibility: Eligibility
    format_version: int = FORMAT_VERSION
    dose_levels: tuple[DoseLevel, ...] = ()
    phase1: Phase1 | None = None
    phase2: Phase2 | None = None
    schedule: Schedule | None = None
    outcomes: tuple[Outcome, ...] = ()
    settings: Settings = Settings()
    patient_fields: tuple[PatientFieldSpec, ...] = ()

    @property
    def registry_id(self) -> str:
        """The registry identifier, e.g. ``NCT04602104``."""
        return self.identification.registry_id

    def intervention(self, intervention_id: str) -> Intervention:
        """The intervention with this id (``KeyError`` if unknown)."""
        for item in self.interventions:
            if item.id == intervention_id:
                return item
        raise KeyError(intervention_id)

    def arm(self, arm_id: str) -> Arm:
        """The arm with this id (``KeyError`` if unknown)."""
        for item in self.arms:
            if item.id == arm_id:
                return item
        raise KeyError(arm_id)

    def dose_level(self, level_id: str) -> DoseLevel:
        """The dose level with this id (``KeyError`` if unknown)."""
        for item in self.dose_levels:
            if item.id == level_id:
                return item
        raise KeyError(level_id)

    def criterion(self, criterion_id: str) -> Criterion:
        """The criterion with this id, e.g. ``E3`` (``KeyError`` if unknown)."""
        for item in self.eligibility.all():
            if item.id == criterion_id:
                return item
        raise KeyError(criterion_id)
