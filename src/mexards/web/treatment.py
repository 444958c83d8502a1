"""The dosing record and the visit schedule of a participant (forms on the participant page)."""

from __future__ import annotations

from datetime import date
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import Response

from mexards.api.deps import ContainerDep
from mexards.domain.errors import ValidationError
from mexards.domain.identifier import ParticipantId
from mexards.services import treatment, visit
from mexards.web.form import form_fields, utc_datetime
from mexards.web.render import redirect
from mexards.web.session import CheckedActor

router = APIRouter(include_in_schema=False)


def _int(fields: dict[str, str], name: str) -> int | None:
    if name not in fields:
        return None
    try:
        return int(fields[name])
    except ValueError:
        raise ValidationError(name, "must be a whole number", fields[name]) from None


def _back(participant_id: str, message: str, request: Request) -> Response:
    return redirect(f"/participants/{quote(participant_id)}?message={quote(message)}", request)


@router.post("/participants/{participant_id}/doses")
async def record_dose(
    participant_id: str, request: Request, actor: CheckedActor, container: ContainerDep
) -> Response:
    fields = await form_fields(request)
    day = _int(fields, "study_day")
    if day is None:
        raise ValidationError("study_day", "is required")
    treatment.administer_dose(
        container.unit_of_work(),
        actor,
        ParticipantId(participant_id),
        day,
        status=fields.get("status", "given"),
        started_at=utc_datetime("started_at", fields.get("started_at")),
        ended_at=utc_datetime("ended_at", fields.get("ended_at")),
        volume_ml=fields.get("volume_ml"),
        device=fields.get("device"),
        spo2_pre_percent=_int(fields, "spo2_pre_percent"),
        spo2_post_percent=_int(fields, "spo2_post_percent"),
        tolerance=fields.get("tolerance"),
        reason=fields.get("reason"),
        deviation=fields.get("deviation"),
    )
    return _back(participant_id, f"Dose of day {day} recorded", request)


@router.post("/participants/{participant_id}/visits")
def schedule_visits(
    participant_id: str, request: Request, actor: CheckedActor, container: ContainerDep
) -> Response:
    visit.schedule_visits(
        container.unit_of_work(), actor, container.protocol(), ParticipantId(participant_id)
    )
    return _back(participant_id, "Visits scheduled", request)


@router.post("/visits/{visit_id}")
async def record_visit(
    visit_id: str, request: Request, actor: CheckedActor, container: ContainerDep
) -> Response:
    fields = await form_fields(request)
    try:
        done_on = date.fromisoformat(fields.get("actual_date", ""))
    except ValueError:
        raise ValidationError("actual_date", "must be a date YYYY-MM-DD", fields.get("actual_date")) from None
    done = visit.record_visit(container.unit_of_work(), actor, visit_id, done_on)
    note = " (out of window: recorded as a deviation)" if done.is_out_of_window else ""
    return _back(done.participant_id.value, f"Visit {done.visit_code} recorded{note}", request)
