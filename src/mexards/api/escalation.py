"""Phase 1 (open label): the escalation board with the design's recommendation and reason, cohorts (open at
the recommended dose or override with a reason, assign, close, review) and DLT proposal and adjudication."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, status
from pydantic import BaseModel, ConfigDict, Field

from mexards.api.deps import ActorDep, ProtocolDep, UoWDep
from mexards.api.errors import PROBLEM_RESPONSES
from mexards.api.participant import DoseLevelRead
from mexards.domain.cohort import Cohort, DLTAdjudication
from mexards.domain.dose import DoseLevel
from mexards.domain.identifier import ParticipantId
from mexards.protocol.model import Protocol
from mexards.services import escalation, read_model

router = APIRouter(prefix="/api", tags=["escalation"], responses=PROBLEM_RESPONSES)


class EscalationLevelRead(BaseModel):
    dose_level: DoseLevelRead
    participants: int
    evaluable: int
    dlts: int
    cohorts: list[int]


class DecisionTableRead(BaseModel):
    """The design's decision table before any data: BOIN boundaries per cohort, the 3+3 rules, or for a
    model-based design the decisions over the next two cohorts."""

    columns: list[str]
    rows: list[list[str]]


class EscalationBoardRead(BaseModel):
    design: str
    decision_table: DecisionTableRead
    levels: list[EscalationLevelRead]
    recommended_dose: DoseLevelRead | None
    should_continue: bool
    reason: str = Field(description="the design's decision in words and numbers")
    mtd: DoseLevelRead | None


class CohortRead(BaseModel):
    cohort_number: int
    dose_level: DoseLevelRead
    state: str
    opened_at: datetime
    closed_at: datetime | None
    dlt_window_ends_at: datetime | None
    reviewed_at: datetime | None
    participant_ids: list[str]
    evaluable_participants: int | None
    dlt_participants: int | None


class CohortCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    dose_level_index: int | None = Field(
        None, ge=0, le=100, description="omit for the design's recommendation"
    )
    override_reason: str | None = Field(None, min_length=1, max_length=1000)


class CohortAssignment(BaseModel):
    model_config = ConfigDict(extra="forbid")
    participant_id: str = Field(min_length=1, max_length=64)


class DLTProposalCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    events: list[dict[str, Any]] = Field(
        default_factory=list,
        max_length=100,
        description="structured facts of each adverse event in the DLT window; with adverse_event_ids, one "
        "entry per id (the facts a record does not hold); omit both to judge every recorded adverse event",
    )
    adverse_event_ids: list[str] = Field(
        default_factory=list,
        max_length=100,
        description="recorded adverse events to judge from their records (relatedness only once assessed)",
    )


class DLTAdjudicationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    is_dlt: bool
    evaluable: bool
    override_reason: str | None = Field(None, min_length=1, max_length=1000)


class DLTAdjudicationRead(BaseModel):
    adjudication_id: str
    participant_id: str
    cohort_number: int
    proposed_is_dlt: bool
    rule: str
    proposed_at: datetime
    is_dlt: bool | None
    evaluable: bool | None
    confirmed_by: str | None
    confirmed_at: datetime | None
    override_reason: str | None


def level_read(level: DoseLevel | None) -> DoseLevelRead | None:
    return None if level is None else DoseLevelRead(index=level.index, dose_particles=level.dose_particles)


def design_table(protocol: Protocol) -> DecisionTableRead:
    """The protocol design's decision table (:func:`mexards.dosefinding.table.decision_table`), as text."""
    from mexards.dosefinding.table import BOINTable, decision_table  # scipy on first use, not at start-up

    phase1 = escalation.phase1_of(protocol)
    cohorts = max(1, phase1.max_sample_size // phase1.cohort_size)
    table = decision_table(escalation.phase1_design(protocol), cohorts, phase1.cohort_size)
    if isinstance(table, BOINTable):
        columns = ["patients", "escalate if DLTs <=", "de-escalate if DLTs >=", "eliminate if DLTs >="]
        rows = [
            [
                str(r.n),
                str(r.escalate_max),
                str(r.deescalate_min),
                "" if r.eliminate_min is None else str(r.eliminate_min),
            ]
            for r in table.per_cohort
        ]
        return DecisionTableRead(columns=columns, rows=rows)
    if isinstance(table, tuple):
        return DecisionTableRead(
            columns=["patients at the dose", "DLTs", "decision"],
            rows=[[str(r.patients), str(r.dlts), r.action] for r in table],
        )
    return DecisionTableRead(
        columns=["outcomes so far", "next dose", "continue"],
        rows=[
            [
                node.outcomes or "(start)",
                "" if node.recommended_dose is None else str(node.recommended_dose),
                "yes" if node.should_continue else "no",
            ]
            for node in table.walk()
        ],
    )


def board_read(board: read_model.EscalationBoard, protocol: Protocol) -> EscalationBoardRead:
    return EscalationBoardRead(
        design=board.design,
        decision_table=design_table(protocol),
        levels=[
            EscalationLevelRead(
                dose_level=DoseLevelRead(
                    index=x.dose_level.index, dose_particles=x.dose_level.dose_particles
                ),
                participants=x.participants,
                evaluable=x.evaluable,
                dlts=x.dlts,
                cohorts=list(x.cohorts),
            )
            for x in board.levels
        ],
        recommended_dose=level_read(board.recommended_dose),
        should_continue=board.should_continue,
        reason=board.reason,
        mtd=level_read(board.mtd),
    )


def cohort_read(cohort: Cohort) -> CohortRead:
    return CohortRead(
        cohort_number=cohort.cohort_number,
        dose_level=DoseLevelRead(
            index=cohort.dose_level.index, dose_particles=cohort.dose_level.dose_particles
        ),
        state=cohort.state.value,
        opened_at=cohort.opened_at,
        closed_at=cohort.closed_at,
        dlt_window_ends_at=cohort.dlt_window_ends_at,
        reviewed_at=cohort.reviewed_at,
        participant_ids=[p.value for p in cohort.participant_ids],
        evaluable_participants=cohort.evaluable_participants,
        dlt_participants=cohort.dlt_participants,
    )


def adjudication_read(item: DLTAdjudication) -> DLTAdjudicationRead:
    return DLTAdjudicationRead(
        adjudication_id=item.adjudication_id,
        participant_id=item.participant_id.value,
        cohort_number=item.cohort_number,
        proposed_is_dlt=item.proposed_is_dlt,
        rule=item.rule,
        proposed_at=item.proposed_at,
        is_dlt=item.is_dlt,
        evaluable=item.evaluable,
        confirmed_by=item.confirmed_by.value if item.confirmed_by else None,
        confirmed_at=item.confirmed_at,
        override_reason=item.override_reason,
    )


def _cohort(uow: UoWDep, actor: ActorDep, number: int) -> CohortRead:
    for cohort in read_model.cohorts(uow, actor):
        if cohort.cohort_number == number:
            return cohort_read(cohort)
    raise AssertionError("the cohort was just written")


@router.get(
    "/escalation",
    response_model=EscalationBoardRead,
    summary="Dose levels, patients and DLTs per level, and the design's recommendation with its reason",
)
def board(actor: ActorDep, uow: UoWDep, protocol: ProtocolDep) -> EscalationBoardRead:
    return board_read(read_model.escalation_board(uow, actor, protocol), protocol)


@router.get("/cohorts", response_model=list[CohortRead], summary="Phase 1 cohorts")
def list_cohorts(actor: ActorDep, uow: UoWDep) -> list[CohortRead]:
    return [cohort_read(c) for c in read_model.cohorts(uow, actor)]


@router.post(
    "/cohorts",
    response_model=CohortRead,
    status_code=status.HTTP_201_CREATED,
    summary="Open the next cohort at the recommended dose (another dose needs a reason)",
)
def open_cohort(body: CohortCreate, actor: ActorDep, uow: UoWDep, protocol: ProtocolDep) -> CohortRead:
    cohort = escalation.open_cohort(uow, actor, protocol, body.dose_level_index, body.override_reason)
    return _cohort(uow, actor, cohort.cohort_number)


@router.post(
    "/cohorts/{cohort_number}/participants",
    response_model=CohortRead,
    summary="Assign an enrolled participant to an open cohort",
)
def assign(
    cohort_number: int, body: CohortAssignment, actor: ActorDep, uow: UoWDep, protocol: ProtocolDep
) -> CohortRead:
    escalation.assign_to_cohort(uow, actor, protocol, ParticipantId(body.participant_id), cohort_number)
    return _cohort(uow, actor, cohort_number)


@router.post(
    "/cohorts/{cohort_number}/closure",
    response_model=CohortRead,
    summary="Close a cohort to new participants (its DLT window is computed)",
)
def close(cohort_number: int, actor: ActorDep, uow: UoWDep, protocol: ProtocolDep) -> CohortRead:
    escalation.close_cohort(uow, actor, protocol, cohort_number)
    return _cohort(uow, actor, cohort_number)


@router.post(
    "/cohorts/{cohort_number}/review",
    response_model=CohortRead,
    summary="Review a closed cohort after its DLT window, once every DLT is adjudicated",
)
def review(cohort_number: int, actor: ActorDep, uow: UoWDep) -> CohortRead:
    escalation.review_cohort(uow, actor, cohort_number)
    return _cohort(uow, actor, cohort_number)


@router.get(
    "/dlt-adjudications",
    response_model=list[DLTAdjudicationRead],
    summary="DLT proposals and adjudications of the caller's sites",
)
def list_adjudications(actor: ActorDep, uow: UoWDep) -> list[DLTAdjudicationRead]:
    return [adjudication_read(a) for a in read_model.dlt_adjudications(uow, actor)]


@router.post(
    "/participants/{participant_id}/dlt-proposal",
    response_model=DLTAdjudicationRead,
    status_code=status.HTTP_201_CREATED,
    summary="Apply the protocol's DLT rule to the participant's events in the window",
)
def propose(
    participant_id: str, body: DLTProposalCreate, actor: ActorDep, uow: UoWDep, protocol: ProtocolDep
) -> DLTAdjudicationRead:
    item = escalation.propose_participant_dlt(
        uow, actor, protocol, ParticipantId(participant_id), body.events, body.adverse_event_ids
    )
    return adjudication_read(item)


@router.post(
    "/dlt-adjudications/{adjudication_id}",
    response_model=DLTAdjudicationRead,
    summary="An investigator confirms the proposal, or overrides it with a reason",
)
def adjudicate(
    adjudication_id: str, body: DLTAdjudicationCreate, actor: ActorDep, uow: UoWDep
) -> DLTAdjudicationRead:
    item = escalation.adjudicate_dlt(
        uow,
        actor,
        adjudication_id,
        is_dlt=body.is_dlt,
        evaluable=body.evaluable,
        override_reason=body.override_reason,
    )
    return adjudication_read(item)
