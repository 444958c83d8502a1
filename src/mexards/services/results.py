"""The analysis dataset: the one read model that results (tables, CONSORT, report, registry) are built from.

It is read through the repositories in one unit of work and shaped by the blinding policy:

- **Pooled (blinded) variant**, the default: Phase 1 participants are grouped by dose level (open label),
  every randomised participant is in one "Phase 2, all arms pooled" group; no Phase 2 arm, arm label or
  Phase 2 dose appears anywhere in it (``edc-and-standards.md`` BLD-1, BLD-2, BLD-6).
- **By-arm variant** (``by_arm=True``): Phase 2 participants are grouped by their allocated arm (from the
  sealed list). It needs the database lock *and* an unblinded role; otherwise PermissionDeniedError, whose
  text names no arm (ICH E9 5.1 and ICH E6(R3) 3.16.1(r): comparative results after database lock).
  DSMB members get it at any time as a closed-session report (ICH E9 4.5): recorded in the audit trail, with
  every participant, site and event identifier replaced by a pseudonym, for arm-level aggregates only.
- Site-bound roles see their sites only, in every count.

Derivations (documented in ``docs/results.md``):

- Study day: Day 1 = the date of the first inhalation (protocol schedule), the day before is Day 0 (screening,
  randomisation); a participant never dosed has the enrolment date as Day 1. Visit values are placed at the
  visit's planned day (analysis visit).
- Baseline: the Day 1 (pre-dose) value, else the screening value (the last value before the first dose).
- Ventilation: the study days from the first to the last day a blood gas records invasive ventilation,
  extended to the extubation date of the end-of-study form; VFD-28 follows ``mexards.clinical.ventilation``
  (Schoenfeld & Bernard 2002, ARDSNet convention) with Day 0 = randomisation.
- Vital status: the death date, else the last day the participant was known alive (end-of-study last contact,
  visits, CRF dates, doses, the date of completion). Unknown vital status is kept as missing, not assumed.
- AE system organ class: :data:`SYSTEM_ORGAN_CLASS`, the CTCAE v5.0 SOC of each term (NCI CTCAE v5.0 is
  organised by MedDRA SOC; KNOWLEDGE-sourced table); an unlisted term is reported as :data:`NOT_CODED`.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from hashlib import sha256
from types import MappingProxyType

from mexards.clinical.anthropometry import age_completed_years
from mexards.clinical.ventilation import VFDResult, ventilator_free_days
from mexards.domain.administration import Administration
from mexards.domain.adverse_event import AdverseEvent
from mexards.domain.cohort import DLTAdjudication
from mexards.domain.errors import ConflictError, PermissionDeniedError
from mexards.domain.identifier import ParticipantId, SiteId, UserId
from mexards.domain.participant import Participant
from mexards.domain.role import Actor, Role
from mexards.domain.trial import Trial
from mexards.domain.visit import Visit
from mexards.protocol.model import Protocol
from mexards.services.allocation import arm_daily_dose_particles
from mexards.services.event import ClosedSessionReportPrepared
from mexards.services.operation import checked_protocol, current_trial, operation, record
from mexards.services.policy import Action, is_allowed, require, sees_arms, visible_sites
from mexards.services.port import UnitOfWork
from mexards.services.record import CRFRecord, ScreeningLogEntry

POOLED_GROUP_ID = "phase2_pooled"
POOLED_GROUP_TITLE = "Phase 2: randomised participants, all groups pooled (blinded)"
NOT_CODED = "Not coded (term outside the coding table)"
BIOMARKERS = ("il6_pg_ml", "il8_pg_ml", "tnf_alpha_pg_ml", "crp_mg_l", "procalcitonin_ng_ml", "d_dimer_mg_l",
              "ferritin_ng_ml")
"""Laboratory biomarkers carried into the dataset (protocol outcome 'IL-6, IL-8 and TNF-alpha', plus
inflammation markers of the labs form)."""

_SOC_TERMS: dict[str, tuple[str, ...]] = {
    "Blood and lymphatic system disorders": ("Anemia", "Febrile neutropenia", "Leukocytosis"),
    "Cardiac disorders": ("Atrial fibrillation", "Sinus tachycardia", "Sinus bradycardia", "Cardiac arrest",
                          "Ventricular tachycardia", "Heart failure", "Myocardial infarction"),
    "Gastrointestinal disorders": ("Nausea", "Vomiting", "Diarrhea", "Constipation", "Abdominal pain"),
    "General disorders and administration site conditions": ("Fever", "Fatigue", "Chills", "Death NOS",
                                                             "Multi-organ failure", "Edema limbs"),
    "Hepatobiliary disorders": ("Hepatic failure",),
    "Immune system disorders": ("Allergic reaction", "Anaphylaxis", "Cytokine release syndrome"),
    "Infections and infestations": ("Sepsis", "Lung infection", "Urinary tract infection",
                                    "Catheter related infection", "Bacteremia"),
    "Investigations": ("Alanine aminotransferase increased", "Aspartate aminotransferase increased",
                       "Blood bilirubin increased", "Creatinine increased", "Platelet count decreased",
                       "Neutrophil count decreased", "White blood cell decreased",
                       "Lymphocyte count decreased"),
    "Metabolism and nutrition disorders": ("Hyperglycemia", "Hypoglycemia", "Hypokalemia", "Hyperkalemia",
                                           "Hyponatremia", "Hypernatremia", "Acidosis"),
    "Nervous system disorders": ("Headache", "Seizure", "Dizziness", "Stroke"),
    "Psychiatric disorders": ("Delirium", "Agitation", "Insomnia"),
    "Renal and urinary disorders": ("Acute kidney injury",),
    "Respiratory, thoracic and mediastinal disorders": (
        "Hypoxia", "Bronchospasm", "Dyspnea", "Cough", "Pneumothorax", "Respiratory failure",
        "Adult respiratory distress syndrome", "Pleural effusion", "Pulmonary edema", "Laryngeal edema",
        "Wheezing", "Pulmonary hypertension"),
    "Skin and subcutaneous tissue disorders": ("Rash maculo-papular", "Pruritus", "Urticaria"),
    "Vascular disorders": ("Hypotension", "Hypertension", "Thromboembolic event"),
}
SYSTEM_ORGAN_CLASS: Mapping[str, str] = MappingProxyType(
    {term.lower(): soc for soc, terms in _SOC_TERMS.items() for term in terms}
)
"""CTCAE v5.0 term (lower case) -> MedDRA system organ class."""


def system_organ_class(term: str) -> str:
    """The SOC of a CTCAE term (case-insensitive), or :data:`NOT_CODED`."""
    return SYSTEM_ORGAN_CLASS.get(" ".join(term.split()).lower(), NOT_CODED)


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
    """Criterion id -> patients failing it (a patient may fail several)."""
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


def may_see_arm_level(actor: Actor, locked: bool) -> bool:
    """Arm-level results need the database lock and an unblinded role (BLD-1; ICH E9 5.1)."""
    return locked and sees_arms(actor)


def analysis_dataset(
    uow: UnitOfWork, actor: Actor, protocol: Protocol, *, by_arm: bool = False
) -> AnalysisDataset:
    """The dataset the actor may see: pooled (default) or by arm (locked database and unblinded role)."""
    require(actor, Action.READ_PARTICIPANTS)
    with operation(uow, actor, Action.READ_SAFETY) as u:
        trial = current_trial(u)
        checked_protocol(trial, protocol)
        dsmb = not sees_arms(actor) and is_allowed(actor, Action.READ_CLOSED_SESSION_REPORT)
        closed_session = by_arm and dsmb
        if by_arm and not (may_see_arm_level(actor, trial.is_locked) or closed_session):
            raise PermissionDeniedError(
                f"role {actor.role.value} may not see results by treatment group: they need the database "
                "lock and an unblinded role"
            )
        sites = visible_sites(actor)
        participants = u.participants.list(site_ids=sites)
        visible = {p.participant_id for p in participants}
        arm_of = _allocated_arms(u) if by_arm else {}
        groups = _groups(protocol, trial, by_arm)
        crfs: dict[ParticipantId, list[CRFRecord]] = defaultdict(list)
        for crf in u.crf_records.list():
            if crf.participant_id in visible:
                crfs[crf.participant_id].append(crf)
        visit_dates: dict[ParticipantId, list[date]] = defaultdict(list)
        for visit in u.visits.list():
            if visit.actual_date is not None and visit.participant_id in visible:
                visit_dates[visit.participant_id].append(visit.actual_date)
        adjudications = {a.participant_id: a for a in u.dlt_adjudications.list() if a.is_confirmed}
        levels = {i: level for i, level in enumerate(protocol.dose_levels, start=1)}
        phase1_arm = {a.dose_level: a.id for a in protocol.arms if a.phase == 1 and a.dose_level}
        days = {v.id: v.day for v in protocol.schedule.visits} if protocol.schedule else {}
        raw_aes = [ae for ae in u.adverse_events.list() if ae.participant_id in visible]
        ae_dates: dict[ParticipantId, list[date]] = defaultdict(list)
        for ae in raw_aes:
            ae_dates[ae.participant_id].append(ae.onset_at.date())

        rows: list[AnalysisParticipant] = []
        for p in participants:
            if p.enrolled_at is None:
                continue
            group_id: str | None = None
            if p.randomization is not None:
                group_id = arm_of.get(p.participant_id) if by_arm else POOLED_GROUP_ID
            elif p.dose_level is not None:
                level = levels.get(p.dose_level.index)
                group_id = phase1_arm.get(level.id) if level else None
            rows.append(_participant(p, group_id, crfs[p.participant_id], days, visit_dates[p.participant_id],
                                     ae_dates[p.participant_id], adjudications.get(p.participant_id)))
        by_id = {r.participant_id: r for r in rows}
        aes = tuple(
            AnalysisAdverseEvent(
                ae.adverse_event_id, ae.participant_id,
                by_id[ae.participant_id].group_id if ae.participant_id in by_id else None,
                ae.term, system_organ_class(ae.term), int(ae.ctcae_grade), ae.is_serious,
                ae.relatedness.is_suspected, _day(by_id[ae.participant_id].day_one, ae.onset_at.date())
                if ae.participant_id in by_id else None,
            )
            for ae in sorted(raw_aes, key=lambda a: (a.onset_at, a.adverse_event_id))
        )  # fmt: skip
        dataset = AnalysisDataset(
            protocol_id=protocol.registry_id, trial_status=trial.status.value, locked=trial.is_locked,
            by_arm=by_arm, mtd_dose_particles=trial.mtd_dose_particles, groups=groups,
            participants=tuple(rows),
            adverse_events=aes, cohorts=_cohorts(u, adjudications, visible),
            screening=_screening(u, protocol, sites, participants), extracted_at=u.clock.now(),
            pooled_reason="" if by_arm else "Phase 2 results are pooled: treatment groups stay masked until "
            "the database is locked and an unblinded role asks for them.",
        )  # fmt: skip
        if not closed_session:
            return dataset
        record(u, ClosedSessionReportPrepared(document_id=protocol.registry_id, locked=trial.is_locked,
                                              participants=len(rows), occurred_at=dataset.extracted_at))
        u.commit()
        return closed_session_view(dataset)


def closed_session_view(dataset: AnalysisDataset) -> AnalysisDataset:
    """The dataset with pseudonyms for every participant, site and adverse event: the analyses (and so the
    arm-level tables) are unchanged, but nothing in it leads back to a participant's arm."""

    def shuffled(p: AnalysisParticipant) -> tuple[str, str]:
        return p.group_id or "", sha256(p.participant_id.value.encode()).hexdigest()

    order = sorted(dataset.participants, key=shuffled)
    alias = {p.participant_id: ParticipantId(f"DSMB-{i:05d}") for i, p in enumerate(order, start=1)}
    site = SiteId("ALL")
    events = tuple(
        replace(e, adverse_event_id=f"DSMB-AE-{i:05d}",
                participant_id=alias.get(e.participant_id, ParticipantId(f"DSMB-X-{i:05d}")))
        for i, e in enumerate(dataset.adverse_events, start=1)
    )
    people = tuple(replace(p, participant_id=alias[p.participant_id], site_id=site) for p in order)
    return replace(dataset, participants=people, adverse_events=events)


def _groups(protocol: Protocol, trial: Trial, by_arm: bool) -> tuple[ResultGroup, ...]:
    levels = {level.id: level for level in protocol.dose_levels}
    groups: list[ResultGroup] = []
    for arm in protocol.arms:
        if arm.phase == 1 and arm.dose_level in levels:
            groups.append(ResultGroup(arm.id, arm.label, _description(protocol, arm.id), 1,
                                      levels[arm.dose_level].dose_particles))
    phase2 = [a for a in protocol.arms if a.phase == 2]
    if not phase2:
        return tuple(groups)
    if not by_arm:
        groups.append(ResultGroup(POOLED_GROUP_ID, POOLED_GROUP_TITLE,
                                  "All randomised participants; treatment groups masked.", 2, None))
        return tuple(groups)
    for arm in phase2:
        try:
            dose: int | None = arm_daily_dose_particles(protocol, trial, arm.id)
        except ConflictError:  # no MTD declared: the dose is not known
            dose = None
        groups.append(ResultGroup(arm.id, arm.label, _description(protocol, arm.id), 2, dose,
                                  arm.kind == "PLACEBO_COMPARATOR" or dose == 0))
    return tuple(groups)


def _description(protocol: Protocol, arm_id: str) -> str:
    arm = protocol.arm(arm_id)
    if arm.description:
        return arm.description
    return "; ".join(protocol.intervention(i).description or protocol.intervention(i).name
                     for i in arm.interventions)


def _day(day_one: date | None, on: date | None) -> int | None:
    """Study day of a date: Day 1 = ``day_one``, the day before is Day 0 (as the protocol's schedule)."""
    if day_one is None or on is None:
        return None
    return (on - day_one).days + 1


def _number(value: object) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        return float(Decimal(str(value)))
    except (InvalidOperation, ValueError):
        return None


def _date(value: object) -> date | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value).date() if "T" in value else date.fromisoformat(value[:10])
    except ValueError:
        return None


_DATE_FIELDS = ("measured_at", "assessed_on", "sampled_at", "last_contact_on")


def _participant(
    p: Participant,
    group_id: str | None,
    crfs: Iterable[CRFRecord],
    days: Mapping[str, int],
    visit_dates: list[date],
    ae_dates: list[date],
    adjudication: DLTAdjudication | None,
) -> AnalysisParticipant:
    day_one = p.first_dose_at.date() if p.first_dose_at else (p.enrolled_at.date() if p.enrolled_at else None)
    pf: dict[int, float] = {}
    sofa: dict[int, float] = {}
    murray: dict[int, float] = {}
    markers: dict[str, dict[int, float]] = defaultdict(dict)
    invasive: list[int] = []
    demographics: Mapping[str, object] = {}
    end: Mapping[str, object] = {}
    berlin: dict[int, str] = {}
    known_alive: list[date] = list(visit_dates) + list(ae_dates)
    for crf in crfs:
        values, derived = crf.values, crf.derived
        for name in _DATE_FIELDS:
            when = _date(values.get(name))
            if when is not None and crf.form_id != "end_of_study":
                known_alive.append(when)
        if crf.form_id == "demographics":
            demographics = values
            continue
        if crf.form_id == "end_of_study":
            end = values
            continue
        day = days.get(crf.visit_code)
        if day is None:
            continue
        if crf.form_id == "blood_gas":
            value = _number(derived.get("pf_ratio"))
            if value is not None:
                pf[day] = value
            if isinstance(derived.get("berlin_category"), str):
                berlin[day] = str(derived["berlin_category"])
            if values.get("support") == "invasive":
                invasive.append(day)
        elif crf.form_id == "sofa" and derived.get("sofa_complete") is True:
            value = _number(derived.get("sofa_total"))
            if value is not None:
                sofa[day] = value
        elif crf.form_id == "murray" and derived.get("murray_complete") is not False:
            value = _number(derived.get("murray_score"))
            if value is not None:
                murray[day] = value
        elif crf.form_id == "labs":
            for name in BIOMARKERS:
                value = _number(values.get(name))
                if value is not None:
                    markers[name][day] = value
    if p.first_dose_at is not None and p.dosed_days:
        known_alive.append(p.first_dose_at.date())
    if p.state.value == "completed" and p.state_changed_at is not None:
        known_alive.append(p.state_changed_at.date())
    last_contact = _date(end.get("last_contact_on"))
    if last_contact is not None and p.died_on is None:
        known_alive.append(last_contact)
    death_day = _day(day_one, p.died_on)
    alive_day = _day(day_one, max(known_alive)) if known_alive and day_one else None
    if death_day is not None and alive_day is not None:
        alive_day = min(alive_day, death_day)
    ventilated = _ventilated(invasive, _day(day_one, _date(end.get("extubated_on"))))
    vfd = _vfd(ventilated, death_day, alive_day, group_id is not None and p.randomization is not None)
    birth = _date(demographics.get("date_of_birth"))
    age = age_completed_years(birth, p.enrolled_at.date()) if birth and p.enrolled_at else None
    sex = demographics.get("sex")
    risk = demographics.get("ards_risk_factor")
    is_dlt = adjudication.is_dlt if adjudication else None
    evaluable = adjudication.evaluable if adjudication else None
    return AnalysisParticipant(
        p.participant_id, p.site_id, p.state.value, p.end_reason, group_id,
        2 if p.randomization is not None else (1 if p.cohort_number is not None else None),
        p.cohort_number, p.dose_level.index if p.dose_level else None, len(p.dosed_days), day_one, age,
        sex if isinstance(sex, str) else None, _number(demographics.get("weight_kg")),
        _number(demographics.get("height_cm")), risk if isinstance(risk, str) else None,
        berlin.get(1, berlin.get(0)), MappingProxyType(pf), MappingProxyType(sofa), MappingProxyType(murray),
        MappingProxyType({k: MappingProxyType(v) for k, v in markers.items()}), ventilated, death_day,
        alive_day,
        vfd, is_dlt, evaluable,
    )  # fmt: skip


def _ventilated(invasive_days: list[int], extubation_day: int | None) -> tuple[int, ...]:
    """Days from the first to the last documented invasive day, extended to the extubation day if recorded."""
    if not invasive_days:
        return ()
    first = max(min(invasive_days), 0)
    last = max(invasive_days)
    if extubation_day is not None and extubation_day >= last:
        last = extubation_day
    return tuple(range(first, last + 1))


def _vfd(
    ventilated: tuple[int, ...], death_day: int | None, alive_day: int | None, randomised: bool
) -> VFDResult | None:
    """VFD-28 for a randomised participant (Day 0 = randomisation); None when no status is known at all."""
    if not randomised or (death_day is None and alive_day is None):
        return None
    end = alive_day if alive_day is not None else 0
    if death_day is None and ventilated and ventilated[-1] > end:
        end = ventilated[-1]
    kept = [d for d in ventilated if death_day is None or d <= death_day]
    return ventilator_free_days(kept, death_day=death_day, follow_up_end_day=max(end, 0))


def _cohorts(u: UnitOfWork, adjudications: Mapping[ParticipantId, DLTAdjudication],
             visible: set[ParticipantId]) -> tuple[CohortRecord, ...]:
    decisions = {d.cohort_number: d for d in u.dose_decisions.list()}
    rows = []
    for cohort in u.cohorts.list():
        people = [pid for pid in cohort.participant_ids if pid in visible]
        judged = [adjudications[pid] for pid in people if pid in adjudications]
        decision = decisions.get(cohort.cohort_number)
        rows.append(CohortRecord(
            cohort.cohort_number, cohort.dose_level.index, cohort.dose_level.dose_particles, len(people),
            sum(1 for a in judged if a.evaluable), sum(1 for a in judged if a.is_dlt),
            bool(decision and decision.overrides_recommendation),
        ))  # fmt: skip
    return tuple(rows)


_NOT_ENROLLED = {
    "eligible": "Eligible, consent not obtained",
    "consented": "Consented, not enrolled",
    "withdrawn": "Withdrew before enrolment",
    "died": "Died before enrolment",
    "screened": "Screening not finished",
}


def _screening(u: UnitOfWork, protocol: Protocol, sites: frozenset[SiteId] | None,
               participants: list[Participant]) -> ScreeningSummary:
    log = u.screening_log.list(site_ids=sites)
    state = {p.participant_id: p for p in participants}
    reasons = Counter(c.criterion_id for entry in log for c in entry.failing)
    texts: dict[str, str] = {}
    for criterion_id in reasons:
        try:
            texts[criterion_id] = " ".join(protocol.criterion(criterion_id).text.split())
        except KeyError:
            texts[criterion_id] = criterion_id
    eligible = [e for e in log if e.verdict == "ELIGIBLE"]
    not_enrolled: Counter[str] = Counter()
    enrolled = 0
    for entry in eligible:
        person = state.get(entry.participant_id)
        if person is not None and person.enrolled_at is not None:
            enrolled += 1
        else:
            key = person.state.value if person is not None else "screened"
            not_enrolled[_NOT_ENROLLED.get(key, f"Not enrolled ({key.replace('_', ' ')})")] += 1
    return ScreeningSummary(
        assessed=len(log), ineligible=sum(1 for e in log if e.verdict == "INELIGIBLE"),
        incomplete=sum(1 for e in log if e.verdict == "INCOMPLETE"), eligible=len(eligible),
        exclusion_reasons=MappingProxyType(dict(sorted(reasons.items()))),
        criterion_text=MappingProxyType(texts), eligible_not_enrolled=MappingProxyType(dict(not_enrolled)),
        enrolled=enrolled,
    )  # fmt: skip


def _allocated_arms(u: UnitOfWork) -> dict[ParticipantId, str]:
    """Randomised participant -> allocated arm id, from the sealed list and its used slots (unblinded data)."""
    sealed = u.allocation.find_list()
    if sealed is None:
        return {}
    slots = {(s.stratum, s.sequence_number): s.arm_code for s in sealed.allocation_list.all_slots()}
    return {use.participant_id: slots[(use.stratum, use.sequence_number)] for use in u.allocation.used_slots()}


RESULTS_RELEASE = Actor(UserId("results-release"), Role.UNBLINDED_STATISTICIAN)
"""Who prepares the public results: trial-wide and unblinded, used only once the database is locked."""


def released_results(uow: UnitOfWork, protocol: Protocol) -> AnalysisDataset | None:
    """The by-arm dataset behind the public results section, or None while results are not released.

    Results are released when the database of ``protocol``'s trial is locked: comparative results follow the
    lock (ICH E9 5.1; ICH E6(R3) 3.16.1(r)), and the registry expects them after primary completion (42 CFR
    11.44). Before that the public page says results are not yet posted."""
    with uow:
        trial = uow.trial.find()
    if trial is None or not trial.is_locked or trial.protocol_id != protocol.registry_id:
        return None
    return analysis_dataset(uow, RESULTS_RELEASE, protocol, by_arm=True)


@dataclass(frozen=True)
class ClinicalRecords:
    """The subject-level records the clinical-data exports (ODM, SDTM, FHIR) are built from, in the actor's
    site scope. ``phase2_arm`` and ``arm_dose_particles`` are empty unless ``unblinded`` (locked database and
    an unblinded role); nothing else here names a Phase 2 arm (a Phase 2 administration carries a kit code
    and a volume, never a dose; BLD-2)."""

    protocol_id: str
    locked: bool
    unblinded: bool
    extracted_at: datetime
    participants: tuple[Participant, ...]
    screening: tuple[ScreeningLogEntry, ...]
    crf_records: tuple[CRFRecord, ...]
    administrations: tuple[Administration, ...]
    visits: tuple[Visit, ...]
    adverse_events: tuple[AdverseEvent, ...]
    dlt_participants: frozenset[ParticipantId]
    """Participants with a confirmed dose-limiting toxicity (Phase 1, open label)."""
    phase2_arm: Mapping[ParticipantId, str]
    arm_dose_particles: Mapping[str, int]
    """Phase 2 arm id -> daily dose in particles (0 for placebo); arms whose dose is unknown are left out."""


def clinical_records(
    uow: UnitOfWork, actor: Actor, protocol: Protocol, *, unblinded: bool = False
) -> ClinicalRecords:
    """The records the actor may export: masked Phase 2 (default) or, with ``unblinded``, with each randomised
    participant's arm, which needs the database lock and an unblinded role (PermissionDeniedError otherwise,
    naming no arm)."""
    require(actor, Action.READ_PARTICIPANTS)
    with operation(uow, actor, Action.READ_SAFETY) as u:
        trial = current_trial(u)
        checked_protocol(trial, protocol)
        if unblinded and not may_see_arm_level(actor, trial.is_locked):
            raise PermissionDeniedError(
                f"role {actor.role.value} may not export treatment groups: they need the database lock and an "
                "unblinded role"
            )
        sites = visible_sites(actor)
        people = tuple(u.participants.list(site_ids=sites))
        seen = {p.participant_id for p in people}
        doses: dict[str, int] = {}
        for arm in (a for a in protocol.arms if a.phase == 2 and unblinded):
            try:
                doses[arm.id] = arm_daily_dose_particles(protocol, trial, arm.id)
            except ConflictError:  # no MTD declared: the dose is not known
                continue
        return ClinicalRecords(
            protocol.registry_id, trial.is_locked, unblinded, u.clock.now(), people,
            tuple(u.screening_log.list(site_ids=sites)),
            tuple(r for r in u.crf_records.list() if r.participant_id in seen),
            tuple(a for a in u.administrations.list() if a.participant_id in seen),
            tuple(v for v in u.visits.list() if v.participant_id in seen),
            tuple(e for e in u.adverse_events.list() if e.participant_id in seen),
            frozenset(a.participant_id for a in u.dlt_adjudications.list()
                      if a.is_confirmed and a.is_dlt and a.participant_id in seen),
            MappingProxyType({k: v for k, v in _allocated_arms(u).items() if k in seen} if unblinded else {}),
            MappingProxyType(doses),
        )  # fmt: skip
