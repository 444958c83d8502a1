"""``GET /api/health``: is the service up, is the database reachable and its schema current, and does the
sealed allocation list still match its seal (checked at start-up and on each call). No login needed; nothing
about any participant or arm is returned."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel

from mexards import __version__
from mexards.api.deps import ContainerDep

router = APIRouter(prefix="/api", tags=["health"])


class Health(BaseModel):
    status: Literal["ok", "degraded"]
    version: str
    database: Literal["ok", "unreachable"]
    schema_current: bool
    allocation_list: Literal["absent", "verified", "seal broken", "unknown"]


@router.get("/health", response_model=Health, summary="Service, database and allocation-list health")
def health(container: ContainerDep) -> Health:
    report = container.health()
    ok = (
        report.database == "ok" and report.schema_current and report.allocation_list in ("absent", "verified")
    )
    return Health(
        status="ok" if ok else "degraded",
        version=__version__,
        database=report.database,
        schema_current=report.schema_current,
        allocation_list=report.allocation_list,
    )
