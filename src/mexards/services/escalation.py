"""Phase 1 dose escalation: cohorts at the design's recommended dose, DLT proposal and adjudication, cohort
review and the design's recommendation for the next cohort.

- The design is the protocol's (``phase1.design``) built with :func:`mexards.dosefinding.build_design` and
  capped at the protocol's maximum sample size (``StopAtN``); its ``fit`` on the reviewed cohorts gives the
  recommendation and its reason (brockk/escalation vocabulary).
- Only DLT-evaluable participants with a confirmed adjudication count as outcomes; cohorts count once they
  have been reviewed (``edc-and-standards.md`` RND-9, SYS-2: no escalation before the DLT review).
- A participant's DLT window runs from the first nebulisation for ``phase1.dlt_window_days`` study days
  (Day 1 to Day N: it ends N-1 days after the first dose), and never before 24 h after the last dose
  (``clinical.md`` 3.9). A cohort's window ends when the last of its dosed participants' windows ends.
- The next cohort cannot open before the previous cohort's window has ended unless the protocol says
  ``next_cohort_before_window_closes``; a dose other than the recommendation needs a reason, and every
  cohort's dose decision is recorded.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from mexards.clinical.dlt import DLTFacts, DLTRule, propose_dlt
from mexards.domain.adverse_event import AdverseEvent, CTCAEGrade, SeriousnessCriterion
from mexards.domain.cohort import Cohort, CohortState, DLTAdjudication, dlt_window_end
from mexards.domain.dose import DoseLevel
from mexards.domain.errors import ConflictError, ValidationError
from mexards.domain.identifier import ParticipantId
from mexards.domain.participant import Participant
from mexards.domain.role import Actor
from mexards.domain.trial import TrialPhase
from mexards.domain.validation import required_text
from mexards.dosefinding import Cohort as Outcome
from mexards.dosefinding import Decision, Design
from mexards.protocol.model import Phase1, Protocol
from mexards.services.event import DoseDecisionRecorded
from mexards.services.operation import (
    checked_protocol,
    current_trial,
    editable_trial,
    new_id,
    operation,
    participant_for,
    record,
)
from mexards.services.policy import Action, require
from mexards.services.port import UnitOfWork
from mexards.services.record import DoseDecision

_DESIGN_NAMES = {"3+3": "3+3", "BOIN": "boin", "CRM": "crm"}


def phase1_of(protocol: Protocol) -> Phase1:
    if protocol.phase1 is None:
        raise ValidationError("protocol.phase1", "this protocol has no dose-escalation phase")
    return protocol.phase1


def dose_levels(protocol: Protocol) -> tuple[DoseLevel, ...]:
    """The protocol's dose levels as domain dose levels (index 1 = lowest)."""
    return tuple(DoseLevel(i, level.dose_particles) for i, level in enumerate(protocol.dose_levels, start=1))


def _number(value: object) -> float:
    return float(value) if isinstance(value, Decimal | int | float) else float(str(value))


def phase1_design(protocol: Protocol) -> Design:
    """The protocol's dose-finding design, stopped at the protocol's maximum sample size.

    The designs (and scipy behind them) are imported here, on first use, not when the services load."""
    from mexards.dosefinding.catalog import DesignOptions, build_design

    phase1 = phase1_of(protocol)
    spec = phase1.design
    parameters = spec.parameters
    skeleton = parameters.get("skeleton")
    options = DesignOptions(
        design=_DESIGN_NAMES.get(spec.name, spec.name),
        target=None if spec.target is None else float(spec.target),
        num_doses=len(protocol.dose_levels),
        skeleton=tuple(_number(p) for p in skeleton) if isinstance(skeleton, tuple) else None,
        start_dose=start_level_index(protocol),
        p_saf=_number(parameters["phi1"]) if "phi1" in parameters else None,
        p_tox=_number(parameters["phi2"]) if "phi2" in parameters else None,
        max_n=phase1.max_sample_size,
    )
    return build_design(options)


def start_level_index(protocol: Protocol) -> int:
    phase1 = phase1_of(protocol)
    return next(i for i, level in enumerate(protocol.dose_levels, start=1) if level.id == phase1.start_level)


@dataclass(frozen=True)
class DoseRecommendation:
    """The design's answer for the next cohort (Phase 1 is open label, so every role may see it)."""

    design: str
    dose_level: DoseLevel | None
    should_continue: bool
    reason: str
    mtd: DoseLevel | None
    outcomes: tuple[Outcome, ...]
    decision: Decision | None


def cohort_outcomes(cohorts: Sequence[Cohort], adjudications: Sequence[DLTAdjudication]) -> tuple[Outcome, ...]:
    """Dose-finding outcomes of the reviewed cohorts: one per cohort, evaluable participants only."""
    by_participant = {a.participant_id: a for a in adjudications if a.is_confirmed}
    outcomes: list[Outcome] = []
    for cohort in sorted(cohorts, key=lambda c: c.cohort_number):
        if cohort.state is not CohortState.REVIEWED:
            continue
        tox = tuple(
            bool(by_participant[p].is_dlt)
            for p in cohort.participant_ids
            if p in by_participant and by_participant[p].evaluable
        )
        if tox:
            outcomes.append(Outcome(cohort.dose_level.index, tox))
    return tuple(outcomes)


def recommendation_for(uow: UnitOfWork, protocol: Protocol) -> DoseRecommendation:
    levels = dose_levels(protocol)
    design = phase1_design(protocol)
    outcomes = cohort_outcomes(uow.cohorts.list(), uow.dlt_adjudications.list())
    if not outcomes:
        start = levels[start_level_index(protocol) - 1]
        reason = "no cohort has been reviewed yet: the protocol's start level"
        return DoseRecommendation(design.name, start, True, reason, None, outcomes, None)
    decision = design.fit(list(outcomes))
    dose = None if decision.recommended_dose is None else levels[decision.recommended_dose - 1]
    mtd = None if decision.mtd is None else levels[decision.mtd - 1]
    return DoseRecommendation(design.name, dose, decision.should_continue, decision.reason, mtd, outcomes, decision)


def recommend_next_dose(uow: UnitOfWork, actor: Actor, protocol: Protocol) -> DoseRecommendation:
    """The protocol design's recommendation from the reviewed cohorts, with its reason (read only)."""
    with operation(uow, actor, Action.READ_ESCALATION) as u:
        checked_protocol(current_trial(u), protocol)
        return recommendation_for(u, protocol)


def participant_window_end(participant: Participant, last_dose_at: datetime | None, window_days: int) -> datetime:
    """End of one participant's DLT window (see the module docstring)."""
    if participant.first_dose_at is None or last_dose_at is None:
        raise ValidationError("first_dose_at", "the participant has not been dosed", participant.participant_id)
    by_days = participant.first_dose_at + timedelta(days=max(window_days - 1, 0))
    return max(by_days, dlt_window_end(last_dose_at))


def _window_end(uow: UnitOfWork, cohort: Cohort, window_days: int) -> datetime | None:
    ends: list[datetime] = []
    for participant_id in cohort.participant_ids:
        participant = uow.participants.get(participant_id)
        given = [a.started_at for a in uow.administrations.list(participant_id) if a.started_at is not None]
        if given:
            ends.append(participant_window_end(participant, max(given), window_days))
    return max(ends) if ends else None


def open_cohort(
    uow: UnitOfWork,
    actor: Actor,
    protocol: Protocol,
    dose_level_index: int | None = None,
    override_reason: str | None = None,
) -> Cohort:
    """Open the next cohort at the design's recommended dose (or another dose, with ``override_reason``)."""
    phase1 = phase1_of(protocol)
    with operation(uow, actor, Action.MANAGE_COHORT, override_reason) as u:
        trial = editable_trial(u)
        checked_protocol(trial, protocol)
        if trial.phase is not TrialPhase.PHASE1:
            raise ConflictError("the trial is no longer in Phase 1")
        now = u.clock.now()
        cohorts = u.cohorts.list()
        window_note = None
        if cohorts:
            previous = cohorts[-1]
            if previous.state is CohortState.OPEN:
                raise ConflictError(f"cohort {previous.cohort_number} is still open")
            assert previous.dlt_window_ends_at is not None
            window_open = now < previous.dlt_window_ends_at or previous.state is not CohortState.REVIEWED
            if window_open and not phase1.next_cohort_before_window_closes:
                raise ConflictError(
                    f"cohort {previous.cohort_number}: the DLT window closes at "
                    f"{previous.dlt_window_ends_at.isoformat()} and the cohort must be reviewed first"
                )
            if window_open:
                window_note = "the protocol allows the next cohort before the DLT window closes"
        recommendation = recommendation_for(u, protocol)
        if not recommendation.should_continue:
            raise ConflictError(f"the design has stopped: {recommendation.reason}")
        levels = dose_levels(protocol)
        recommended = recommendation.dose_level
        if dose_level_index is None:
            if recommended is None:
                raise ConflictError(f"the design recommends no dose: {recommendation.reason}")
            chosen = recommended
        else:
            if isinstance(dose_level_index, bool) or dose_level_index not in range(1, len(levels) + 1):
                raise ValidationError("dose_level_index", f"must be a dose level from 1 to {len(levels)}",
                                      dose_level_index)
            chosen = levels[dose_level_index - 1]
        reason = None
        if chosen != recommended:
            reason = required_text("override_reason", override_reason, 1000)
        number = len(cohorts) + 1
        cohort, opened = Cohort.open(number, chosen, now, capacity=phase1.cohort_size)
        decision = DoseDecision(
            number, chosen.index, None if recommended is None else recommended.index, recommendation.design,
            recommendation.reason, actor.user_id, now, reason, window_note,
        )  # fmt: skip
        u.cohorts.add(cohort)
        u.dose_decisions.add(decision)
        record(u, opened, DoseDecisionRecorded(
            cohort_number=number, dose_level_index=chosen.index,
            recommended_dose_index=decision.recommended_dose_index,
            overrides_recommendation=decision.overrides_recommendation, occurred_at=now,
        ))  # fmt: skip
        u.commit()
    return cohort


def assign_to_cohort(
    uow: UnitOfWork, actor: Actor, protocol: Protocol, participant_id: ParticipantId, cohort_number: int
) -> Participant:
    """Assign an enrolled participant to the open cohort (open label, at the cohort's dose). The caller's role
    and the participant's site are checked before the trial's state (403/404 before 409)."""
    phase1 = phase1_of(protocol)
    with operation(uow, actor, Action.MANAGE_COHORT) as u:
        participant = participant_for(u, actor, participant_id)
        require(actor, Action.MANAGE_COHORT, participant.site_id)
        trial = editable_trial(u)
        checked_protocol(trial, protocol)
        if trial.phase is not TrialPhase.PHASE1:
            raise ConflictError("the trial is no longer in Phase 1")
        cohort = u.cohorts.get(cohort_number)
        treated = sum(len(c.participant_ids) for c in u.cohorts.list())
        if treated >= phase1.max_sample_size:
            raise ConflictError(f"the Phase 1 maximum sample size ({phase1.max_sample_size}) is reached")
        event = participant.assign_to_cohort(cohort.cohort_number, cohort.dose_level, u.clock.now())
        cohort.add_participant(participant.participant_id)
        u.participants.update(participant)
        u.cohorts.update(cohort)
        record(u, event)
        u.commit()
    return participant


def close_cohort(uow: UnitOfWork, actor: Actor, protocol: Protocol, cohort_number: int) -> Cohort:
    """No more participants in the cohort; its DLT window end is computed from the doses given."""
    phase1 = phase1_of(protocol)
    with operation(uow, actor, Action.MANAGE_COHORT) as u:
        checked_protocol(editable_trial(u), protocol)
        cohort = u.cohorts.get(cohort_number)
        now = u.clock.now()
        window_end = _window_end(u, cohort, phase1.dlt_window_days) or now
        event = cohort.close(now, max(window_end, cohort.opened_at))
        u.cohorts.update(cohort)
        record(u, event)
        u.commit()
    return cohort


def dlt_rule(protocol: Protocol) -> DLTRule:
    """The clinical DLT rule with the protocol's parameters (``phase1.dlt_rule``, ``dlt_window_days``)."""
    phase1 = phase1_of(protocol)
    rule = phase1.dlt_rule
    return DLTRule(
        window_last_day=phase1.dlt_window_days,
        inhalation_window_hours=Decimal(rule.post_dose_hours),
        death_window_hours=Decimal(rule.death_within_hours),
        nonhaematological_grade=rule.nonhematologic_min_grade,
        haematological_grade=rule.hematologic_min_grade,
    )


def recorded_dlt_facts(
    adverse_event: AdverseEvent, first_dose_at: datetime | None, dose_times: Sequence[datetime]
) -> dict[str, object]:
    """The DLT facts a recorded adverse event gives (``mexards.clinical.dlt.DLTFacts``): onset study day
    (Day 1 = the date of the first nebulisation, the day before Day 0), hours from the latest dose before
    onset, CTCAE grade, seriousness, death, and relatedness only once an investigator has assessed it
    (``None`` otherwise, so that the rule proposes a DLT pending the causality assessment, ``clinical.md``
    3.9)."""
    onset = adverse_event.onset_at
    day = 0 if first_dose_at is None else (onset.date() - first_dose_at.date()).days + 1
    before = [t for t in dose_times if t <= onset]
    facts: dict[str, object] = {
        "study_day": day,
        "relatedness": adverse_event.relatedness.value if adverse_event.relatedness.is_assessed else None,
        "ctcae_grade": int(adverse_event.ctcae_grade),
        "serious": adverse_event.is_serious,
        "death": adverse_event.ctcae_grade is CTCAEGrade.DEATH
        or SeriousnessCriterion.DEATH in adverse_event.seriousness,
    }
    if before:
        hours = Decimal((onset - max(before)).total_seconds()) / Decimal(3600)
        facts["hours_after_dose"] = hours.quantize(Decimal("0.01"))
    return facts


def _facts(
    uow: UnitOfWork,
    participant: Participant,
    events: Sequence[Mapping[str, object] | DLTFacts],
    adverse_event_ids: Sequence[str],
) -> tuple[list[DLTFacts], tuple[str, ...]]:
    """The facts to judge: free-standing ``events`` as given; recorded events (``adverse_event_ids``, or every
    event of the participant when neither is given) from their records, merged over the paired entry of
    ``events`` when both lists are given (same length, same order)."""
    if isinstance(adverse_event_ids, str):
        raise ValidationError("adverse_event_ids", "must be a list of adverse event ids", adverse_event_ids)
    if adverse_event_ids and events and len(events) != len(adverse_event_ids):
        raise ValidationError(
            "events", "must give one entry per adverse event id, in the same order", len(events)
        )
    if not adverse_event_ids and events:
        return [e if isinstance(e, DLTFacts) else DLTFacts.from_mapping(e) for e in events], ()
    pid = participant.participant_id
    if adverse_event_ids:
        recorded = []
        for i, ae_id in enumerate(adverse_event_ids):
            found = next((ae for ae in uow.adverse_events.list(pid) if ae.adverse_event_id == ae_id), None)
            if found is None:
                raise ValidationError(
                    f"adverse_event_ids[{i}]", f"is not an adverse event of participant {pid}", ae_id
                )
            recorded.append(found)
    else:
        recorded = uow.adverse_events.list(pid)
    doses = [a.started_at for a in uow.administrations.list(pid) if a.started_at is not None]
    facts: list[DLTFacts] = []
    for i, adverse_event in enumerate(recorded):
        item = events[i] if events else {}
        given = dict(item) if not isinstance(item, DLTFacts) else {
            name: getattr(item, name) for name in DLTFacts.__dataclass_fields__
        }
        derived = recorded_dlt_facts(adverse_event, participant.first_dose_at, doses)
        merged = {**derived, **given, **{k: derived[k] for k in ("relatedness", "ctcae_grade", "serious")}}
        merged["death"] = bool(given.get("death")) or bool(derived["death"])
        for name in ("study_day", "hours_after_dose"):
            if given.get(name) is None and name in derived:
                merged[name] = derived[name]
        facts.append(DLTFacts.from_mapping(merged))
    return facts, tuple(ae.adverse_event_id for ae in recorded)


def propose_participant_dlt(
    uow: UnitOfWork,
    actor: Actor,
    protocol: Protocol,
    participant_id: ParticipantId,
    events: Sequence[Mapping[str, object] | DLTFacts] = (),
    adverse_event_ids: Sequence[str] = (),
) -> DLTAdjudication:
    """Apply the protocol's DLT rule to each of the participant's events in the window; the proposal is
    'DLT' if any event is proposed as one (no event: no DLT). An investigator confirms it afterwards.

    Recorded adverse events (named in ``adverse_event_ids``, or all of the participant's when no fact is
    given) are judged from their records: grade, seriousness and relatedness are the recorded ones, so an
    event whose relatedness is not yet assessed is proposed pending that assessment; paired ``events`` add
    the facts a record does not hold (oxygenation, vasopressors, ...). Free-standing ``events`` (without ids)
    are judged as given."""
    rule = dlt_rule(protocol)
    with operation(uow, actor, Action.PROPOSE_DLT) as u:
        participant = participant_for(u, actor, participant_id)
        checked_protocol(editable_trial(u), protocol)
        if participant.cohort_number is None:
            raise ConflictError(f"participant {participant_id} is not in a Phase 1 cohort")
        if u.dlt_adjudications.list(participant_id=participant_id):
            raise ConflictError(f"participant {participant_id} already has a DLT adjudication")
        facts, recorded_ids = _facts(u, participant, events, adverse_event_ids)
        proposals = [propose_dlt(item, rule) for item in facts]
        proposed = any(p.proposed for p in proposals)
        lines = [f"{p.rule_version}: " + "; ".join((*p.clauses, *p.reasons)) for p in proposals]
        text = " | ".join(lines) if lines else "no adverse event recorded in the DLT window"
        adjudication, event = DLTAdjudication.propose(
            new_id(u, "DLT"), participant_id, participant.cohort_number, proposed, text[:500], u.clock.now(),
            recorded_ids or tuple(adverse_event_ids),
        )  # fmt: skip
        u.dlt_adjudications.add(adjudication)
        record(u, event)
        u.commit()
    return adjudication


def adjudicate_dlt(
    uow: UnitOfWork,
    actor: Actor,
    adjudication_id: str,
    *,
    is_dlt: bool,
    evaluable: bool,
    override_reason: str | None = None,
) -> DLTAdjudication:
    """An investigator confirms the rule's proposal, or overrides it with a reason."""
    with operation(uow, actor, Action.ADJUDICATE_DLT, override_reason) as u:
        editable_trial(u)
        adjudication = u.dlt_adjudications.get(adjudication_id)
        participant = participant_for(u, actor, adjudication.participant_id)
        require(actor, Action.ADJUDICATE_DLT, participant.site_id)
        event = adjudication.confirm(
            actor, is_dlt=is_dlt, evaluable=evaluable, confirmed_at=u.clock.now(), override_reason=override_reason
        )
        u.dlt_adjudications.update(adjudication)
        record(u, event)
        u.commit()
    return adjudication


def review_cohort(uow: UnitOfWork, actor: Actor, cohort_number: int) -> Cohort:
    """Review a closed cohort once its DLT window has ended and every adjudication is confirmed."""
    with operation(uow, actor, Action.MANAGE_COHORT) as u:
        editable_trial(u)
        cohort = u.cohorts.get(cohort_number)
        event = cohort.review(u.dlt_adjudications.list(cohort_number=cohort_number), u.clock.now())
        u.cohorts.update(cohort)
        record(u, event)
        u.commit()
    return cohort
