"""Safety: adverse events (CTCAE grade, seriousness, relatedness, expectedness, onset, awareness, resolution),
the investigator's relatedness assessment, SAE reports against their clocks (24 h sponsor, 7/15 days SUSAR)
and the overdue list.

Site staff (coordinators included) record an event; without ``relatedness`` it is recorded ``not_assessed``
and an investigator assesses it with ``POST /api/adverse-events/{id}/relatedness`` (only investigators may
give a relatedness, at entry or later). The clocks run from the awareness time either way."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, status
from pydantic import BaseModel, ConfigDict, Field

from mexards.api.deps import ActorDep, PageDep, UoWDep
from mexards.api.errors import PROBLEM_RESPONSES
from mexards.api.page import Page, page_of
from mexards.domain.adverse_event import AdverseEvent, Expectedness, Relatedness, SeriousnessCriterion
from mexards.domain.identifier import ParticipantId
from mexards.services import read_model, safety

router = APIRouter(prefix="/api", tags=["safety"], responses=PROBLEM_RESPONSES)


class AdverseEventCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    term: str = Field(min_length=1, max_length=200)
    ctcae_grade: int = Field(ge=1, le=5)
    onset_at: datetime
    investigator_aware_at: datetime
    relatedness: Relatedness | None = Field(
        None,
        description="investigators only; omit (or not_assessed) to leave the assessment to an investigator",
    )
    expectedness: Expectedness
    seriousness: list[SeriousnessCriterion] = Field(default_factory=list, max_length=6)
    resolved_at: datetime | None = None


class AdverseEventRead(BaseModel):
    adverse_event_id: str
    participant_id: str
    term: str
    ctcae_grade: int
    serious: bool
    seriousness: list[str]
    relatedness: str
    expectedness: str
    susar: bool
    onset_at: datetime
    resolved_at: datetime | None
    relatedness_assessed: bool


class RelatednessAssessmentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    relatedness: Relatedness
    expectedness: Expectedness | None = None
    reason: str | None = Field(
        None, min_length=1, max_length=1000, description="required to change an assessment already recorded"
    )


class SAEReportCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    report: str = Field(pattern="^(sponsor|regulatory)$")
    reported_at: datetime


class ResolutionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    resolved_at: datetime


class OverdueReportRead(BaseModel):
    adverse_event_id: str
    participant_id: str
    term: str
    report: str
    due_at: datetime
    overdue_by_hours: float


def event_read(item: AdverseEvent | read_model.AdverseEventRow) -> AdverseEventRead:
    if isinstance(item, read_model.AdverseEventRow):
        return AdverseEventRead(
            adverse_event_id=item.adverse_event_id,
            participant_id=item.participant_id.value,
            term=item.term,
            ctcae_grade=item.ctcae_grade,
            serious=item.serious,
            seriousness=list(item.seriousness),
            relatedness=item.relatedness,
            expectedness=item.expectedness,
            susar=item.susar,
            onset_at=item.onset_at,
            resolved_at=item.resolved_at,
            relatedness_assessed=item.relatedness_assessed,
        )
    return AdverseEventRead(
        adverse_event_id=item.adverse_event_id,
        participant_id=item.participant_id.value,
        term=item.term,
        ctcae_grade=int(item.ctcae_grade),
        serious=item.is_serious,
        seriousness=sorted(c.value for c in item.seriousness),
        relatedness=item.relatedness.value,
        expectedness=item.expectedness.value,
        susar=item.is_susar,
        onset_at=item.onset_at,
        resolved_at=item.resolved_at,
        relatedness_assessed=item.relatedness.is_assessed,
    )


@router.get(
    "/adverse-events",
    response_model=Page[AdverseEventRead],
    summary="Adverse events of the caller's sites, by onset",
)
def list_events(
    actor: ActorDep, uow: UoWDep, page: PageDep, participant_id: str | None = None
) -> Page[AdverseEventRead]:
    rows = [
        r
        for r in read_model.adverse_event_listing(uow, actor)
        if participant_id is None or r.participant_id.value == participant_id
    ]
    return page_of(rows, page, event_read)


@router.post(
    "/participants/{participant_id}/adverse-events",
    response_model=AdverseEventRead,
    status_code=status.HTTP_201_CREATED,
    summary="Record an adverse event (site staff; SAE clocks start; relatedness is an investigator's)",
)
def record_event(
    participant_id: str, body: AdverseEventCreate, actor: ActorDep, uow: UoWDep
) -> AdverseEventRead:
    item = safety.record_adverse_event(
        uow,
        actor,
        ParticipantId(participant_id),
        term=body.term,
        ctcae_grade=body.ctcae_grade,
        onset_at=body.onset_at,
        investigator_aware_at=body.investigator_aware_at,
        relatedness=body.relatedness,
        expectedness=body.expectedness,
        seriousness=body.seriousness,
        resolved_at=body.resolved_at,
    )
    return event_read(item)


@router.post(
    "/adverse-events/{adverse_event_id}/relatedness",
    response_model=AdverseEventRead,
    summary="An investigator assesses the relatedness of a recorded adverse event (a change needs a reason)",
)
def assess_relatedness(
    adverse_event_id: str, body: RelatednessAssessmentCreate, actor: ActorDep, uow: UoWDep
) -> AdverseEventRead:
    item = safety.assess_relatedness(
        uow,
        actor,
        adverse_event_id,
        body.relatedness,
        expectedness=body.expectedness,
        reason=body.reason,
    )
    return event_read(item)


@router.post(
    "/adverse-events/{adverse_event_id}/reports",
    response_model=AdverseEventRead,
    summary="Record that an SAE was reported to the sponsor or the regulator",
)
def record_report(
    adverse_event_id: str, body: SAEReportCreate, actor: ActorDep, uow: UoWDep
) -> AdverseEventRead:
    return event_read(safety.record_sae_report(uow, actor, adverse_event_id, body.report, body.reported_at))


@router.post(
    "/adverse-events/{adverse_event_id}/resolution",
    response_model=AdverseEventRead,
    summary="Record that an adverse event resolved",
)
def resolve(adverse_event_id: str, body: ResolutionCreate, actor: ActorDep, uow: UoWDep) -> AdverseEventRead:
    return event_read(safety.resolve_adverse_event(uow, actor, adverse_event_id, body.resolved_at))


@router.get(
    "/sae-reports/overdue",
    response_model=list[OverdueReportRead],
    summary="Expedited reports past due and not submitted, most overdue first",
)
def overdue(actor: ActorDep, uow: UoWDep) -> list[OverdueReportRead]:
    return [
        OverdueReportRead(
            adverse_event_id=r.adverse_event_id,
            participant_id=r.participant_id.value,
            term=r.term,
            report=r.report.value,
            due_at=r.due_at,
            overdue_by_hours=r.overdue_by_hours,
        )
        for r in read_model.overdue_sae_reports(uow, actor)
    ]
