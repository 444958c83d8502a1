"""Visits from the protocol's schedule of assessments, with windows; out-of-window visits are flagged.

The schedule is the protocol's (``schedule.visits``: study day and days allowed before/after; ``clinical.md``
4: ±0 for D1-D7, ±1 for D14, ±2 for D28, ±3 for D60), anchored at the date of the first dose (Day 1). Visits
before Day 1 (screening) are recorded by screening itself, so only visits on Day 1 or later are scheduled.
A visit done outside its window is recorded and flagged as a protocol deviation (clinicedc
``edc_visit_schedule`` windows; ``edc-and-standards.md`` 1.2, events row).
"""

from __future__ import annotations

from datetime import date

from mexards.domain.errors import ConflictError
from mexards.domain.identifier import ParticipantId
from mexards.domain.role import Actor
from mexards.domain.study_day import StudyDay
from mexards.domain.visit import Visit, VisitWindow
from mexards.protocol.model import Protocol
from mexards.services.event import VisitScheduled
from mexards.services.operation import (
    checked_protocol,
    editable_trial,
    new_id,
    operation,
    participant_for,
    record,
)
from mexards.services.policy import Action, require
from mexards.services.port import UnitOfWork


def schedule_visits(
    uow: UnitOfWork, actor: Actor, protocol: Protocol, participant_id: ParticipantId
) -> list[Visit]:
    """Create the participant's planned visits from the protocol schedule (once)."""
    if protocol.schedule is None:
        return []
    with operation(uow, actor, Action.RECORD_VISIT) as u:
        checked_protocol(editable_trial(u), protocol)
        participant = participant_for(u, actor, participant_id)
        require(actor, Action.RECORD_VISIT, participant.site_id)
        if u.visits.list(participant_id):
            raise ConflictError(f"visits of participant {participant_id} are already scheduled")
        now = u.clock.now()
        visits: list[Visit] = []
        for planned in protocol.schedule.visits:
            if planned.day < 1:
                continue
            visit = Visit(
                new_id(u, "VIS"), participant_id, planned.id, StudyDay(planned.day),
                VisitWindow(planned.window_before_days, planned.window_after_days),
            )  # fmt: skip
            u.visits.add(visit)
            record(u, VisitScheduled(participant_id=participant_id, visit_id=visit.visit_id,
                                     visit_code=visit.visit_code, planned_day=planned.day, occurred_at=now))
            visits.append(visit)
        u.commit()
    return visits


def _visit(uow: UnitOfWork, actor: Actor, visit_id: str) -> tuple[Visit, date]:
    visit = uow.visits.get(visit_id)
    participant = participant_for(uow, actor, visit.participant_id)
    require(actor, Action.RECORD_VISIT, participant.site_id)
    if participant.first_dose_at is None:
        raise ConflictError(f"participant {participant.participant_id} has no first dose, so no Day 1 yet")
    return visit, participant.first_dose_at.date()


def record_visit(uow: UnitOfWork, actor: Actor, visit_id: str, actual_date: date) -> Visit:
    """The visit took place on ``actual_date``; outside the window it is kept and flagged."""
    with operation(uow, actor, Action.RECORD_VISIT) as u:
        editable_trial(u)
        visit, first_dose_on = _visit(u, actor, visit_id)
        event = visit.record_done(actual_date, first_dose_on, u.clock.now())
        u.visits.update(visit)
        record(u, event)
        u.commit()
    return visit


def record_missed_visit(uow: UnitOfWork, actor: Actor, visit_id: str, reason: str) -> Visit:
    """The visit did not take place (reason required)."""
    with operation(uow, actor, Action.RECORD_VISIT, reason) as u:
        editable_trial(u)
        visit, _ = _visit(u, actor, visit_id)
        event = visit.record_missed(reason, u.clock.now())
        u.visits.update(visit)
        record(u, event)
        u.commit()
    return visit
