"""Adverse events, SAE reporting clocks, and safety alerts.

- An AE records its term, CTCAE v5 grade, seriousness criteria (ICH E2A), relatedness, expectedness, onset
  and resolution, and the site's awareness time that starts the 24 h sponsor clock; SUSAR clocks are 7 days
  (fatal or life-threatening) or 15 days (:mod:`mexards.domain.reporting_clock`; ``edc-and-standards.md``
  SAE-1, SAE-2).
- Entry and causality are separate steps: site staff (coordinators included) record the event as soon as the
  site knows of it, with relatedness "not assessed"; the causality assessment is an investigator's medical
  judgement (ICH E6(R3) 2.7; ICH E2A II.A.1), made with the record (an investigator may give it at entry) or
  afterwards with :func:`assess_relatedness`. The clocks run from awareness either way; an event becomes a
  SUSAR (and gets its regulatory clock, started at awareness) once it is assessed as suspected.
- Onset, awareness, resolution and report times must not lie in the future of the unit of work's clock
  (:func:`mexards.domain.validation.not_in_future`, a few minutes of clock skew allowed).
- A serious AE is notified in the system at once to the principal investigator and the sponsor's contacts.
- Safety stopping alert (PROPOSAL, the usual halting rule of first-in-human protocols): a fatal event (grade 5)
  judged at least possibly related pauses the trial for DSMB review; it is notified to the principal
  investigator, the administrator and the DSMB. Escalation-level stopping is the design's (see escalation).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from mexards.domain.adverse_event import (
    AdverseEvent,
    CTCAEGrade,
    Expectedness,
    Relatedness,
    SeriousnessCriterion,
)
from mexards.domain.errors import ValidationError
from mexards.domain.event import DomainEvent
from mexards.domain.identifier import ParticipantId
from mexards.domain.role import Actor, Role
from mexards.domain.validation import enum_member, not_in_future, times_not_in_future
from mexards.services.event import AdverseEventRecorded, AdverseEventUpdated, NotificationRecorded
from mexards.services.operation import editable_trial, new_id, operation, participant_for, record
from mexards.services.policy import Action, require
from mexards.services.port import UnitOfWork
from mexards.services.record import Notification

SAE_RECIPIENTS = (Role.PRINCIPAL_INVESTIGATOR.value, Role.ADMINISTRATOR.value, Role.UNBLINDED_STATISTICIAN.value)
STOPPING_RECIPIENTS = (Role.PRINCIPAL_INVESTIGATOR.value, Role.ADMINISTRATOR.value, Role.DSMB_MEMBER.value)


def stopping_rule_triggered(adverse_event: AdverseEvent) -> bool:
    """The safety pause rule of the module docstring: a related fatal event."""
    return adverse_event.ctcae_grade is CTCAEGrade.DEATH and adverse_event.relatedness.is_suspected


def _notifications(
    u: UnitOfWork, actor: Actor, adverse_event: AdverseEvent, now: datetime, *, recorded: bool = True
) -> list[Notification]:
    pid = adverse_event.participant_id
    notes: list[Notification] = []
    if adverse_event.is_serious and recorded:
        criteria = ", ".join(sorted(c.value for c in adverse_event.seriousness))
        notes.append(Notification(
            new_id(u, "NTF"), "serious_adverse_event", f"SAE for participant {pid}: {adverse_event.term}",
            f"CTCAE grade {int(adverse_event.ctcae_grade)}, {criteria}; investigator aware at "
            f"{adverse_event.investigator_aware_at.isoformat()}; report to the sponsor within 24 h.",
            now, actor.user_id, SAE_RECIPIENTS, pid,
        ))  # fmt: skip
    if stopping_rule_triggered(adverse_event):
        notes.append(Notification(
            new_id(u, "NTF"), "stopping_rule", f"Safety stopping rule met (participant {pid})",
            f"A fatal event judged {adverse_event.relatedness.value}ly related: dosing pauses for DSMB review.",
            now, actor.user_id, STOPPING_RECIPIENTS, pid,
        ))  # fmt: skip
    return notes


def record_adverse_event(
    uow: UnitOfWork,
    actor: Actor,
    participant_id: ParticipantId,
    *,
    term: str,
    ctcae_grade: int,
    onset_at: datetime,
    investigator_aware_at: datetime,
    expectedness: Expectedness | str,
    relatedness: Relatedness | str | None = None,
    seriousness: Iterable[SeriousnessCriterion | str] = (),
    resolved_at: datetime | None = None,
) -> AdverseEvent:
    """Record an AE (site staff of the participant's site). Without ``relatedness`` the event is recorded
    "not assessed", for an investigator to assess; giving a relatedness is the causality assessment, so only
    an investigator may. A serious AE is notified at once; its clocks run from ``investigator_aware_at``."""
    relation = Relatedness.NOT_ASSESSED
    if relatedness is not None:
        relation = enum_member(Relatedness, "relatedness", relatedness)
    with operation(uow, actor, Action.RECORD_ADVERSE_EVENT) as u:
        participant = participant_for(u, actor, participant_id)
        require(actor, Action.RECORD_ADVERSE_EVENT, participant.site_id)
        if relation.is_assessed:
            require(actor, Action.ASSESS_RELATEDNESS, participant.site_id)
        editable_trial(u)
        now = u.clock.now()
        adverse_event = AdverseEvent(
            new_id(u, "AE"), participant_id, term, ctcae_grade, onset_at, investigator_aware_at,  # type: ignore[arg-type]
            relation, expectedness, frozenset(seriousness), resolved_at,  # type: ignore[arg-type]
        )  # fmt: skip
        times_not_in_future(
            (("onset_at", adverse_event.onset_at), ("investigator_aware_at", adverse_event.investigator_aware_at),
             ("resolved_at", adverse_event.resolved_at)),
            now,
        )  # fmt: skip
        if adverse_event.onset_at < participant.screened_at:
            raise ValidationError("onset_at", "must not be before screening", onset_at)
        u.adverse_events.add(adverse_event)
        events: list[DomainEvent] = [AdverseEventRecorded(
            participant_id=participant_id, adverse_event_id=adverse_event.adverse_event_id,
            term=adverse_event.term, ctcae_grade=int(adverse_event.ctcae_grade),
            serious=adverse_event.is_serious, occurred_at=now,
        )]  # fmt: skip
        for note in _notifications(u, actor, adverse_event, now):
            u.notifications.notify(note)
            events.append(NotificationRecorded(notification_id=note.notification_id, kind=note.kind,
                                               occurred_at=now))
        record(u, *events)
        u.commit()
    return adverse_event


def assess_relatedness(
    uow: UnitOfWork,
    actor: Actor,
    adverse_event_id: str,
    relatedness: Relatedness | str,
    *,
    expectedness: Expectedness | str | None = None,
    reason: str | None = None,
) -> AdverseEvent:
    """An investigator of the participant's site assesses the causal relationship of a recorded event (and may
    correct its expectedness). The first assessment of an event recorded "not assessed" needs no reason;
    changing an assessment does (audit trail: a reason for any change after first entry). The SAE clocks are
    unchanged; a related fatal event raises the stopping alert now."""
    relation = enum_member(Relatedness, "relatedness", relatedness)
    if not relation.is_assessed:
        raise ValidationError("relatedness", "must be an assessment (not_related to definite)", relatedness)
    expected = None if expectedness is None else enum_member(Expectedness, "expectedness", expectedness)
    with operation(uow, actor, Action.ASSESS_RELATEDNESS, reason) as u:
        adverse_event = _change(u, actor, adverse_event_id, Action.ASSESS_RELATEDNESS)
        editable_trial(u)
        if adverse_event.relatedness.is_assessed and u.reason is None:
            raise ValidationError("reason", "is required to change an assessment already recorded", reason)
        already_stopping = stopping_rule_triggered(adverse_event)
        adverse_event.relatedness = relation
        if expected is not None:
            adverse_event.expectedness = expected
        u.adverse_events.update(adverse_event)
        now = u.clock.now()
        events: list[DomainEvent] = [AdverseEventUpdated(
            participant_id=adverse_event.participant_id, adverse_event_id=adverse_event_id,
            change=f"relatedness_assessed: {relation.value}", occurred_at=now,
        )]  # fmt: skip
        if not already_stopping:
            for note in _notifications(u, actor, adverse_event, now, recorded=False):
                u.notifications.notify(note)
                events.append(NotificationRecorded(notification_id=note.notification_id, kind=note.kind,
                                                   occurred_at=now))
        record(u, *events)
        u.commit()
    return adverse_event


def _change(uow: UnitOfWork, actor: Actor, adverse_event_id: str, action: Action) -> AdverseEvent:
    adverse_event = uow.adverse_events.get(adverse_event_id)
    participant = participant_for(uow, actor, adverse_event.participant_id)
    require(actor, action, participant.site_id)
    return adverse_event


def record_sae_report(
    uow: UnitOfWork, actor: Actor, adverse_event_id: str, report: str, reported_at: datetime
) -> AdverseEvent:
    """Record that the SAE was reported: ``report`` is ``sponsor`` (24 h clock) or ``regulatory`` (SUSAR)."""
    if report not in ("sponsor", "regulatory"):
        raise ValidationError("report", "must be one of sponsor, regulatory", report)
    with operation(uow, actor, Action.REPORT_SAE) as u:
        adverse_event = _change(u, actor, adverse_event_id, Action.REPORT_SAE)
        editable_trial(u)
        if not adverse_event.is_serious:
            raise ValidationError("adverse_event_id", "is not a serious adverse event", adverse_event_id)
        now = u.clock.now()
        not_in_future("reported_at", reported_at, now)
        if report == "sponsor":
            adverse_event.record_sponsor_report(reported_at)
        else:
            adverse_event.record_regulatory_report(reported_at)
        u.adverse_events.update(adverse_event)
        record(u, AdverseEventUpdated(participant_id=adverse_event.participant_id,
                                      adverse_event_id=adverse_event_id, change=f"{report}_report",
                                      occurred_at=now))
        u.commit()
    return adverse_event


def resolve_adverse_event(
    uow: UnitOfWork, actor: Actor, adverse_event_id: str, resolved_at: datetime
) -> AdverseEvent:
    """The event resolved at ``resolved_at``."""
    with operation(uow, actor, Action.RECORD_ADVERSE_EVENT) as u:
        adverse_event = _change(u, actor, adverse_event_id, Action.RECORD_ADVERSE_EVENT)
        editable_trial(u)
        now = u.clock.now()
        not_in_future("resolved_at", resolved_at, now)
        adverse_event.resolve(resolved_at)
        u.adverse_events.update(adverse_event)
        record(u, AdverseEventUpdated(participant_id=adverse_event.participant_id,
                                      adverse_event_id=adverse_event_id, change="resolved",
                                      occurred_at=now))
        u.commit()
    return adverse_event
