"""Visits from the protocol's schedule of assessments: schedule them once Day 1 is known, record a visit
(out-of-window visits are flagged as deviations) or a missed one, and read a participant's timeline."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, status
from pydantic import BaseModel, ConfigDict, Field

from mexards.api.deps import ActorDep, ProtocolDep, UoWDep
from mexards.api.errors import PROBLEM_RESPONSES
from mexards.domain.identifier import ParticipantId
from mexards.services import read_model
from mexards.services import visit as visits

router = APIRouter(prefix="/api", tags=["visits"], responses=PROBLEM_RESPONSES)


class VisitRead(BaseModel):
    visit_id: str
    visit_code: str
    planned_day: int
    window_start: date | None
    window_end: date | None
    status: str
    actual_date: date | None
    out_of_window: bool


class VisitDone(BaseModel):
    model_config = ConfigDict(extra="forbid")
    actual_date: date


class VisitMissed(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=1000)


def timeline(uow: UoWDep, actor: ActorDep, participant_id: ParticipantId) -> list[VisitRead]:
    return [
        VisitRead(
            visit_id=i.visit_id,
            visit_code=i.visit_code,
            planned_day=i.planned_day,
            window_start=i.window_start,
            window_end=i.window_end,
            status=i.status,
            actual_date=i.actual_date,
            out_of_window=i.out_of_window,
        )
        for i in read_model.visit_timeline(uow, actor, participant_id)
    ]


@router.get(
    "/participants/{participant_id}/visits",
    response_model=list[VisitRead],
    summary="A participant's visit timeline with window dates",
)
def list_visits(participant_id: str, actor: ActorDep, uow: UoWDep) -> list[VisitRead]:
    return timeline(uow, actor, ParticipantId(participant_id))


@router.post(
    "/participants/{participant_id}/visits",
    response_model=list[VisitRead],
    status_code=status.HTTP_201_CREATED,
    summary="Schedule the protocol's visits (after the first dose)",
)
def schedule(participant_id: str, actor: ActorDep, uow: UoWDep, protocol: ProtocolDep) -> list[VisitRead]:
    pid = ParticipantId(participant_id)
    visits.schedule_visits(uow, actor, protocol, pid)
    return timeline(uow, actor, pid)


@router.post("/visits/{visit_id}", response_model=VisitRead, summary="Record the date a visit was done")
def record_visit(visit_id: str, body: VisitDone, actor: ActorDep, uow: UoWDep) -> VisitRead:
    done = visits.record_visit(uow, actor, visit_id, body.actual_date)
    return next(v for v in timeline(uow, actor, done.participant_id) if v.visit_id == visit_id)


@router.post("/visits/{visit_id}/missed", response_model=VisitRead, summary="Record that a visit was missed")
def record_missed(visit_id: str, body: VisitMissed, actor: ActorDep, uow: UoWDep) -> VisitRead:
    done = visits.record_missed_visit(uow, actor, visit_id, body.reason)
    return next(v for v in timeline(uow, actor, done.participant_id) if v.visit_id == visit_id)
