"""Screening: screen a patient against the protocol's criteria (kept in the screening log, eligible or not),
preview the eligibility of a record without recording anything, and read the site-scoped screening log."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, status
from pydantic import BaseModel, ConfigDict, Field

from mexards.api.deps import ActorDep, PageDep, ProtocolDep, UoWDep
from mexards.api.errors import PROBLEM_RESPONSES
from mexards.api.page import Page, page_of
from mexards.clinical.eligibility import Screener
from mexards.domain.identifier import ParticipantId, SiteId
from mexards.services import participant as lifecycle
from mexards.services import read_model
from mexards.services.policy import Action, require
from mexards.services.record import ScreeningLogEntry

router = APIRouter(prefix="/api", tags=["screening"], responses=PROBLEM_RESPONSES)


class CriterionRead(BaseModel):
    criterion_id: str
    kind: str
    status: str
    reason: str
    fails: bool


class ScreeningRead(BaseModel):
    participant_id: str
    site_id: str
    screened_at: datetime
    screened_by: str
    verdict: str = Field(description="ELIGIBLE, INELIGIBLE or INCOMPLETE")
    criteria: list[CriterionRead]
    reasons: list[str] = Field(description="every failing criterion with its reason")
    warnings: list[str]


class ScreeningCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    participant_id: str = Field(min_length=1, max_length=64)
    site_id: str = Field(min_length=1, max_length=64)
    record: dict[str, Any] = Field(
        description="the patient record: fields as in `mexards protocol show`, nested"
        " or dotted; screening_at is required"
    )


class PreviewCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    record: dict[str, Any]


class PreviewRead(BaseModel):
    verdict: str
    criteria: list[CriterionRead]
    warnings: list[str]


def screening_read(entry: ScreeningLogEntry) -> ScreeningRead:
    return ScreeningRead(
        participant_id=entry.participant_id.value,
        site_id=entry.site_id.value,
        screened_at=entry.screened_at,
        screened_by=entry.screened_by.value,
        verdict=entry.verdict,
        criteria=[
            CriterionRead(
                criterion_id=c.criterion_id, kind=c.kind, status=c.status, reason=c.reason, fails=c.fails
            )
            for c in entry.criteria
        ],
        reasons=list(entry.reasons),
        warnings=list(entry.warnings),
    )


@router.post(
    "/screenings",
    response_model=ScreeningRead,
    status_code=status.HTTP_201_CREATED,
    summary="Screen a patient (eligible, ineligible with reasons, or incomplete)",
)
def screen(body: ScreeningCreate, actor: ActorDep, uow: UoWDep, protocol: ProtocolDep) -> ScreeningRead:
    entry = lifecycle.screen_patient(
        uow, actor, protocol, ParticipantId(body.participant_id), SiteId(body.site_id), body.record
    )
    return screening_read(entry)


@router.post(
    "/screenings/preview",
    response_model=PreviewRead,
    summary="Eligibility of a record, criterion by criterion, without recording anything",
)
def preview(body: PreviewCreate, actor: ActorDep, protocol: ProtocolDep) -> PreviewRead:
    require(actor, Action.SCREEN)
    result = Screener(protocol).screen({**body.record, "patient_id": "preview"})
    return PreviewRead(
        verdict=result.verdict.value,
        criteria=[
            CriterionRead(
                criterion_id=c.id, kind=c.kind, status=c.status.value, reason=c.reason, fails=c.fails
            )
            for c in result.criteria
        ],
        warnings=list(result.warnings),
    )


@router.get(
    "/screening-log",
    response_model=Page[ScreeningRead],
    summary="The screening log of the caller's sites (CONSORT: assessed and excluded with reasons)",
)
def screening_log(
    actor: ActorDep,
    uow: UoWDep,
    page: PageDep,
    verdict: Annotated[str | None, Query(pattern="^(ELIGIBLE|INELIGIBLE|INCOMPLETE)$")] = None,
) -> Page[ScreeningRead]:
    entries = [e for e in read_model.screening_log(uow, actor) if verdict is None or e.verdict == verdict]
    return page_of(entries, page, screening_read)
