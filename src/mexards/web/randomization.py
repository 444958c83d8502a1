"""Phase 2 in the browser: randomize with a confirmation step, emergency unblinding of one participant, the
sealed list (generate, verify, status per stratum for unblinded roles) and the pharmacist's kit view."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import Response

from mexards.api.deps import ContainerDep, client_address
from mexards.domain.errors import NotFoundError, ValidationError
from mexards.domain.identifier import ParticipantId
from mexards.services import account, allocation, read_model, unblinding
from mexards.services.policy import Action, is_allowed, require, require_unblinded, sees_arms
from mexards.web.form import form_fields
from mexards.web.render import redirect, render
from mexards.web.session import CheckedActor, WebActor, WebPrincipal, csrf_checked

router = APIRouter(include_in_schema=False)


@router.get("/participants/{participant_id}/randomize")
def confirm(participant_id: str, request: Request, actor: WebActor, container: ContainerDep) -> Response:
    require(actor, Action.RANDOMIZE)
    summary = read_model.participant_summary(
        container.unit_of_work(), actor, container.protocol(), ParticipantId(participant_id)
    )
    entry = next(
        (
            e
            for e in read_model.screening_log(container.unit_of_work(), actor)
            if e.participant_id.value == participant_id
        ),
        None,
    )
    return render(request, "randomize.html", {"nav": "participants", "p": summary, "screening": entry})


@router.post("/participants/{participant_id}/randomize")
async def randomize(
    participant_id: str, request: Request, actor: CheckedActor, container: ContainerDep
) -> Response:
    fields = await form_fields(request)
    if fields.get("confirm") != "yes":
        raise ValidationError("confirm", "tick the box to confirm that randomization is irrevocable")
    done = allocation.randomize_participant(container.unit_of_work(), actor, ParticipantId(participant_id))
    message = f"Randomized: kit {done.kit_code} ({done.treatment})"
    return redirect(f"/participants/{quote(participant_id)}?message={quote(message)}", request)


@router.post("/participants/{participant_id}/unblind")
async def unblind(
    participant_id: str, request: Request, principal: WebPrincipal, container: ContainerDep
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
    revealed = unblinding.emergency_unblind(
        container.unit_of_work(),
        actor,
        container.protocol(),
        ParticipantId(participant_id),
        fields.get("reason", ""),
        evidence,
    )
    return render(request, "unblinded.html", {"nav": "participants", "allocation": revealed})


@router.get("/randomization")
def randomization_page(request: Request, actor: WebActor, container: ContainerDep) -> Response:
    status = read_model.allocation_status(container.unit_of_work(), actor) if sees_arms(actor) else None
    verification = None
    if is_allowed(actor, Action.VERIFY_ALLOCATION_LIST):
        try:
            verification = allocation.verify_allocation_list(container.unit_of_work(), actor)
        except NotFoundError:
            verification = None
    return render(
        request,
        "randomization.html",
        {
            "nav": "randomization",
            "status": status,
            "verification": verification,
            "can_generate": is_allowed(actor, Action.GENERATE_ALLOCATION_LIST),
        },
    )


@router.post("/randomization/list")
async def generate(request: Request, actor: CheckedActor, container: ContainerDep) -> Response:
    fields = await form_fields(request)
    text = fields.get("slots_per_stratum", "")
    if not text.isdigit() or int(text) < 1:
        raise ValidationError("slots_per_stratum", "must be a whole number of at least 1", text)
    seed = fields.get("seed")
    if seed is not None and not seed.isdigit():
        raise ValidationError("seed", "must be a whole number", seed)
    allocation.generate_allocation_list(
        container.unit_of_work(), actor, container.protocol(), int(text), int(seed) if seed else None
    )
    return redirect("/randomization", request)


@router.get("/pharmacy")
def pharmacy(request: Request, actor: WebActor, container: ContainerDep) -> Response:
    require_unblinded(actor, "kit allocations")
    kits = [
        s
        for s in read_model.participant_summaries(container.unit_of_work(), actor, container.protocol())
        if s.kit_code
    ]
    return render(request, "pharmacy.html", {"nav": "pharmacy", "kits": kits})
