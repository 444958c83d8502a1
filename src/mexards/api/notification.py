"""Notifications recorded in the system for the caller's role (SAEs, emergency unblindings, stopping-rule
alerts) and the record of emergency unblindings (who, when, why; never the arm revealed)."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel

from mexards.api.deps import ActorDep, UoWDep
from mexards.api.errors import PROBLEM_RESPONSES
from mexards.services import read_model

router = APIRouter(prefix="/api", tags=["notifications"], responses=PROBLEM_RESPONSES)


class NotificationRead(BaseModel):
    notification_id: str
    kind: str
    subject: str
    message: str
    created_at: datetime
    created_by: str
    participant_id: str | None


class UnblindingRead(BaseModel):
    unblinding_id: str
    participant_id: str
    kind: str
    reason: str
    unblinded_by: str
    role: str
    unblinded_at: datetime


@router.get(
    "/notifications", response_model=list[NotificationRead], summary="Notifications for the caller's role"
)
def notifications(actor: ActorDep, uow: UoWDep) -> list[NotificationRead]:
    return [
        NotificationRead(
            notification_id=n.notification_id,
            kind=n.kind,
            subject=n.subject,
            message=n.message,
            created_at=n.created_at,
            created_by=n.created_by.value,
            participant_id=n.participant_id.value if n.participant_id else None,
        )
        for n in read_model.notifications(uow, actor)
    ]


@router.get(
    "/unblindings",
    response_model=list[UnblindingRead],
    summary="Emergency unblindings of the caller's sites (who, when, why)",
)
def unblindings(actor: ActorDep, uow: UoWDep) -> list[UnblindingRead]:
    return [
        UnblindingRead(
            unblinding_id=u.unblinding_id,
            participant_id=u.participant_id.value,
            kind=u.kind.value,
            reason=u.reason,
            unblinded_by=u.actor.user_id.value,
            role=u.actor.role.value,
            unblinded_at=u.unblinded_at,
        )
        for u in read_model.unblindings(uow, actor)
    ]
