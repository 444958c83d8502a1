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

The dataset's types are in :mod:`~mexards.services.results_model`, the per-participant derivations (documented
in ``docs/results.md``) in :mod:`~mexards.services.results_derivation`, the screening counts in
:mod:`~mexards.services.results_screening`, the AE coding in :mod:`~mexards.services.results_coding`, the
arm-level access rule in :mod:`~mexards.services.results_access` and the records behind the clinical-data
exports in :mod:`~mexards.services.results_records`; their public names are importable from here.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import replace
from datetime import date
from hashlib import sha256

from mexards.domain.cohort import DLTAdjudication
from mexards.domain.errors import ConflictError, PermissionDeniedError
from mexards.domain.identifier import ParticipantId, SiteId, UserId
from mexards.domain.role import Actor, Role
from mexards.domain.trial import Trial
from mexards.protocol.model import Protocol
from mexards.services.allocation import arm_daily_dose_particles
from mexards.services.event import ClosedSessionReportPrepared
from mexards.services.operation import checked_protocol, current_trial, operation, record
from mexards.services.policy import Action, is_allowed, require, sees_arms, visible_sites
from mexards.services.port import UnitOfWork
from mexards.services.record import CRFRecord
from mexards.services.results_access import allocated_arms, may_see_arm_level
from mexards.services.results_coding import NOT_CODED, SYSTEM_ORGAN_CLASS, system_organ_class
from mexards.services.results_derivation import analysis_participant, study_day
from mexards.services.results_model import (
    BIOMARKERS,
    POOLED_GROUP_ID,
    POOLED_GROUP_TITLE,
    AnalysisAdverseEvent,
    AnalysisDataset,
    AnalysisParticipant,
    CohortRecord,
    ResultGroup,
    ScreeningSummary,
)
from mexards.services.results_records import ClinicalRecords, clinical_records
from mexards.services.results_screening import screening_summary

__all__ = [
    "BIOMARKERS",
    "NOT_CODED",
    "POOLED_GROUP_ID",
    "POOLED_GROUP_TITLE",
    "RESULTS_RELEASE",
    "SYSTEM_ORGAN_CLASS",
    "AnalysisAdverseEvent",
    "AnalysisDataset",
    "AnalysisParticipant",
    "ClinicalRecords",
    "CohortRecord",
    "ResultGroup",
    "ScreeningSummary",
    "analysis_dataset",
    "clinical_records",
    "closed_session_view",
    "may_see_arm_level",
    "released_results",
    "system_organ_class",
]


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
        arm_of = allocated_arms(u) if by_arm else {}
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
            rows.append(analysis_participant(
                p, group_id, crfs[p.participant_id], days, visit_dates[p.participant_id],
                ae_dates[p.participant_id], adjudications.get(p.participant_id)))
        by_id = {r.participant_id: r for r in rows}
        aes = tuple(
            AnalysisAdverseEvent(
                ae.adverse_event_id, ae.participant_id,
                by_id[ae.participant_id].group_id if ae.participant_id in by_id else None,
                ae.term, system_organ_class(ae.term), int(ae.ctcae_grade), ae.is_serious,
                ae.relatedness.is_suspected, study_day(by_id[ae.participant_id].day_one, ae.onset_at.date())
                if ae.participant_id in by_id else None,
            )
            for ae in sorted(raw_aes, key=lambda a: (a.onset_at, a.adverse_event_id))
        )  # fmt: skip
        dataset = AnalysisDataset(
            protocol_id=protocol.registry_id, trial_status=trial.status.value, locked=trial.is_locked,
            by_arm=by_arm, mtd_dose_particles=trial.mtd_dose_particles, groups=groups,
            participants=tuple(rows),
            adverse_events=aes, cohorts=_cohorts(u, adjudications, visible),
            screening=screening_summary(u, protocol, sites, participants), extracted_at=u.clock.now(),
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
