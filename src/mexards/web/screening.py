"""Screening a patient: a form built from the protocol's patient fields, grouped by topic, with the
eligibility shown live per criterion (HTMX posts the form on each change; nothing is recorded until "Screen"
is pressed)."""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from mexards.api.deps import ContainerDep
from mexards.clinical.eligibility import Screener
from mexards.domain.errors import ValidationError
from mexards.domain.identifier import ParticipantId, SiteId
from mexards.protocol.consistency import field_catalogue
from mexards.protocol.model import Protocol
from mexards.protocol.vocabulary import FieldSpec
from mexards.services import participant as lifecycle
from mexards.services.policy import Action, require
from mexards.web.form import field_errors, form_fields, nested, utc_text
from mexards.web.render import redirect, render
from mexards.web.session import CheckedActor, WebActor

router = APIRouter(include_in_schema=False)
_SKIPPED = {"patient_id", "site", "notes"}


def field_groups(protocol: Protocol) -> OrderedDict[str, list[FieldSpec]]:
    """The protocol's patient fields by topic (the first part of the dotted path)."""
    groups: OrderedDict[str, list[FieldSpec]] = OrderedDict()
    for spec in field_catalogue(protocol).values():
        if spec.path in _SKIPPED:
            continue
        topic = spec.path.split(".")[0] if "." in spec.path else "patient"
        groups.setdefault(topic, []).append(spec)
    return groups


def patient_record(fields: dict[str, str], catalogue: dict[str, FieldSpec]) -> dict[str, Any]:
    """The screening record from the form: datetimes from ``datetime-local`` inputs are read as UTC."""
    record: dict[str, str] = {}
    for name, value in fields.items():
        if name in ("participant_id", "site_id"):
            continue
        spec = catalogue.get(name)
        record[name] = utc_text(value) if spec is not None and spec.type == "datetime" else value  # type: ignore[assignment]
    return nested(record)


@router.get("/screening")
def screening_form(request: Request, actor: WebActor, container: ContainerDep) -> Response:
    require(actor, Action.SCREEN)
    protocol = container.protocol()
    return render(
        request,
        "screening.html",
        {
            "nav": "screening",
            "groups": field_groups(protocol),
            "sites": sorted(s.value for s in actor.site_ids),
            "values": {},
            "errors": {},
            "protocol": protocol,
        },
    )


@router.post("/screening/preview")
async def preview(request: Request, actor: CheckedActor, container: ContainerDep) -> Response:
    """Eligibility per criterion for the form as it stands (no write)."""
    require(actor, Action.SCREEN)
    protocol = container.protocol()
    fields = await form_fields(request)
    try:
        result = Screener(protocol).screen(
            {**patient_record(fields, field_catalogue(protocol)), "patient_id": "preview"}
        )
    except ValidationError as exc:
        return render(request, "partials/eligibility.html", {"result": None, "errors": field_errors(exc)})
    return render(request, "partials/eligibility.html", {"result": result, "errors": {}})


@router.post("/screening")
async def screen(request: Request, actor: CheckedActor, container: ContainerDep) -> Response:
    protocol = container.protocol()
    fields = await form_fields(request)
    try:
        entry = lifecycle.screen_patient(
            container.unit_of_work(),
            actor,
            protocol,
            ParticipantId(fields.get("participant_id", "")),
            SiteId(fields.get("site_id", "")),
            patient_record(fields, field_catalogue(protocol)),
        )
    except ValidationError as exc:
        return render(
            request,
            "screening.html",
            {
                "nav": "screening",
                "groups": field_groups(protocol),
                "sites": sorted(s.value for s in actor.site_ids),
                "values": fields,
                "errors": field_errors(exc),
                "protocol": protocol,
            },
            status_code=422,
        )
    from urllib.parse import quote

    verdict = entry.verdict.lower()
    return redirect(
        f"/participants/{quote(entry.participant_id.value)}?message={quote('Screened: ' + verdict)}", request
    )
