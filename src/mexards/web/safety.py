"""Safety: the adverse-event form (CTCAE grade, seriousness, expectedness, onset, awareness; site staff record
it, and only investigators may give a relatedness), the investigator's relatedness assessment of a recorded
event, and the safety page (adverse events of the user's sites, SAE reports against their clocks, overdue
reports)."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import Response

from mexards.api.deps import ContainerDep
from mexards.domain.adverse_event import Expectedness, Relatedness, SeriousnessCriterion
from mexards.domain.errors import ValidationError
from mexards.domain.identifier import ParticipantId
from mexards.services import read_model, safety
from mexards.services.policy import Action, is_allowed, require
from mexards.web.form import field_errors, form_fields, form_lists, utc_datetime
from mexards.web.render import redirect, render
from mexards.web.session import CheckedActor, WebActor

router = APIRouter(include_in_schema=False)

CHOICES = {
    "relatedness": [r.value for r in Relatedness if r.is_assessed],
    "expectedness": [e.value for e in Expectedness],
    "seriousness": [s.value for s in SeriousnessCriterion],
}


@router.get("/participants/{participant_id}/adverse-events/new")
def new_event(participant_id: str, request: Request, actor: WebActor) -> Response:
    require(actor, Action.RECORD_ADVERSE_EVENT)
    return render(
        request,
        "adverse_event.html",
        {
            "nav": "safety",
            "pid": participant_id,
            "choices": CHOICES,
            "values": {},
            "errors": {},
            "chosen": [],
            "can_assess": is_allowed(actor, Action.ASSESS_RELATEDNESS),
        },
    )


def _relatedness(fields: dict[str, str]) -> str | None:
    """The form's relatedness: empty (or "not assessed") leaves the assessment to an investigator."""
    value = fields.get("relatedness", "").strip()
    return None if value in ("", Relatedness.NOT_ASSESSED.value) else value


@router.post("/participants/{participant_id}/adverse-events")
async def record_event(
    participant_id: str, request: Request, actor: CheckedActor, container: ContainerDep
) -> Response:
    fields = await form_fields(request)
    chosen = await form_lists(request, "seriousness")
    try:
        grade_text = fields.get("ctcae_grade", "")
        if not grade_text.isdigit():
            raise ValidationError("ctcae_grade", "must be a CTCAE grade from 1 to 5", grade_text)
        safety.record_adverse_event(
            container.unit_of_work(),
            actor,
            ParticipantId(participant_id),
            term=fields.get("term", ""),
            ctcae_grade=int(grade_text),
            onset_at=utc_datetime("onset_at", fields.get("onset_at")),  # type: ignore[arg-type]
            investigator_aware_at=utc_datetime(
                "investigator_aware_at",  # type: ignore[arg-type]
                fields.get("investigator_aware_at"),
            ),
            relatedness=_relatedness(fields),
            expectedness=fields.get("expectedness", ""),
            seriousness=chosen,
            resolved_at=utc_datetime("resolved_at", fields.get("resolved_at")),
        )
    except ValidationError as exc:
        return render(
            request,
            "adverse_event.html",
            {
                "nav": "safety",
                "pid": participant_id,
                "choices": CHOICES,
                "values": fields,
                "errors": field_errors(exc),
                "chosen": chosen,
                "can_assess": is_allowed(actor, Action.ASSESS_RELATEDNESS),
            },
            status_code=422,
        )
    return redirect(
        f"/participants/{quote(participant_id)}?message={quote('Adverse event recorded')}", request
    )


@router.get("/safety")
def safety_page(request: Request, actor: WebActor, container: ContainerDep) -> Response:
    require(actor, Action.READ_SAFETY)
    events = read_model.adverse_event_listing(container.unit_of_work(), actor)
    overdue = read_model.overdue_sae_reports(container.unit_of_work(), actor)
    return render(
        request,
        "safety.html",
        {
            "nav": "safety",
            "events": events,
            "overdue": overdue,
            "can_report": is_allowed(actor, Action.REPORT_SAE),
        },
    )


@router.post("/adverse-events/{adverse_event_id}/reports")
async def record_report(
    adverse_event_id: str, request: Request, actor: CheckedActor, container: ContainerDep
) -> Response:
    fields = await form_fields(request)
    safety.record_sae_report(
        container.unit_of_work(),
        actor,
        adverse_event_id,
        fields.get("report", ""),
        utc_datetime("reported_at", fields.get("reported_at")) or container.clock.now(),
    )  # type: ignore[arg-type]
    return redirect("/safety", request)


@router.post("/adverse-events/{adverse_event_id}/relatedness")
async def assess(
    adverse_event_id: str, request: Request, actor: CheckedActor, container: ContainerDep
) -> Response:
    """An investigator's causality assessment of a recorded event (a change needs a reason)."""
    fields = await form_fields(request)
    assessed = safety.assess_relatedness(
        container.unit_of_work(),
        actor,
        adverse_event_id,
        fields.get("relatedness", ""),
        reason=fields.get("reason") or None,
    )
    pid = assessed.participant_id.value
    return redirect(f"/participants/{quote(pid)}?message={quote('Relatedness assessed')}", request)
