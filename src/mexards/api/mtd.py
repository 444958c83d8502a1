"""The MTD declaration: the statistician declares and signs (authorship), the principal investigator approves
(approval); each signature needs the signer's password again (21 CFR 11.200(a)(1)) and shows their printed
name (their account's display name), the time and the meaning (11.50)."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, status
from pydantic import BaseModel, ConfigDict, Field

from mexards.api.deps import ClientDep, ContainerDep, PrincipalDep, ProtocolDep, UoWDep
from mexards.api.errors import PROBLEM_RESPONSES
from mexards.api.participant import DoseLevelRead
from mexards.domain.mtd import MTDDeclaration
from mexards.services import account, mtd, read_model

router = APIRouter(prefix="/api/mtd-declarations", tags=["mtd"], responses=PROBLEM_RESPONSES)


class SignatureRead(BaseModel):
    signer: str
    printed_name: str
    role: str
    meaning: str
    signed_at: datetime
    content_sha256: str


class EvidenceRead(BaseModel):
    dose_level: DoseLevelRead
    evaluable_participants: int
    dlt_participants: int


class MTDDeclarationRead(BaseModel):
    declaration_id: str
    protocol_id: str
    protocol_version: str
    mtd: DoseLevelRead | None
    design: str
    evidence: list[EvidenceRead]
    rationale: str
    declared_by: str
    declared_at: datetime
    signatures: list[SignatureRead]
    signatures_valid: bool


class DeclarationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    rationale: str = Field(min_length=1, max_length=2000)
    password: str = Field(min_length=1, max_length=1000, description="the signer's password, entered again")


class ApprovalCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    password: str = Field(min_length=1, max_length=1000, description="the signer's password, entered again")


def declaration_read(item: MTDDeclaration) -> MTDDeclarationRead:
    return MTDDeclarationRead(
        declaration_id=item.declaration_id,
        protocol_id=item.protocol_id,
        protocol_version=item.protocol_version,
        mtd=DoseLevelRead(index=item.mtd.index, dose_particles=item.mtd.dose_particles) if item.mtd else None,
        design=item.design,
        evidence=[
            EvidenceRead(
                dose_level=DoseLevelRead(
                    index=e.dose_level.index, dose_particles=e.dose_level.dose_particles
                ),
                evaluable_participants=e.evaluable_participants,
                dlt_participants=e.dlt_participants,
            )
            for e in item.evidence
        ],
        rationale=item.rationale,
        declared_by=item.declared_by.value,
        declared_at=item.declared_at,
        signatures=[
            SignatureRead(
                signer=s.signer.value,
                printed_name=s.printed_name,
                role=s.role.value,
                meaning=s.meaning.value,
                signed_at=s.signed_at,
                content_sha256=s.content_sha256,
            )
            for s in item.signatures
        ],
        signatures_valid=item.signatures_verify(),
    )


@router.get("", response_model=list[MTDDeclarationRead], summary="MTD declarations with their signatures")
def list_declarations(principal: PrincipalDep, uow: UoWDep) -> list[MTDDeclarationRead]:
    return [declaration_read(d) for d in read_model.mtd_declarations(uow, principal.actor)]


@router.post(
    "",
    response_model=MTDDeclarationRead,
    status_code=status.HTTP_201_CREATED,
    summary="Declare the design's MTD and sign it (statistician; password again)",
)
def declare(
    body: DeclarationCreate,
    principal: PrincipalDep,
    uow: UoWDep,
    protocol: ProtocolDep,
    container: ContainerDep,
    client: ClientDep,
) -> MTDDeclarationRead:
    evidence = account.reauthenticate(
        container.account_unit_of_work(),
        container.hasher,
        principal.actor,
        body.password,
        client,
        container.policy,
    )
    item = mtd.declare_mtd(
        uow,
        principal.actor,
        protocol,
        rationale=body.rationale,
        printed_name=principal.user.display_name,
        reauthentication=evidence,
    )
    return declaration_read(item)


@router.post(
    "/{declaration_id}/approval",
    response_model=MTDDeclarationRead,
    summary="Approve the declaration (principal investigator; password again); Phase 2 starts",
)
def approve(
    declaration_id: str,
    body: ApprovalCreate,
    principal: PrincipalDep,
    uow: UoWDep,
    container: ContainerDep,
    client: ClientDep,
) -> MTDDeclarationRead:
    evidence = account.reauthenticate(
        container.account_unit_of_work(),
        container.hasher,
        principal.actor,
        body.password,
        client,
        container.policy,
    )
    item = mtd.approve_mtd(
        uow,
        principal.actor,
        declaration_id,
        printed_name=principal.user.display_name,
        reauthentication=evidence,
    )
    return declaration_read(item)
