"""Case report forms: the form library (fields with type, unit, allowed units, range, required, choices),
saving a form for a participant at a visit (typed, unit- and range-checked; derived scores computed on save;
a change after first entry needs a reason) and reading saved forms."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from mexards.api.deps import ActorDep, UoWDep
from mexards.api.errors import PROBLEM_RESPONSES
from mexards.domain.errors import NotFoundError
from mexards.domain.identifier import ParticipantId
from mexards.protocol.form import FormDefinition, builtin_form, builtin_forms
from mexards.services import crf, read_model
from mexards.services.record import CRFRecord

router = APIRouter(prefix="/api", tags=["case report forms"], responses=PROBLEM_RESPONSES)

Scalar = str | int | bool | None


class FormFieldRead(BaseModel):
    name: str
    type: str
    label: str
    unit: str | None
    allowed_units: list[str]
    minimum: str | None
    maximum: str | None
    required: bool
    choices: list[str]


class FormRead(BaseModel):
    form_id: str
    version: str
    title: str
    fields: list[FormFieldRead]
    derived: list[str]


class CRFSave(BaseModel):
    model_config = ConfigDict(extra="forbid")
    values: dict[str, str | int | bool | None] = Field(
        description="field -> value (decimals as text keep every digit)"
    )
    units: dict[str, str] = Field(default_factory=dict, description="field -> unit the value was entered in")
    reason: str | None = Field(None, min_length=1, max_length=1000, description="required for a change")


class CRFRead(BaseModel):
    record_id: str
    participant_id: str
    form_id: str
    form_version: str
    visit_code: str
    values: dict[str, Scalar]
    units: dict[str, str]
    derived: dict[str, Scalar]
    entered_by: str
    entered_at: datetime
    version: int
    changed_by: str | None
    changed_at: datetime | None
    change_reason: str | None


def form_read(form: FormDefinition) -> FormRead:
    return FormRead(
        form_id=form.form_id,
        version=form.version,
        title=form.title,
        derived=list(form.derived),
        fields=[
            FormFieldRead(
                name=f.name,
                type=f.type,
                label=f.label or f.name,
                unit=f.unit,
                allowed_units=list(f.allowed_units),
                minimum=None if f.minimum is None else str(f.minimum),
                maximum=None if f.maximum is None else str(f.maximum),
                required=f.required,
                choices=list(f.choices),
            )
            for f in form.fields
        ],
    )


def crf_read(item: CRFRecord) -> CRFRead:
    return CRFRead(
        record_id=item.record_id,
        participant_id=item.participant_id.value,
        form_id=item.form_id,
        form_version=item.form_version,
        visit_code=item.visit_code,
        values=dict(item.values),
        units=dict(item.units),
        derived=dict(item.derived),
        entered_by=item.entered_by.value,
        entered_at=item.entered_at,
        version=item.version,
        changed_by=item.changed_by.value if item.changed_by else None,
        changed_at=item.changed_at,
        change_reason=item.change_reason,
    )


@router.get("/forms", response_model=list[FormRead], summary="The case report form library")
def list_forms(actor: ActorDep) -> list[FormRead]:
    del actor
    return [form_read(f) for f in builtin_forms().values()]


@router.get("/forms/{form_id}", response_model=FormRead, summary="One form definition")
def get_form(form_id: str, actor: ActorDep) -> FormRead:
    del actor
    return form_read(builtin_form(form_id))


@router.get(
    "/participants/{participant_id}/crfs", response_model=list[CRFRead], summary="A participant's saved forms"
)
def list_crfs(participant_id: str, actor: ActorDep, uow: UoWDep) -> list[CRFRead]:
    return [crf_read(r) for r in read_model.crf_records(uow, actor, ParticipantId(participant_id))]


@router.get(
    "/participants/{participant_id}/crfs/{form_id}/{visit_code}",
    response_model=CRFRead,
    summary="A participant's form at a visit",
)
def get_crf(participant_id: str, form_id: str, visit_code: str, actor: ActorDep, uow: UoWDep) -> CRFRead:
    found = crf.read_crf(uow, actor, ParticipantId(participant_id), form_id, visit_code)
    if found is None:
        raise NotFoundError(f"form {form_id} at {visit_code} has not been saved for {participant_id}")
    return crf_read(found)


@router.put(
    "/participants/{participant_id}/crfs/{form_id}/{visit_code}",
    response_model=CRFRead,
    summary="Save a form (first entry, or a change with a reason)",
)
def save(
    participant_id: str, form_id: str, visit_code: str, body: CRFSave, actor: ActorDep, uow: UoWDep
) -> CRFRead:
    return crf_read(
        crf.save_crf(
            uow,
            actor,
            ParticipantId(participant_id),
            form_id,
            visit_code,
            body.values,
            body.units,
            body.reason,
        )
    )
