"""``GET /api/health``: is the service up, is the database reachable and at which migration revision, and is
the sealed allocation list sound. No login needed; nothing about any participant or arm is returned.

It is cheap enough to be polled: one small query for the revision, one for the list's header. The whole list is
re-read and re-hashed at start-up and when the stored seal is one this process has not verified yet, never on
every call (the full check on demand is ``POST /api/allocation-list/verification``, behind login). An
unreachable database answers 503 (a problem document) with ``Retry-After``, so that a load balancer takes the
server out of rotation.
"""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from fastapi.responses import Response
from pydantic import BaseModel, Field

from mexards import __version__
from mexards.api.availability import unavailable_response
from mexards.api.deps import ContainerDep
from mexards.api.errors import Problem

router = APIRouter(prefix="/api", tags=["health"])


class Health(BaseModel):
    status: Literal["ok", "degraded"]
    version: str
    database: Literal["ok", "unreachable"]
    schema_current: bool = Field(description="the database is at the newest migration revision")
    revision: str | None = Field(description="the database's migration revision (null if unknown)")
    allocation_list: Literal["absent", "verified", "seal broken", "unknown"]


@router.get(
    "/health",
    response_model=Health,
    summary="Service, database and allocation-list health",
    responses={503: {"model": Problem, "description": "The database is unreachable (with Retry-After)"}},
)
def health(container: ContainerDep) -> Health | Response:
    report = container.health()
    if report.database == "unreachable":
        return unavailable_response("/api/health")
    ok = (
        report.database == "ok" and report.schema_current and report.allocation_list in ("absent", "verified")
    )
    body = Health(
        status="ok" if ok else "degraded",
        version=__version__,
        database=report.database,
        schema_current=report.schema_current,
        revision=report.revision,
        allocation_list=report.allocation_list,
    )
    return body
