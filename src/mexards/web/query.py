"""Data queries: the list of the user's sites with the whole conversation, and the actions their role allows
(monitors open, close and re-open; site staff answer)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from mexards.api.deps import ContainerDep
from mexards.domain.identifier import ParticipantId
from mexards.domain.query import ANSWERING_ROLES, RAISING_ROLES, QueryState
from mexards.services import query as queries
from mexards.services import read_model
from mexards.web.form import form_fields
from mexards.web.render import redirect, render
from mexards.web.session import CheckedActor, WebActor

router = APIRouter(include_in_schema=False)


@router.get("/queries")
def query_list(
    request: Request,
    actor: WebActor,
    container: ContainerDep,
    state: Annotated[str, Query(max_length=20)] = "",
) -> Response:
    chosen = QueryState(state) if state in {s.value for s in QueryState} else None
    found = read_model.queries(container.unit_of_work(), actor, None, chosen)
    return render(
        request,
        "queries.html",
        {
            "nav": "queries",
            "queries": found,
            "state": state,
            "states": [s.value for s in QueryState],
            "can_raise": actor.role in RAISING_ROLES,
            "can_answer": actor.role in ANSWERING_ROLES,
        },
    )


@router.post("/queries")
async def open_query(request: Request, actor: CheckedActor, container: ContainerDep) -> Response:
    fields = await form_fields(request)
    queries.open_query(
        container.unit_of_work(),
        actor,
        ParticipantId(fields.get("participant_id", "")),
        fields.get("field_path", ""),
        fields.get("text", ""),
    )
    return redirect("/queries", request)


@router.post("/queries/{query_id}/{step}")
async def query_step(
    query_id: str, step: str, request: Request, actor: CheckedActor, container: ContainerDep
) -> Response:
    fields = await form_fields(request)
    uow = container.unit_of_work()
    if step == "answer":
        queries.answer_query(uow, actor, query_id, fields.get("text", ""))
    elif step == "close":
        queries.close_query(uow, actor, query_id, fields.get("text"))
    elif step == "reopen":
        queries.reopen_query(uow, actor, query_id, fields.get("text", ""))
    else:
        from mexards.domain.errors import ValidationError

        raise ValidationError("step", "must be answer, close or reopen", step)
    return redirect(f"/queries#{query_id}", request)
