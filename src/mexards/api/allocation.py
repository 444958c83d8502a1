"""Phase 2: the sealed allocation list (generate, verify, status per stratum), randomization, the kit -> arm
view of the pharmacist, and emergency unblinding of one participant.

Blinded callers only ever get kit codes and "study drug": :class:`RandomizationRead` has no arm field; the
arm appears only in :class:`AllocationRead`, returned to unblinded roles (and to the investigator who broke
one participant's code in an emergency, for that participant only).
"""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, status
from pydantic import BaseModel, ConfigDict, Field

from mexards.api.deps import ActorDep, ClientDep, ContainerDep, PageDep, PrincipalDep, ProtocolDep, UoWDep
from mexards.api.errors import PROBLEM_RESPONSES
from mexards.api.page import Page, page_of
from mexards.api.participant import ParticipantRead
from mexards.domain.identifier import ParticipantId
from mexards.services import account, allocation, read_model, unblinding
from mexards.services.allocation import UnblindedAllocation
from mexards.services.policy import require_unblinded

router = APIRouter(prefix="/api", tags=["randomization"], responses=PROBLEM_RESPONSES)


class AllocationListCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    slots_per_stratum: int = Field(ge=1, le=10_000)
    seed: int | None = Field(None, ge=0, le=2**63 - 1, description="omit for a fresh random seed")


class AllocationListRead(BaseModel):
    """What anyone may know of the sealed list: its seal and size (never an arm, block size or seed)."""

    list_id: str
    sha256: str
    strata: list[str]
    slots: int
    generated_at: datetime


class VerificationRead(BaseModel):
    ok: bool
    sha256: str
    problems: list[str]


class StratumStatusRead(BaseModel):
    stratum: str
    slots: int
    used: int
    remaining: int
    used_by_arm: dict[str, int]


class RandomizationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    stratification: dict[str, str | None] | None = Field(
        None, description="stratification values; those not given come from the screening log"
    )


class RandomizationRead(BaseModel):
    """A randomization as everyone sees it: kit code and "study drug"."""

    participant_id: str
    stratum: str
    kit_code: str
    randomized_at: datetime
    treatment: str


class AllocationRead(BaseModel):
    """Kit -> arm and daily dose (unblinded roles; the investigator in an emergency, one participant)."""

    participant_id: str
    stratum: str
    kit_code: str
    arm_code: str
    arm_label: str
    daily_dose_particles: int


class EmergencyUnblindingCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=1000)
    password: str = Field(
        min_length=1, max_length=1000, description="the investigator's password, entered again"
    )


def allocation_read(item: UnblindedAllocation) -> AllocationRead:
    return AllocationRead(
        participant_id=item.participant_id.value,
        stratum=item.stratum,
        kit_code=item.kit_code,
        arm_code=item.arm_code,
        arm_label=item.arm_label,
        daily_dose_particles=item.daily_dose_particles,
    )


@router.post(
    "/allocation-list",
    response_model=AllocationListRead,
    status_code=status.HTTP_201_CREATED,
    summary="Generate the sealed, stratified allocation list (unblinded statistician or administrator)",
)
def generate_list(
    body: AllocationListCreate, actor: ActorDep, uow: UoWDep, protocol: ProtocolDep
) -> AllocationListRead:
    summary = allocation.generate_allocation_list(uow, actor, protocol, body.slots_per_stratum, body.seed)
    return AllocationListRead(
        list_id=summary.list_id,
        sha256=summary.sha256,
        strata=list(summary.strata),
        slots=summary.slots,
        generated_at=summary.generated_at,
    )


@router.post(
    "/allocation-list/verification",
    response_model=VerificationRead,
    summary="Check the stored list against its seal",
)
def verify_list(actor: ActorDep, uow: UoWDep) -> VerificationRead:
    result = allocation.verify_allocation_list(uow, actor)
    return VerificationRead(ok=result.ok, sha256=result.sha256, problems=list(result.problems))


@router.get(
    "/allocation-list/status",
    response_model=list[StratumStatusRead],
    summary="Used and unused slots per stratum with arm counts (unblinded roles only)",
)
def list_status(actor: ActorDep, uow: UoWDep) -> list[StratumStatusRead]:
    return [
        StratumStatusRead(
            stratum=s.stratum, slots=s.slots, used=s.used, remaining=s.remaining, used_by_arm=s.used_by_arm
        )
        for s in read_model.allocation_status(uow, actor)
    ]


@router.post(
    "/participants/{participant_id}/randomization",
    response_model=RandomizationRead,
    status_code=status.HTTP_201_CREATED,
    summary="Randomize an enrolled participant to the next slot of their stratum",
)
def randomize(
    participant_id: str, body: RandomizationCreate, actor: ActorDep, uow: UoWDep
) -> RandomizationRead:
    done = allocation.randomize_participant(uow, actor, ParticipantId(participant_id), body.stratification)
    return RandomizationRead(
        participant_id=done.participant_id.value,
        stratum=done.stratum,
        kit_code=done.kit_code,
        randomized_at=done.randomized_at,
        treatment=done.treatment,
    )


@router.get(
    "/participants/{participant_id}/allocation",
    response_model=AllocationRead,
    summary="Kit -> arm and daily dose of one participant (pharmacist and unblinded roles)",
)
def reveal(participant_id: str, actor: ActorDep, uow: UoWDep, protocol: ProtocolDep) -> AllocationRead:
    return allocation_read(allocation.reveal_allocation(uow, actor, protocol, ParticipantId(participant_id)))


@router.get(
    "/kits",
    response_model=Page[ParticipantRead],
    summary="The pharmacist's kit view: randomized participants with kit, arm and daily dose",
)
def kits(actor: ActorDep, uow: UoWDep, protocol: ProtocolDep, page: PageDep) -> Page[ParticipantRead]:
    require_unblinded(actor, "kit allocations")
    from mexards.api.participant import participant_read

    found = [s for s in read_model.participant_summaries(uow, actor, protocol) if s.kit_code]
    return page_of(found, page, participant_read)  # type: ignore[arg-type]


@router.post(
    "/participants/{participant_id}/emergency-unblinding",
    response_model=AllocationRead,
    status_code=status.HTTP_201_CREATED,
    summary="Break one participant's code in a medical emergency (investigator; reason; password)",
)
def emergency_unblind(
    participant_id: str,
    body: EmergencyUnblindingCreate,
    principal: PrincipalDep,
    uow: UoWDep,
    protocol: ProtocolDep,
    container: ContainerDep,
    client: ClientDep,
) -> AllocationRead:
    evidence = account.reauthenticate(
        container.account_unit_of_work(),
        container.hasher,
        principal.actor,
        body.password,
        client,
        container.policy,
    )
    item = unblinding.emergency_unblind(
        uow, principal.actor, protocol, ParticipantId(participant_id), body.reason, evidence
    )
    return allocation_read(item)
