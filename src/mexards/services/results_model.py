"""The analysis dataset's types: the groups, participants, adverse events, cohorts and screening counts that
results (tables, CONSORT, report, registry) are built from (:func:`mexards.services.results.analysis_dataset`
builds it).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime

from mexards.clinical.ventilation import VFDResult
from mexards.domain.identifier import ParticipantId, SiteId

POOLED_GROUP_ID = "phase2_pooled"
POOLED_GROUP_TITLE = "Phase 2: randomised participants, all groups pooled (blinded)"
BIOMARKERS = ("il6_pg_ml", "il8_pg_ml", "tnf_alpha_pg_ml", "crp_mg_l", "procalcitonin_ng_ml", "d_dimer_mg_l",
              "ferritin_ng_ml")
"""Laboratory biomarkers carried into the dataset (protocol outcome 'IL-6, IL-8 and TNF-alpha', plus
inflammation markers of the labs form)."""


@dataclass(frozen=True)
class ResultGroup:
    """A column of the results: a Phase 1 dose level, a Phase 2 arm (by-arm variant) or the pooled Phase 2."""

    group_id: str
    title: str
    description: str
    phase: int
    dose_particles: int | None
    """Daily dose in particles (Phase 1 levels; Phase 2 arms in the by-arm variant; None when pooled)."""
    is_control: bool = False


@dataclass(frozen=True)
class AnalysisParticipant:
    """One enrolled participant as the analyses need them."""

    participant_id: ParticipantId
    site_id: SiteId
    state: str
    end_reason: str | None
    group_id: str | None
    """None for an enrolled participant never assigned nor randomised."""
    phase: int | None
    cohort_number: int | None
    dose_level_index: int | None
    doses_received: int
    day_one: date | None
    age_years: int | None
    sex: str | None
    weight_kg: float | None
    height_cm: float | None
    ards_risk_factor: str | None
    berlin_baseline: str | None
    pf_by_day: Mapping[int, float]
    sofa_by_day: Mapping[int, float]
    murray_by_day: Mapping[int, float]
    biomarkers_by_day: Mapping[str, Mapping[int, float]]
    ventilated_days: tuple[int, ...]
    death_day: int | None
    last_known_alive_day: int | None
    vfd: VFDResult | None
    dlt: bool | None
    dlt_evaluable: bool | None

    @property
    def baseline_pf(self) -> float | None:
        return _baseline(self.pf_by_day)

    @property
    def baseline_sofa(self) -> float | None:
        return _baseline(self.sofa_by_day)

    @property
    def baseline_murray(self) -> float | None:
        return _baseline(self.murray_by_day)


@dataclass(frozen=True)
class AnalysisAdverseEvent:
    adverse_event_id: str
    participant_id: ParticipantId
    group_id: str | None
    term: str
    system_organ_class: str
    grade: int
    serious: bool
    related: bool
    """At least possibly related (ICH E2A II.A.1)."""
    study_day: int | None


@dataclass(frozen=True)
class CohortRecord:
    """A Phase 1 cohort for the dose-escalation path."""

    cohort_number: int
    dose_level_index: int
    dose_particles: int
    participants: int
    evaluable: int
    dlts: int
    overrides_recommendation: bool


@dataclass(frozen=True)
class ScreeningSummary:
    """The screening log's counts (CONSORT 2010 item 13a): each screened patient once, latest verdict."""

    assessed: int
    ineligible: int
    incomplete: int
    eligible: int
    exclusion_reasons: Mapping[str, int]
    """Criterion id -> patients failing it (a patient may fail several), in the protocol's order of criteria
    (:func:`~mexards.services.results_screening.criterion_order`)."""
    criterion_text: Mapping[str, str]
    eligible_not_enrolled: Mapping[str, int]
    """Why an eligible patient was not enrolled -> count."""
    enrolled: int


@dataclass(frozen=True)
class AnalysisDataset:
    protocol_id: str
    trial_status: str
    locked: bool
    by_arm: bool
    mtd_dose_particles: int | None
    groups: tuple[ResultGroup, ...]
    participants: tuple[AnalysisParticipant, ...]
    adverse_events: tuple[AnalysisAdverseEvent, ...]
    cohorts: tuple[CohortRecord, ...]
    screening: ScreeningSummary
    extracted_at: datetime
    pooled_reason: str = field(default="")

    def group(self, group_id: str) -> ResultGroup:
        for group in self.groups:
            if group.group_id == group_id:
                return group
        raise KeyError(group_id)

    def members(self, group_id: str) -> tuple[AnalysisParticipant, ...]:
        return tuple(p for p in self.participants if p.group_id == group_id)

    def groups_of_phase(self, phase: int) -> tuple[ResultGroup, ...]:
        return tuple(g for g in self.groups if g.phase == phase)


def _baseline(by_day: Mapping[int, float]) -> float | None:
    for day in (1, 0):
        if day in by_day:
            return by_day[day]
    return None
