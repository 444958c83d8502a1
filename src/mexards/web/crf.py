"""Case report forms: a form of the library for one participant and visit, with units to choose where a field
allows several, inline validation on each change (the same checks as on save: type, unit, range, required),
derived scores shown after saving, and a reason required for a change after first entry."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from mexards.api.deps import ContainerDep
from mexards.domain.errors import ValidationError
from mexards.domain.identifier import ParticipantId
from mexards.protocol.form import FormDefinition, builtin_form
from mexards.services import crf
from mexards.web.form import field_errors, form_fields
from mexards.web.render import redirect, render
from mexards.web.session import CheckedActor, WebActor

router = APIRouter(include_in_schema=False)


def _split(fields: dict[str, str], form: FormDefinition) -> tuple[dict[str, str], dict[str, str]]:
    names = {f.name for f in form.fields}
    values = {k: v for k, v in fields.items() if k in names}
    units = {
        k.removeprefix("unit."): v
        for k, v in fields.items()
        if k.startswith("unit.") and k.removeprefix("unit.") in values
    }
    return values, units


@router.get("/participants/{participant_id}/crf")
def choose(
    participant_id: str,
    request: Request,
    actor: WebActor,
    form_id: Annotated[str, Query(max_length=64)],
    visit_code: Annotated[str, Query(max_length=64)],
) -> Response:
    del actor
    return redirect(
        f"/participants/{quote(participant_id)}/crf/{quote(form_id)}/{quote(visit_code)}", request
    )


@router.get("/participants/{participant_id}/crf/{form_id}/{visit_code}")
def crf_page(
    participant_id: str,
    form_id: str,
    visit_code: str,
    request: Request,
    actor: WebActor,
    container: ContainerDep,
) -> Response:
    form = builtin_form(form_id)
    saved = crf.read_crf(container.unit_of_work(), actor, ParticipantId(participant_id), form_id, visit_code)
    values = {
        k: "" if v is None else str(v).lower() if isinstance(v, bool) else str(v)
        for k, v in (saved.values if saved else {}).items()
    }
    return render(
        request,
        "crf.html",
        {
            "nav": "participants",
            "form": form,
            "pid": participant_id,
            "visit_code": visit_code,
            "saved": saved,
            "values": values,
            "units": {},
            "errors": {},
        },
    )


@router.post("/participants/{participant_id}/crf/{form_id}/{visit_code}/check")
async def check(
    participant_id: str, form_id: str, visit_code: str, request: Request, actor: CheckedActor
) -> Response:
    """Inline validation: every field's error (or none), swapped into place out of band."""
    del participant_id, visit_code, actor
    form = builtin_form(form_id)
    values, units = _split(await form_fields(request), form)
    try:
        form.check(values, units, crf.convert)
        errors: dict[str, str] = {}
    except ValidationError as exc:
        errors = field_errors(exc)
    touched = set(values)
    shown = {name: rule for name, rule in errors.items() if name in touched or "required" not in rule}
    return render(request, "partials/crf_errors.html", {"form": form, "errors": shown})


@router.post("/participants/{participant_id}/crf/{form_id}/{visit_code}")
async def save(
    participant_id: str,
    form_id: str,
    visit_code: str,
    request: Request,
    actor: CheckedActor,
    container: ContainerDep,
) -> Response:
    form = builtin_form(form_id)
    fields = await form_fields(request)
    values, units = _split(fields, form)
    try:
        crf.save_crf(
            container.unit_of_work(),
            actor,
            ParticipantId(participant_id),
            form_id,
            visit_code,
            values,
            units,
            fields.get("reason"),
        )
    except ValidationError as exc:
        saved = crf.read_crf(
            container.unit_of_work(), actor, ParticipantId(participant_id), form_id, visit_code
        )
        return render(
            request,
            "crf.html",
            {
                "nav": "participants",
                "form": form,
                "pid": participant_id,
                "visit_code": visit_code,
                "saved": saved,
                "values": values,
                "units": units,
                "errors": field_errors(exc),
            },
            status_code=422,
        )
    return redirect(f"/participants/{quote(participant_id)}?message={quote(form.title + ' saved')}", request)
