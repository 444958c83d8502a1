"""Participants: lists (site scoped, searchable, paginated) and one participant, in the shape the caller's
blinding allows, and the lifecycle steps after screening (consent, enrolment, follow-up, end of
participation).

A blinded caller gets :class:`ParticipantReadBlinded`, which has no arm or Phase 2 dose field at all; a caller
unblinded at the participant level (pharmacist, unblinded statistician) gets :class:`ParticipantRead`. DSMB
members are blinded here: they see arm-level aggregates only (``/api/reports/results-by-arm``).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from mexards.api.deps import ActorDep, PageDep, ProtocolDep, UoWDep
from mexards.api.errors import PROBLEM_RESPONSES
from mexards.api.page import Page, page_of
from mexards.domain.identifier import ParticipantId
from mexards.domain.participant import ConsentSigner, ParticipantState
from mexards.services import participant as lifecycle
from mexards.services import read_model
from mexards.services.read_model import BlindedParticipantSummary, UnblindedParticipantSummary

router = APIRouter(prefix="/api/participants", tags=["participants"], responses=PROBLEM_RESPONSES)

ParticipantPath = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")]


class DoseLevelRead(BaseModel):
    index: int
    dose_particles: int


class ParticipantReadBlinded(BaseModel):
    """A participant without any treatment assignment: a kit code and "study drug" in Phase 2."""

    participant_id: str
    site_id: str
    state: str
    phase: int | None
    cohort_number: int | None
    dose_level: DoseLevelRead | None = Field(description="Phase 1 only (open label)")
    kit_code: str | None
    treatment: str | None
    doses_received: int
    unblinded: bool


class ParticipantRead(ParticipantReadBlinded):
    """A participant with the Phase 2 arm and daily dose (unblinded roles only)."""

    arm_code: str | None
    arm_label: str | None
    daily_dose_particles: int | None


class ConsentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    signed_by: ConsentSigner
    consent_version: str = Field(min_length=1, max_length=40)
    consented_at: datetime
    representative_relationship: str | None = Field(None, min_length=1, max_length=100)


class WithdrawalCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=1000)


class DeathCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    died_on: date


def participant_read(
    summary: BlindedParticipantSummary | UnblindedParticipantSummary,
) -> ParticipantRead | ParticipantReadBlinded:
    level = summary.dose_level
    common: dict[str, Any] = {
        "participant_id": summary.participant_id.value,
        "site_id": summary.site_id.value,
        "state": summary.state,
        "phase": summary.phase,
        "cohort_number": summary.cohort_number,
        "dose_level": DoseLevelRead(index=level.index, dose_particles=level.dose_particles)
        if level
        else None,
        "kit_code": summary.kit_code,
        "treatment": summary.treatment,
        "doses_received": summary.doses_received,
        "unblinded": summary.unblinded,
    }
    if isinstance(summary, UnblindedParticipantSummary):
        return ParticipantRead(
            **common,
            arm_code=summary.arm_code,
            arm_label=summary.arm_label,
            daily_dose_particles=summary.daily_dose_particles,
        )
    return ParticipantReadBlinded(**common)


def _participant(
    uow: UoWDep, actor: ActorDep, protocol: ProtocolDep, participant_id: str
) -> ParticipantRead | ParticipantReadBlinded:
    return participant_read(
        read_model.participant_summary(uow, actor, protocol, ParticipantId(participant_id))
    )


@router.get(
    "",
    response_model=Page[ParticipantRead] | Page[ParticipantReadBlinded],
    summary="Participants of the caller's sites (search by id, filter by state, site or phase)",
)
def list_participants(
    actor: ActorDep,
    uow: UoWDep,
    protocol: ProtocolDep,
    page: PageDep,
    q: Annotated[str | None, Query(max_length=64, description="part of a participant id")] = None,
    state: ParticipantState | None = None,
    site_id: Annotated[str | None, Query(max_length=64)] = None,
    phase: Annotated[int | None, Query(ge=1, le=2)] = None,
) -> Page[ParticipantRead] | Page[ParticipantReadBlinded]:
    found = read_model.participant_summaries(uow, actor, protocol)
    needle = (q or "").strip().lower()
    chosen = [
        s
        for s in found
        if (not needle or needle in s.participant_id.value.lower())
        and (state is None or s.state == state.value)
        and (site_id is None or s.site_id.value == site_id)
        and (phase is None or s.phase == phase)
    ]
    return page_of(chosen, page, participant_read)  # type: ignore[return-value]


@router.get(
    "/{participant_id}",
    response_model=ParticipantRead | ParticipantReadBlinded,
    summary="One participant (another site's participant is not found)",
)
def get_participant(
    participant_id: str, actor: ActorDep, uow: UoWDep, protocol: ProtocolDep
) -> ParticipantRead | ParticipantReadBlinded:
    return _participant(uow, actor, protocol, participant_id)


@router.post(
    "/{participant_id}/consent",
    response_model=ParticipantRead | ParticipantReadBlinded,
    summary="Record informed consent (subject or legally authorised representative)",
)
def record_consent(
    participant_id: str, body: ConsentCreate, actor: ActorDep, uow: UoWDep, protocol: ProtocolDep
) -> ParticipantRead | ParticipantReadBlinded:
    lifecycle.record_consent(
        uow,
        actor,
        ParticipantId(participant_id),
        body.signed_by,
        body.consent_version,
        body.consented_at,
        body.representative_relationship,
    )
    return _participant(uow, actor, protocol, participant_id)


@router.post(
    "/{participant_id}/enrolment",
    response_model=ParticipantRead | ParticipantReadBlinded,
    summary="Enrol an eligible, consented participant",
)
def enrol(
    participant_id: str, actor: ActorDep, uow: UoWDep, protocol: ProtocolDep
) -> ParticipantRead | ParticipantReadBlinded:
    lifecycle.enrol_participant(uow, actor, ParticipantId(participant_id))
    return _participant(uow, actor, protocol, participant_id)


@router.post(
    "/{participant_id}/follow-up",
    response_model=ParticipantRead | ParticipantReadBlinded,
    summary="End the treatment period: start follow-up",
)
def start_follow_up(
    participant_id: str, actor: ActorDep, uow: UoWDep, protocol: ProtocolDep
) -> ParticipantRead | ParticipantReadBlinded:
    lifecycle.start_follow_up(uow, actor, ParticipantId(participant_id))
    return _participant(uow, actor, protocol, participant_id)


@router.post(
    "/{participant_id}/withdrawal",
    response_model=ParticipantRead | ParticipantReadBlinded,
    summary="Withdraw a participant (reason required)",
)
def withdraw(
    participant_id: str, body: WithdrawalCreate, actor: ActorDep, uow: UoWDep, protocol: ProtocolDep
) -> ParticipantRead | ParticipantReadBlinded:
    lifecycle.withdraw_participant(uow, actor, ParticipantId(participant_id), body.reason)
    return _participant(uow, actor, protocol, participant_id)


@router.post(
    "/{participant_id}/death",
    response_model=ParticipantRead | ParticipantReadBlinded,
    summary="Record a participant's death",
)
def record_death(
    participant_id: str, body: DeathCreate, actor: ActorDep, uow: UoWDep, protocol: ProtocolDep
) -> ParticipantRead | ParticipantReadBlinded:
    lifecycle.record_death(uow, actor, ParticipantId(participant_id), body.died_on)
    return _participant(uow, actor, protocol, participant_id)


@router.post(
    "/{participant_id}/completion",
    response_model=ParticipantRead | ParticipantReadBlinded,
    summary="The participant completed follow-up",
)
def complete(
    participant_id: str, actor: ActorDep, uow: UoWDep, protocol: ProtocolDep
) -> ParticipantRead | ParticipantReadBlinded:
    lifecycle.complete_participant(uow, actor, ParticipantId(participant_id))
    return _participant(uow, actor, protocol, participant_id)


@router.post(
    "/{participant_id}/lost-to-follow-up",
    response_model=ParticipantRead | ParticipantReadBlinded,
    summary="The participant can no longer be reached",
)
def lose_to_follow_up(
    participant_id: str, actor: ActorDep, uow: UoWDep, protocol: ProtocolDep
) -> ParticipantRead | ParticipantReadBlinded:
    lifecycle.lose_to_follow_up(uow, actor, ParticipantId(participant_id))
    return _participant(uow, actor, protocol, participant_id)
