"""Participants: the site-scoped list with live search, and a participant's page (summary in the user's
blinding, visit timeline, dosing record, forms, adverse events, queries, and the next lifecycle steps)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from mexards.api.deps import ContainerDep
from mexards.domain.adverse_event import Relatedness
from mexards.domain.errors import NotFoundError
from mexards.domain.identifier import ParticipantId
from mexards.domain.participant import ConsentSigner
from mexards.protocol.form import builtin_forms
from mexards.services import participant as lifecycle
from mexards.services import read_model
from mexards.services.policy import Action, is_allowed, sees_arms
from mexards.web.form import form_fields, utc_datetime
from mexards.web.render import redirect, render
from mexards.web.session import CheckedActor, WebActor

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 50


@router.get("/participants")
def participants(
    request: Request,
    actor: WebActor,
    container: ContainerDep,
    q: Annotated[str, Query(max_length=64)] = "",
    state: Annotated[str, Query(max_length=40)] = "",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    protocol = container.protocol()
    found = read_model.participant_summaries(container.unit_of_work(), actor, protocol)
    needle = q.strip().lower()
    chosen = [
        s
        for s in found
        if (not needle or needle in s.participant_id.value.lower()) and (not state or s.state == state)
    ]
    window = chosen[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    context = {
        "nav": "participants",
        "rows": window,
        "total": len(chosen),
        "q": q,
        "state": state,
        "page": page,
        "pages": max(1, -(-len(chosen) // PAGE_SIZE)),
        "unblinded": sees_arms(actor),
        "states": sorted({s.state for s in found}),
    }
    template = (
        "partials/participant_rows.html"
        if request.headers.get("HX-Request") == "true"
        else "participants.html"
    )
    return render(request, template, context)


@router.get("/participants/{participant_id}")
def participant_page(
    participant_id: str,
    request: Request,
    actor: WebActor,
    container: ContainerDep,
    message: Annotated[str, Query(max_length=200)] = "",
) -> Response:
    protocol = container.protocol()
    pid = ParticipantId(participant_id)
    summary = read_model.participant_summary(container.unit_of_work(), actor, protocol, pid)
    timeline = read_model.visit_timeline(container.unit_of_work(), actor, pid)
    doses = read_model.administrations(container.unit_of_work(), actor, pid)
    crfs = read_model.crf_records(container.unit_of_work(), actor, pid)
    queries = read_model.queries(container.unit_of_work(), actor, pid)
    events = []
    if is_allowed(actor, Action.READ_SAFETY):
        events = [
            e
            for e in read_model.adverse_event_listing(container.unit_of_work(), actor)
            if e.participant_id == pid
        ]
    cohorts = [c for c in read_model.cohorts(container.unit_of_work(), actor) if c.state.value == "open"]
    adjudications = read_model.dlt_adjudications(container.unit_of_work(), actor, pid)
    entry = next(
        (e for e in read_model.screening_log(container.unit_of_work(), actor) if e.participant_id == pid),
        None,
    )
    return render(
        request,
        "participant.html",
        {
            "nav": "participants",
            "p": summary,
            "timeline": timeline,
            "doses": doses,
            "crfs": crfs,
            "queries": queries,
            "events": events,
            "open_cohorts": cohorts,
            "adjudications": adjudications,
            "screening": entry,
            "forms": builtin_forms(),
            "visits": [v.id for v in protocol.schedule.visits] if protocol.schedule else [],
            "can": {action.value: is_allowed(actor, action) for action in Action},
            "unblinded": sees_arms(actor),
            "message": message,
            "relatedness_choices": [r.value for r in Relatedness if r.is_assessed],
        },
    )


def _back(participant_id: str, message: str, request: Request) -> Response:
    from urllib.parse import quote

    return redirect(f"/participants/{quote(participant_id)}?message={quote(message)}", request)


@router.post("/participants/{participant_id}/consent")
async def consent(
    participant_id: str, request: Request, actor: CheckedActor, container: ContainerDep
) -> Response:
    fields = await form_fields(request)
    lifecycle.record_consent(
        container.unit_of_work(),
        actor,
        ParticipantId(participant_id),
        fields.get("signed_by", ConsentSigner.SUBJECT.value),
        fields.get("consent_version", ""),
        utc_datetime("consented_at", fields.get("consented_at")),  # type: ignore[arg-type]
        fields.get("representative_relationship"),
    )
    return _back(participant_id, "Consent recorded", request)


@router.post("/participants/{participant_id}/enrol")
def enrol(participant_id: str, request: Request, actor: CheckedActor, container: ContainerDep) -> Response:
    lifecycle.enrol_participant(container.unit_of_work(), actor, ParticipantId(participant_id))
    return _back(participant_id, "Participant enrolled", request)


@router.post("/participants/{participant_id}/end")
async def end_participation(
    participant_id: str, request: Request, actor: CheckedActor, container: ContainerDep
) -> Response:
    """Follow-up, completion, withdrawal (reason), death (date) or loss to follow-up."""
    fields = await form_fields(request)
    what, pid, uow = fields.get("what", ""), ParticipantId(participant_id), container.unit_of_work()
    if what == "follow_up":
        lifecycle.start_follow_up(uow, actor, pid)
    elif what == "complete":
        lifecycle.complete_participant(uow, actor, pid)
    elif what == "withdraw":
        lifecycle.withdraw_participant(uow, actor, pid, fields.get("reason", ""))
    elif what == "death":
        from datetime import date

        from mexards.domain.errors import ValidationError

        try:
            died_on = date.fromisoformat(fields.get("died_on", ""))
        except ValueError:
            raise ValidationError("died_on", "must be a date YYYY-MM-DD", fields.get("died_on")) from None
        lifecycle.record_death(uow, actor, pid, died_on)
    elif what == "lost":
        lifecycle.lose_to_follow_up(uow, actor, pid)
    else:
        raise NotFoundError(f"no such step: {what}")
    return _back(participant_id, "Participation updated", request)
