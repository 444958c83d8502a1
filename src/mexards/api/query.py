"""Data queries: monitors open, close and re-open; site staff answer (their sites only)."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, status
from pydantic import BaseModel, ConfigDict, Field

from mexards.api.deps import ActorDep, PageDep, UoWDep
from mexards.api.errors import PROBLEM_RESPONSES
from mexards.api.page import Page, page_of
from mexards.domain.identifier import ParticipantId
from mexards.domain.query import Query, QueryState
from mexards.services import query as queries
from mexards.services import read_model

router = APIRouter(prefix="/api/queries", tags=["queries"], responses=PROBLEM_RESPONSES)


class QueryMessageRead(BaseModel):
    action: str
    author: str
    role: str
    text: str
    at: datetime


class QueryRead(BaseModel):
    query_id: str
    participant_id: str
    site_id: str
    field_path: str
    text: str
    raised_by: str
    raised_at: datetime
    state: str
    messages: list[QueryMessageRead]


class QueryCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    participant_id: str = Field(min_length=1, max_length=64)
    field_path: str = Field(min_length=1, max_length=200, description="e.g. blood_gas.d1.pao2_mmhg")
    text: str = Field(min_length=1, max_length=2000)


class QueryAnswer(BaseModel):
    model_config = ConfigDict(extra="forbid")
    answer: str = Field(min_length=1, max_length=2000)


class QueryClose(BaseModel):
    model_config = ConfigDict(extra="forbid")
    comment: str | None = Field(None, min_length=1, max_length=2000)


class QueryReopen(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=1000)


def query_read(item: Query) -> QueryRead:
    return QueryRead(
        query_id=item.query_id,
        participant_id=item.participant_id.value,
        site_id=item.site_id.value,
        field_path=item.field_path,
        text=item.text,
        raised_by=item.raised_by.value,
        raised_at=item.raised_at,
        state=item.state.value,
        messages=[
            QueryMessageRead(action=m.action, author=m.author.value, role=m.role.value, text=m.text, at=m.at)
            for m in item.messages
        ],
    )


@router.get("", response_model=Page[QueryRead], summary="Queries of the caller's sites")
def list_queries(
    actor: ActorDep,
    uow: UoWDep,
    page: PageDep,
    state: QueryState | None = None,
    participant_id: str | None = None,
) -> Page[QueryRead]:
    pid = ParticipantId(participant_id) if participant_id else None
    return page_of(read_model.queries(uow, actor, pid, state), page, query_read)


@router.post("", response_model=QueryRead, status_code=status.HTTP_201_CREATED, summary="Open a query")
def open_query(body: QueryCreate, actor: ActorDep, uow: UoWDep) -> QueryRead:
    return query_read(
        queries.open_query(uow, actor, ParticipantId(body.participant_id), body.field_path, body.text)
    )


@router.post("/{query_id}/answer", response_model=QueryRead, summary="Answer a query (site staff)")
def answer(query_id: str, body: QueryAnswer, actor: ActorDep, uow: UoWDep) -> QueryRead:
    return query_read(queries.answer_query(uow, actor, query_id, body.answer))


@router.post("/{query_id}/closure", response_model=QueryRead, summary="Close a query (monitor)")
def close(query_id: str, body: QueryClose, actor: ActorDep, uow: UoWDep) -> QueryRead:
    return query_read(queries.close_query(uow, actor, query_id, body.comment))


@router.post(
    "/{query_id}/reopening", response_model=QueryRead, summary="Re-open a query with a reason (monitor)"
)
def reopen(query_id: str, body: QueryReopen, actor: ActorDep, uow: UoWDep) -> QueryRead:
    return query_read(queries.reopen_query(uow, actor, query_id, body.reason))
