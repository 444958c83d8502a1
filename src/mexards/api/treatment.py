"""The dosing log: one administration per study day of Days 1-7 (given, interrupted or missed). Phase 1 doses
are open label (particles); Phase 2 doses are recorded and shown as "study drug" with the kit code only."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from fastapi import APIRouter, status
from pydantic import BaseModel, ConfigDict, Field, field_validator

from mexards.api.deps import ActorDep, UoWDep
from mexards.api.errors import PROBLEM_RESPONSES
from mexards.domain.administration import Administration, AdministrationStatus, Tolerance
from mexards.domain.errors import ValidationError
from mexards.domain.identifier import ParticipantId
from mexards.domain.validation import decimal_text
from mexards.services import read_model, treatment

router = APIRouter(prefix="/api/participants", tags=["administrations"], responses=PROBLEM_RESPONSES)


class AdministrationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    study_day: int = Field(ge=1, le=7)
    status: AdministrationStatus = AdministrationStatus.GIVEN
    started_at: datetime | None = None
    ended_at: datetime | None = None
    volume_ml: Decimal | None = Field(None, gt=0, le=100, max_digits=8, decimal_places=3)
    device: str | None = Field(None, min_length=1, max_length=200)
    spo2_pre_percent: int | None = Field(None, ge=0, le=100)
    spo2_post_percent: int | None = Field(None, ge=0, le=100)
    tolerance: Tolerance | None = None
    reason: str | None = Field(
        None, min_length=1, max_length=1000, description="why a dose was missed or stopped"
    )
    deviation: str | None = Field(None, min_length=1, max_length=1000)

    @field_validator("volume_ml", mode="before")
    @classmethod
    def _plain_decimal(cls, value: object) -> object:
        """A volume given as text must be a plain decimal in the digits 0-9 (not full-width or other scripts)."""
        if isinstance(value, str):
            try:
                return decimal_text("volume_ml", value)
            except ValidationError as error:
                raise ValueError(error.rule) from None
        return value


class AdministrationRead(BaseModel):
    """A dose as recorded: ``dose_particles`` only for open-label Phase 1 doses, else ``product`` is
    "study drug" with the kit code."""

    administration_id: str
    participant_id: str
    study_day: int
    status: str
    product: str
    dose_particles: int | None
    kit_code: str | None
    started_at: datetime | None
    ended_at: datetime | None
    volume_ml: str | None
    device: str | None
    spo2_pre_percent: int | None
    spo2_post_percent: int | None
    tolerance: str | None
    reason: str | None
    deviation: str | None


def administration_read(item: Administration) -> AdministrationRead:
    return AdministrationRead(
        administration_id=item.administration_id,
        participant_id=item.participant_id.value,
        study_day=item.study_day.value,
        status=item.status.value,
        product=item.product_label,
        dose_particles=item.dose_particles,
        kit_code=item.kit_code,
        started_at=item.started_at,
        ended_at=item.ended_at,
        volume_ml=None if item.volume_ml is None else format(item.volume_ml, "f"),
        device=item.device,
        spo2_pre_percent=item.spo2_pre_percent,
        spo2_post_percent=item.spo2_post_percent,
        tolerance=item.tolerance.value if item.tolerance else None,
        reason=item.reason,
        deviation=item.deviation,
    )


@router.get(
    "/{participant_id}/administrations",
    response_model=list[AdministrationRead],
    summary="A participant's dosing log",
)
def list_administrations(participant_id: str, actor: ActorDep, uow: UoWDep) -> list[AdministrationRead]:
    found = read_model.administrations(uow, actor, ParticipantId(participant_id))
    return [administration_read(a) for a in found]


@router.post(
    "/{participant_id}/administrations",
    response_model=AdministrationRead,
    status_code=status.HTTP_201_CREATED,
    summary="Record a dose given, interrupted or missed",
)
def administer(
    participant_id: str, body: AdministrationCreate, actor: ActorDep, uow: UoWDep
) -> AdministrationRead:
    item = treatment.administer_dose(
        uow,
        actor,
        ParticipantId(participant_id),
        body.study_day,
        status=body.status,
        started_at=body.started_at,
        ended_at=body.ended_at,
        volume_ml=body.volume_ml,
        device=body.device,
        spo2_pre_percent=body.spo2_pre_percent,
        spo2_post_percent=body.spo2_post_percent,
        tolerance=body.tolerance,
        reason=body.reason,
        deviation=body.deviation,
    )
    return administration_read(item)
