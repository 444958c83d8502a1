"""The parameters of a virtual-patient and whole-trial scenario, as frozen dataclasses.

Read from scenario files by :mod:`mexards.simulation.trial_scenario` (format:
``docs/whole-trial-simulation.md``); used by :mod:`mexards.simulation.ards_patient`,
:mod:`mexards.simulation.trial_course` and :mod:`mexards.simulation.whole_trial`. Per-class tuples are in
:data:`SEVERITIES` order (Berlin, JAMA 2012).
"""

from __future__ import annotations

from dataclasses import dataclass, field

FORMAT_VERSION = 1
SEVERITIES: tuple[str, ...] = ("MILD", "MODERATE", "SEVERE")
"""Berlin classes in index order (0 mild, 1 moderate, 2 severe)."""

EXCLUDING_CONDITIONS: tuple[str, ...] = (
    "severe_allergic_constitution",
    "liver_failure_child_pugh_above_12",
    "chronic_respiratory_failure",
    "malignancy",
    "dialysis",
    "recent_dvt_or_pe",
    "recent_myocardial_infarction",
    "neuromuscular_disease",
    "lung_transplant",
    "bone_marrow_transplant",
    "immunosuppression",
    "ecmo_or_hfov",
    "declines_lung_protective_care",
    "epilepsy_on_treatment",
    "expected_survival_under_30_days",
    "hepatitis_b",
    "hepatitis_c",
    "hiv",
    "syphilis",
    "pregnancy_or_lactation",
    "unable_to_understand_protocol",
    "otherwise_unsuitable",
)
"""Comorbidities that trigger a MEXARDS exclusion (clinical.md 1.3) when present."""

HARMLESS_CONDITIONS: tuple[str, ...] = (
    "chronic_respiratory_disease_without_home_oxygen",
    "basal_cell_skin_cancer_only",
)
"""Conditions that look like an exclusion but are allowed by its wording (exclusions 3 and 5)."""

CHILDBEARING_AGES = (18, 49)
"""Ages (inclusive) at which ``pregnancy_or_lactation`` applies to women."""

ANALYSES = ("ancova", "t_test")
MULTIPLICITY = ("fixed_sequence", "bonferroni")


@dataclass(frozen=True)
class Normal:
    """A normal distribution, truncated to ``[minimum, maximum]`` where given."""

    mean: float
    sd: float
    minimum: float | None = None
    maximum: float | None = None


@dataclass(frozen=True)
class Population:
    """Baseline characteristics of screened ARDS patients (per-class tuples in :data:`SEVERITIES` order)."""

    age_years: Normal
    female_probability: float
    height_cm_male: Normal
    height_cm_female: Normal
    bmi: Normal
    aetiology: tuple[tuple[str, float], ...]
    severity: tuple[float, ...]
    pf_ratio_mmhg: tuple[Normal, ...]
    fio2_fraction: tuple[Normal, ...]
    peep_cmh2o: tuple[Normal, ...]
    noninvasive_probability_mild: float
    non_respiratory_sofa_mean: tuple[float, ...]
    compliance_ml_cmh2o: Normal
    cxr_quadrants: tuple[float, ...]
    hours_since_diagnosis_max: float


@dataclass(frozen=True)
class Screening:
    """Screening failures: consent refused, not ARDS after all, and comorbidity rates by condition name."""

    consent_refused: float
    not_ards: float
    conditions: tuple[tuple[str, float], ...]

    def probability(self, name: str) -> float:
        """The rate of one condition (0 when the scenario does not give it)."""
        return dict(self.conditions).get(name, 0.0)


@dataclass(frozen=True)
class Course:
    """The daily course after Day 1: P/F, death, ventilation, background adverse events."""

    pf_change_day7_mmhg: tuple[Normal, ...]
    pf_ratio_min_mmhg: float
    pf_ratio_max_mmhg: float
    pf_autocorrelation: float
    recovery_time_constant_days: float
    mortality_day28: tuple[float, ...]
    mortality_day60: tuple[float, ...]
    death_timing_shape: float
    ventilation_days_mean: tuple[float, ...]
    intubation_probability_noninvasive: float
    adverse_event_rate: float
    adverse_event_terms: tuple[tuple[str, float], ...]
    adverse_event_grades: tuple[float, ...]


@dataclass(frozen=True)
class DoseToxicity:
    """True DLT probability per protocol dose level and the target that defines the correct MTD."""

    target: float
    dlt_probability: tuple[float, ...]
    dlt_terms: tuple[tuple[str, float], ...]
    grade4_probability: float


@dataclass(frozen=True)
class DoseResponse:
    """Emax dose-response: ``Emax * d / (ED50 + d)`` on the Day-7 P/F change and odds ratio
    ``OR_max ** (d / (ED50 + d))`` on mortality; ``scale`` multiplies both on their own scale (0 = null)."""

    ed50_particles: float
    pf_change_emax_mmhg: float
    mortality_odds_ratio_max: float

    def fraction(self, dose_particles: float) -> float:
        """``d / (ED50 + d)``, 0 for no dose."""
        dose = max(float(dose_particles), 0.0)
        return dose / (self.ed50_particles + dose)

    def pf_effect_mmhg(self, dose_particles: float, scale: float = 1.0) -> float:
        """Mean added to the Day-7 P/F change at this dose."""
        return scale * self.pf_change_emax_mmhg * self.fraction(dose_particles)

    def mortality_odds_ratio(self, dose_particles: float, scale: float = 1.0) -> float:
        """Odds ratio applied to Day-28 and Day-60 mortality at this dose."""
        return float(self.mortality_odds_ratio_max ** (scale * self.fraction(dose_particles)))

    @property
    def is_null(self) -> bool:
        """No effect at any dose."""
        return self.pf_change_emax_mmhg == 0.0 and self.mortality_odds_ratio_max == 1.0


@dataclass(frozen=True)
class TrialPlan:
    """Conduct and analysis of the trial (``phase2_sample_size`` None: from the protocol)."""

    accrual_per_month: float
    phase2_start_gap_days: float
    phase2_sample_size: int | None
    primary_endpoint_day: int
    analysis: str
    multiplicity: str
    alpha: float
    power_curve_scales: tuple[float, ...]
    follow_up_days: int


@dataclass(frozen=True)
class TrialScenario:
    """A whole scenario file, checked."""

    name: str
    description: str
    protocol: str
    population: Population
    screening: Screening
    course: Course
    dose_toxicity: DoseToxicity
    dose_response: DoseResponse
    trial: TrialPlan
    sources: dict[str, str] = field(default_factory=dict)
    block_sources: dict[str, str] = field(default_factory=dict)
