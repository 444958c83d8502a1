"""The trial: start it under its protocol, change its recruitment status, lock and unlock the database."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, status
from pydantic import BaseModel, ConfigDict, Field

from mexards.api.deps import ActorDep, UoWDep
from mexards.api.errors import PROBLEM_RESPONSES
from mexards.domain.trial import Trial, TrialAction
from mexards.protocol.catalog import builtin_protocol
from mexards.services import trial as trial_service
from mexards.services.operation import current_trial, operation
from mexards.services.policy import Action

router = APIRouter(prefix="/api/trial", tags=["trial"], responses=PROBLEM_RESPONSES)


class TrialRead(BaseModel):
    """The trial record (no dose: the Phase 1 doses are on the escalation board)."""

    protocol_id: str
    protocol_version: str
    phase: str
    status: str
    locked: bool
    status_changed_at: datetime | None
    locked_at: datetime | None


class TrialCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    protocol_id: str = Field(
        min_length=1, max_length=100, description="a built-in protocol, e.g. NCT04602104"
    )
    protocol_version: str = Field(min_length=1, max_length=40)


class TrialStatusChange(BaseModel):
    model_config = ConfigDict(extra="forbid")
    action: TrialAction


class UnlockRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=1000)


def trial_read(trial: Trial) -> TrialRead:
    return TrialRead(
        protocol_id=trial.protocol_id,
        protocol_version=trial.protocol_version,
        phase=trial.phase.value,
        status=trial.status.value,
        locked=trial.is_locked,
        status_changed_at=trial.status_changed_at,
        locked_at=trial.locked_at,
    )


@router.get("", response_model=TrialRead, summary="The trial of this database")
def get_trial(actor: ActorDep, uow: UoWDep) -> TrialRead:
    with operation(uow, actor, Action.READ_PARTICIPANTS) as u:
        return trial_read(current_trial(u))


@router.post(
    "",
    response_model=TrialRead,
    status_code=status.HTTP_201_CREATED,
    summary="Start the trial under a built-in protocol (administrator)",
)
def start_trial(body: TrialCreate, actor: ActorDep, uow: UoWDep) -> TrialRead:
    return trial_read(
        trial_service.start_trial(uow, actor, builtin_protocol(body.protocol_id), body.protocol_version)
    )


@router.post(
    "/status", response_model=TrialRead, summary="Open, suspend or close recruitment (administrator)"
)
def change_status(body: TrialStatusChange, actor: ActorDep, uow: UoWDep) -> TrialRead:
    return trial_read(trial_service.change_trial_status(uow, actor, body.action))


@router.post("/lock", response_model=TrialRead, summary="Lock the database (administrator)")
def lock(actor: ActorDep, uow: UoWDep) -> TrialRead:
    return trial_read(trial_service.lock_database(uow, actor))


@router.post("/unlock", response_model=TrialRead, summary="Unlock the database with a reason (administrator)")
def unlock(body: UnlockRequest, actor: ActorDep, uow: UoWDep) -> TrialRead:
    return trial_read(trial_service.unlock_database(uow, actor, body.reason))
