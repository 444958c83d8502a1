"""Read models: what reports, the web pages and the demo read. Each is shaped by the policy.

- Blinded roles get :class:`BlindedParticipantSummary`, a class with no arm attribute at all (kit code and
  "study drug" only, ``edc-and-standards.md`` BLD-2, RND-6); unblinded roles get
  :class:`UnblindedParticipantSummary`. Allocation status per stratum is for unblinded roles only.
- Site-bound roles see only their sites' participants, also in every count (screening log, CONSORT counts).
- Phase 1 is open label: the escalation board shows dose levels, patients and DLTs per level and the design's
  recommendation with its reason to every role.
- Lists of trial records (cohorts, DLT adjudications, MTD declarations, administrations, CRF records, queries,
  unblindings, notifications) are site scoped the same way: records of participants the actor may not see
  are left out, also from counts, and another site's participant is not found. None carries a Phase 2 arm:
  a randomized participant's administrations hold a kit code and "study drug" only (BLD-2), and unblinding
  records never hold the revealed arm.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime

from mexards.domain.administration import Administration
from mexards.domain.cohort import Cohort, DLTAdjudication
from mexards.domain.dose import DoseLevel
from mexards.domain.identifier import ParticipantId, SiteId
from mexards.domain.mtd import MTDDeclaration
from mexards.domain.participant import Participant
from mexards.domain.query import Query, QueryState
from mexards.domain.reporting_clock import ReportKind
from mexards.domain.role import Actor
from mexards.domain.unblinding import Unblinding
from mexards.protocol.model import Protocol
from mexards.randomization import STUDY_DRUG
from mexards.services.allocation import unblinded_allocation
from mexards.services.escalation import dose_levels, recommendation_for
from mexards.services.operation import checked_protocol, current_trial, operation, participant_for
from mexards.services.policy import (
    Action,
    require_unblinded,
    sees_arms,
    sees_unblinded_aggregates,
    visible_sites,
)
from mexards.services.port import UnitOfWork
from mexards.services.record import CRFRecord, Notification, ScreeningLogEntry


@dataclass(frozen=True)
class BlindedParticipantSummary:
    """A participant as a blinded role sees them: no arm, no Phase 2 dose."""

    participant_id: ParticipantId
    site_id: SiteId
    state: str
    phase: int | None
    cohort_number: int | None
    dose_level: DoseLevel | None
    """Phase 1 only (open label)."""
    kit_code: str | None
    treatment: str | None
    """"study drug" for a randomized participant."""
    doses_received: int
    unblinded: bool


@dataclass(frozen=True)
class UnblindedParticipantSummary:
    """A participant with their Phase 2 arm and daily dose: unblinded roles only."""

    participant_id: ParticipantId
    site_id: SiteId
    state: str
    phase: int | None
    cohort_number: int | None
    dose_level: DoseLevel | None
    kit_code: str | None
    treatment: str | None
    doses_received: int
    unblinded: bool
    arm_code: str | None
    arm_label: str | None
    daily_dose_particles: int | None


def _phase(participant: Participant) -> int | None:
    if participant.randomization is not None:
        return 2
    return 1 if participant.cohort_number is not None else None


def _blinded(participant: Participant) -> BlindedParticipantSummary:
    kit = participant.randomization.kit_code if participant.randomization else None
    return BlindedParticipantSummary(
        participant.participant_id, participant.site_id, participant.state.value, _phase(participant),
        participant.cohort_number, participant.dose_level, kit, STUDY_DRUG if kit else None,
        len(participant.dosed_days), participant.is_unblinded,
    )  # fmt: skip


def participant_summaries(
    uow: UnitOfWork, actor: Actor, protocol: Protocol
) -> list[BlindedParticipantSummary] | list[UnblindedParticipantSummary]:
    """Every participant the actor may see, in the variant their blinding allows."""
    with operation(uow, actor, Action.READ_PARTICIPANTS) as u:
        trial = current_trial(u)
        checked_protocol(trial, protocol)
        participants = u.participants.list(site_ids=visible_sites(actor))
        blinded = [_blinded(p) for p in participants]
        if not sees_arms(actor):
            return blinded
        result: list[UnblindedParticipantSummary] = []
        for participant, summary in zip(participants, blinded, strict=True):
            slot = u.allocation.slot_of(participant.participant_id) if participant.randomization else None
            arm = unblinded_allocation(protocol, trial, participant.participant_id, slot) if slot else None
            result.append(UnblindedParticipantSummary(
                **{name: getattr(summary, name) for name in BlindedParticipantSummary.__dataclass_fields__},
                arm_code=arm.arm_code if arm else None, arm_label=arm.arm_label if arm else None,
                daily_dose_particles=arm.daily_dose_particles if arm else None,
            ))  # fmt: skip
        return result


def participant_summary(
    uow: UnitOfWork, actor: Actor, protocol: Protocol, participant_id: ParticipantId
) -> BlindedParticipantSummary | UnblindedParticipantSummary:
    """One participant (site scoped: another site's participant is not found)."""
    with operation(uow, actor, Action.READ_PARTICIPANTS) as u:
        participant_for(u, actor, participant_id)
    for summary in participant_summaries(uow, actor, protocol):
        if summary.participant_id == participant_id:
            return summary
    raise AssertionError("unreachable: the participant was found above")


@dataclass(frozen=True)
class EscalationLevel:
    dose_level: DoseLevel
    participants: int
    evaluable: int
    dlts: int
    cohorts: tuple[int, ...]


@dataclass(frozen=True)
class EscalationBoard:
    """Phase 1 at a glance: per dose level, and the design's recommendation with its reason."""

    design: str
    levels: tuple[EscalationLevel, ...]
    recommended_dose: DoseLevel | None
    should_continue: bool
    reason: str
    mtd: DoseLevel | None


def escalation_board(uow: UnitOfWork, actor: Actor, protocol: Protocol) -> EscalationBoard:
    with operation(uow, actor, Action.READ_ESCALATION) as u:
        checked_protocol(current_trial(u), protocol)
        cohorts = u.cohorts.list()
        adjudications = {a.participant_id: a for a in u.dlt_adjudications.list() if a.is_confirmed}
        rows = []
        for level in dose_levels(protocol):
            mine = [c for c in cohorts if c.dose_level == level]
            people = [p for c in mine for p in c.participant_ids]
            judged = [adjudications[p] for p in people if p in adjudications]
            rows.append(EscalationLevel(level, len(people), sum(1 for a in judged if a.evaluable),
                                        sum(1 for a in judged if a.is_dlt), tuple(c.cohort_number for c in mine)))
        rec = recommendation_for(u, protocol)
        return EscalationBoard(rec.design, tuple(rows), rec.dose_level, rec.should_continue, rec.reason, rec.mtd)


def screening_log(uow: UnitOfWork, actor: Actor) -> list[ScreeningLogEntry]:
    """The screening log of the actor's sites (every site for trial-wide roles)."""
    with operation(uow, actor, Action.READ_PARTICIPANTS) as u:
        return u.screening_log.list(site_ids=visible_sites(actor))


@dataclass(frozen=True)
class ConsortCounts:
    """Inputs of the CONSORT 2010 flow diagram (item 13a), for the sites the actor sees. ``by_arm`` (the
    randomized count per arm, an arm-level aggregate) is empty unless the actor sees unblinded aggregates."""

    assessed: int
    excluded: int
    exclusion_reasons: dict[str, int]
    incomplete_screening: int
    enrolled: int
    phase1_assigned: int
    randomized: int
    by_state: dict[str, int]
    by_arm: dict[str, int]


def consort_counts(uow: UnitOfWork, actor: Actor) -> ConsortCounts:
    with operation(uow, actor, Action.READ_PARTICIPANTS) as u:
        sites = visible_sites(actor)
        log = u.screening_log.list(site_ids=sites)
        participants = u.participants.list(site_ids=sites)
        reasons = Counter(c.criterion_id for entry in log for c in entry.failing)
        position: dict[str, int] = {}  # the protocol's order, as each log entry lists its criteria (I1.., E1..)
        for entry in log:
            for index, criterion in enumerate(entry.criteria):
                position.setdefault(criterion.criterion_id, index)
        ordered = dict(sorted(reasons.items(), key=lambda item: (position.get(item[0], len(position)), item[0])))
        enrolled = [p for p in participants if p.enrolled_at is not None]
        by_arm: Counter[str] = Counter()
        if sees_unblinded_aggregates(actor):
            for p in participants:
                slot = u.allocation.slot_of(p.participant_id) if p.randomization else None
                if slot is not None:
                    by_arm[slot.arm_code] += 1
        return ConsortCounts(
            len(log), sum(1 for e in log if e.verdict == "INELIGIBLE"), ordered,
            sum(1 for e in log if e.verdict == "INCOMPLETE"), len(enrolled),
            sum(1 for p in participants if p.cohort_number is not None),
            sum(1 for p in participants if p.randomization is not None),
            dict(sorted(Counter(p.state.value for p in participants).items())), dict(sorted(by_arm.items())),
        )  # fmt: skip


@dataclass(frozen=True)
class AdverseEventRow:
    adverse_event_id: str
    participant_id: ParticipantId
    term: str
    ctcae_grade: int
    serious: bool
    seriousness: tuple[str, ...]
    relatedness: str
    expectedness: str
    susar: bool
    onset_at: datetime
    resolved_at: datetime | None
    investigator_aware_at: datetime | None = None

    @property
    def relatedness_assessed(self) -> bool:
        return self.relatedness != "not_assessed"


def _visible_participants(uow: UnitOfWork, actor: Actor) -> dict[ParticipantId, Participant]:
    return {p.participant_id: p for p in uow.participants.list(site_ids=visible_sites(actor))}


def adverse_event_listing(uow: UnitOfWork, actor: Actor) -> list[AdverseEventRow]:
    """Every AE of the participants the actor sees, by onset."""
    with operation(uow, actor, Action.READ_SAFETY) as u:
        visible = _visible_participants(u, actor)
        rows = [
            AdverseEventRow(ae.adverse_event_id, ae.participant_id, ae.term, int(ae.ctcae_grade), ae.is_serious,
                            tuple(sorted(c.value for c in ae.seriousness)), ae.relatedness.value,
                            ae.expectedness.value, ae.is_susar, ae.onset_at, ae.resolved_at,
                            ae.investigator_aware_at)
            for ae in u.adverse_events.list() if ae.participant_id in visible
        ]
        return sorted(rows, key=lambda r: (r.onset_at, r.adverse_event_id))


@dataclass(frozen=True)
class OverdueReport:
    adverse_event_id: str
    participant_id: ParticipantId
    term: str
    report: ReportKind
    due_at: datetime
    overdue_by_hours: float


def overdue_sae_reports(uow: UnitOfWork, actor: Actor, now: datetime | None = None) -> list[OverdueReport]:
    """Every expedited report past due and not submitted, most overdue first."""
    with operation(uow, actor, Action.READ_SAFETY) as u:
        moment = now or u.clock.now()
        visible = _visible_participants(u, actor)
        rows = [
            OverdueReport(ae.adverse_event_id, ae.participant_id, ae.term, o.kind, o.due_at,
                          round((moment - o.due_at).total_seconds() / 3600, 2))
            for ae in u.adverse_events.list() if ae.participant_id in visible
            for o in ae.reporting_obligations() if o.is_overdue(moment)
        ]
        return sorted(rows, key=lambda r: r.due_at)


@dataclass(frozen=True)
class StratumStatus:
    stratum: str
    slots: int
    used: int
    remaining: int
    used_by_arm: dict[str, int]


def allocation_status(uow: UnitOfWork, actor: Actor) -> list[StratumStatus]:
    """Used and unused slots per stratum, with arm counts (unblinded roles only, RND-8)."""
    require_unblinded(actor, "the allocation status")
    with operation(uow, actor, Action.READ_ALLOCATION_STATUS) as u:
        sealed = u.allocation.find_list()
        if sealed is None:
            return []
        rows = []
        for stratum, slots in sealed.allocation_list.slots_by_stratum.items():
            used = {use.sequence_number for use in u.allocation.used_slots(stratum)}
            arms = Counter(s.arm_code for s in slots if s.sequence_number in used)
            rows.append(StratumStatus(stratum, len(slots), len(used), len(slots) - len(used), dict(arms)))
        return rows


@dataclass(frozen=True)
class TimelineItem:
    visit_id: str
    visit_code: str
    planned_day: int
    window_start: date | None
    window_end: date | None
    status: str
    actual_date: date | None
    out_of_window: bool


def visit_timeline(uow: UnitOfWork, actor: Actor, participant_id: ParticipantId) -> list[TimelineItem]:
    """A participant's visits with their window dates (once Day 1 is known) and out-of-window flags."""
    with operation(uow, actor, Action.READ_PARTICIPANTS) as u:
        participant = participant_for(u, actor, participant_id)
        first = participant.first_dose_at.date() if participant.first_dose_at else None
        items = []
        for visit in sorted(u.visits.list(participant_id), key=lambda v: v.planned_day):
            start, end = visit.window_dates(first) if first else (None, None)
            items.append(TimelineItem(visit.visit_id, visit.visit_code, visit.planned_day.value, start, end,
                                      visit.status.value, visit.actual_date, visit.is_out_of_window))
        return items


def _visible_ids(uow: UnitOfWork, actor: Actor) -> set[ParticipantId]:
    return {p.participant_id for p in uow.participants.list(site_ids=visible_sites(actor))}


def cohorts(uow: UnitOfWork, actor: Actor) -> list[Cohort]:
    """Phase 1 cohorts (open label); participants of other sites are left out of each cohort's list."""
    with operation(uow, actor, Action.READ_ESCALATION) as u:
        visible = _visible_ids(u, actor)
        found = u.cohorts.list()
        for cohort in found:
            cohort.participant_ids = [p for p in cohort.participant_ids if p in visible]
        return found


def dlt_adjudications(
    uow: UnitOfWork, actor: Actor, participant_id: ParticipantId | None = None
) -> list[DLTAdjudication]:
    """DLT proposals and adjudications of the participants the actor sees."""
    with operation(uow, actor, Action.READ_ESCALATION) as u:
        if participant_id is not None:
            participant_for(u, actor, participant_id)
        visible = _visible_ids(u, actor)
        found = u.dlt_adjudications.list(participant_id=participant_id)
        return [a for a in found if a.participant_id in visible]


def mtd_declarations(uow: UnitOfWork, actor: Actor) -> list[MTDDeclaration]:
    """MTD declarations with their signatures (a Phase 1 result: open label, trial wide)."""
    with operation(uow, actor, Action.READ_ESCALATION) as u:
        return u.mtd_declarations.list()


def administrations(uow: UnitOfWork, actor: Actor, participant_id: ParticipantId) -> list[Administration]:
    """A participant's dosing log by study day (a Phase 2 dose is a kit code and a volume, never a dose)."""
    with operation(uow, actor, Action.READ_PARTICIPANTS) as u:
        participant_for(u, actor, participant_id)
        return sorted(u.administrations.list(participant_id), key=lambda a: a.study_day.value)


def crf_records(uow: UnitOfWork, actor: Actor, participant_id: ParticipantId) -> list[CRFRecord]:
    """A participant's saved case report forms."""
    with operation(uow, actor, Action.READ_PARTICIPANTS) as u:
        participant_for(u, actor, participant_id)
        return u.crf_records.list(participant_id)


def queries(
    uow: UnitOfWork,
    actor: Actor,
    participant_id: ParticipantId | None = None,
    state: QueryState | None = None,
) -> list[Query]:
    """Data queries about the participants the actor sees (of one participant, in one state)."""
    with operation(uow, actor, Action.READ_PARTICIPANTS) as u:
        if participant_id is not None:
            participant_for(u, actor, participant_id)
        visible = _visible_ids(u, actor)
        return [q for q in u.queries.list(participant_id, state) if q.participant_id in visible]


def unblindings(
    uow: UnitOfWork, actor: Actor, participant_id: ParticipantId | None = None
) -> list[Unblinding]:
    """Who broke which participant's code, when and why (never the arm revealed)."""
    with operation(uow, actor, Action.READ_SAFETY) as u:
        if participant_id is not None:
            participant_for(u, actor, participant_id)
        visible = _visible_ids(u, actor)
        return [b for b in u.unblindings.list(participant_id) if b.participant_id in visible]


def notifications(uow: UnitOfWork, actor: Actor) -> list[Notification]:
    """Notifications addressed to the actor's role, about participants they may see (or the whole trial)."""
    with operation(uow, actor, Action.READ_PARTICIPANTS) as u:
        visible = _visible_ids(u, actor)
        return [
            n
            for n in u.notifications.list()
            if actor.role.value in n.recipient_roles
            and (n.participant_id is None or n.participant_id in visible)
        ]
