"""The audit log viewer: filters (entity, participant, user, action), newest first, paginated; blinded fields
masked and entries scoped to the user's sites (:mod:`mexards.api.audit`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from mexards.api.audit import audit_entries
from mexards.api.deps import ContainerDep
from mexards.web.render import render
from mexards.web.session import WebActor

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 100
Filter = Annotated[str, Query(max_length=200)]


@router.get("/audit")
def audit_page(
    request: Request,
    actor: WebActor,
    container: ContainerDep,
    entity: Filter = "",
    participant_id: Filter = "",
    actor_id: Filter = "",
    action: Filter = "",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    protocol = container.protocol()
    entries = audit_entries(container, container.unit_of_work(), actor, lambda: protocol, unblinded=False)
    entities = sorted({e.entity for e in entries})
    chosen = [
        e
        for e in entries
        if (not entity or e.entity == entity)
        and (not participant_id or e.participant_id == participant_id)
        and (not actor_id or e.actor_id == actor_id)
        and (not action or e.action == action)
    ]
    window = chosen[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    return render(
        request,
        "audit.html",
        {
            "nav": "audit",
            "entries": window,
            "total": len(chosen),
            "page": page,
            "pages": max(1, -(-len(chosen) // PAGE_SIZE)),
            "entities": entities,
            "filters": {
                "entity": entity,
                "participant_id": participant_id,
                "actor_id": actor_id,
                "action": action,
            },
        },
    )
