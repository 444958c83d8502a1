"""The escalation board: dose levels with patients and DLTs per level, the design's decision table and its
recommendation with the reason, cohorts (open, close, review), DLT adjudication and the signed MTD
declaration (statistician, then principal investigator; each signs with their password)."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import Response

from mexards.api.deps import ContainerDep, client_address
from mexards.api.escalation import design_table
from mexards.domain.errors import ValidationError
from mexards.domain.identifier import ParticipantId
from mexards.services import account, escalation, mtd, read_model
from mexards.services.policy import Action, is_allowed
from mexards.web.form import form_fields
from mexards.web.render import redirect, render
from mexards.web.session import CheckedActor, WebActor, WebPrincipal, csrf_checked

router = APIRouter(include_in_schema=False)


def _number(fields: dict[str, str], name: str) -> int:
    text = fields.get(name, "")
    if not text.isdigit():
        raise ValidationError(name, "must be a whole number", text)
    return int(text)


@router.get("/escalation")
def board(request: Request, actor: WebActor, container: ContainerDep) -> Response:
    protocol = container.protocol()
    board = read_model.escalation_board(container.unit_of_work(), actor, protocol)
    cohorts = read_model.cohorts(container.unit_of_work(), actor)
    adjudications = read_model.dlt_adjudications(container.unit_of_work(), actor)
    pending = [a for a in adjudications if a.confirmed_at is None]
    declarations = read_model.mtd_declarations(container.unit_of_work(), actor)
    return render(
        request,
        "escalation.html",
        {
            "nav": "escalation",
            "board": board,
            "table": design_table(protocol),
            "cohorts": cohorts,
            "pending": pending,
            "declarations": declarations,
            "protocol": protocol,
            "can": {a.value: is_allowed(actor, a) for a in Action},
        },
    )


@router.post("/escalation/cohorts")
async def open_cohort(request: Request, actor: CheckedActor, container: ContainerDep) -> Response:
    fields = await form_fields(request)
    level = _number(fields, "dose_level_index") if fields.get("dose_level_index") else None
    escalation.open_cohort(
        container.unit_of_work(), actor, container.protocol(), level, fields.get("override_reason")
    )
    return redirect("/escalation", request)


@router.post("/escalation/cohorts/{cohort_number}/{step}")
def cohort_step(
    cohort_number: int, step: str, request: Request, actor: CheckedActor, container: ContainerDep
) -> Response:
    if step == "close":
        escalation.close_cohort(container.unit_of_work(), actor, container.protocol(), cohort_number)
    elif step == "review":
        escalation.review_cohort(container.unit_of_work(), actor, cohort_number)
    else:
        raise ValidationError("step", "must be close or review", step)
    return redirect("/escalation", request)


@router.post("/escalation/assign")
async def assign(request: Request, actor: CheckedActor, container: ContainerDep) -> Response:
    fields = await form_fields(request)
    pid = fields.get("participant_id", "")
    escalation.assign_to_cohort(
        container.unit_of_work(),
        actor,
        container.protocol(),
        ParticipantId(pid),
        _number(fields, "cohort_number"),
    )
    return redirect(f"/participants/{quote(pid)}?message={quote('Assigned to the cohort')}", request)


@router.post("/participants/{participant_id}/dlt-proposal")
def propose(participant_id: str, request: Request, actor: CheckedActor, container: ContainerDep) -> Response:
    escalation.propose_participant_dlt(
        container.unit_of_work(), actor, container.protocol(), ParticipantId(participant_id)
    )
    return redirect(
        f"/participants/{quote(participant_id)}?message={quote('DLT assessment proposed')}", request
    )


@router.post("/escalation/dlt/{adjudication_id}")
async def adjudicate(
    adjudication_id: str, request: Request, actor: CheckedActor, container: ContainerDep
) -> Response:
    fields = await form_fields(request)
    escalation.adjudicate_dlt(
        container.unit_of_work(),
        actor,
        adjudication_id,
        is_dlt=fields.get("is_dlt") == "true",
        evaluable=fields.get("evaluable") == "true",
        override_reason=fields.get("override_reason"),
    )
    return redirect("/escalation", request)


@router.post("/escalation/mtd")
async def declare(request: Request, principal: WebPrincipal, container: ContainerDep) -> Response:
    actor = await csrf_checked(request, principal)
    fields = await form_fields(request)
    evidence = account.reauthenticate(
        container.account_unit_of_work(),
        container.hasher,
        actor,
        fields.get("password", ""),
        client_address(request),
        container.policy,
    )
    mtd.declare_mtd(
        container.unit_of_work(),
        actor,
        container.protocol(),
        rationale=fields.get("rationale", ""),
        printed_name=principal.user.display_name,
        reauthentication=evidence,
    )
    return redirect("/escalation", request)


@router.post("/escalation/mtd/{declaration_id}/approve")
async def approve(
    declaration_id: str, request: Request, principal: WebPrincipal, container: ContainerDep
) -> Response:
    actor = await csrf_checked(request, principal)
    fields = await form_fields(request)
    evidence = account.reauthenticate(
        container.account_unit_of_work(),
        container.hasher,
        actor,
        fields.get("password", ""),
        client_address(request),
        container.policy,
    )
    mtd.approve_mtd(
        container.unit_of_work(),
        actor,
        declaration_id,
        printed_name=principal.user.display_name,
        reauthentication=evidence,
    )
    return redirect("/escalation", request)
