"""Saving case report forms: typed, unit-checked, range-checked fields, and derived scores computed on save.

Fields are checked against the form library (:mod:`mexards.protocol.form`), with units converted by
:mod:`mexards.clinical.quantity` (kPa -> mmHg, µmol/L -> mg/dL, g/L -> g/dL, °F -> °C, FiO2 % -> fraction).
Scores are computed with the clinical definitions, never typed in (``clinical.md`` 3.1-3.3):

- ``pf_ratio``: PaO2/FiO2 (mmHg); ``berlin``: Berlin category (JAMA 2012), the protocol's non-invasive policy;
  timing, imaging and oedema origin are taken as met unless the form records them;
- ``sofa``: SOFA total, components and completeness (Vincent 1996);
- ``murray``: Murray lung injury score and category (Murray 1988), compliance from plateau pressure.

A date or date-time field in the future of the unit of work's clock is refused naming the field (a few minutes
of clock skew allowed: :data:`mexards.domain.validation.CLOCK_SKEW_TOLERANCE`).

A form is saved once per participant and visit; saving it again is a change after first entry and needs a
reason (ICH E6(R3) 4.2.2; 21 CFR 11.10(e)); the version goes up and the audit trail keeps the old values.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from mexards.clinical import quantity
from mexards.clinical.berlin import classify_berlin
from mexards.clinical.berlin import pf_ratio as compute_pf_ratio
from mexards.clinical.murray import murray_score
from mexards.clinical.sofa import sofa_score
from mexards.domain.errors import ConflictError, ValidationError
from mexards.domain.identifier import ParticipantId, checked_code
from mexards.domain.role import Actor
from mexards.domain.validation import required_text
from mexards.protocol.form import FormDefinition, builtin_form
from mexards.services.event import CRFSaved
from mexards.services.operation import current_trial, editable_trial, new_id, operation, participant_for, record
from mexards.services.policy import Action, require
from mexards.services.port import UnitOfWork
from mexards.services.record import CRFRecord, JSONScalar

_CONVERSIONS = {
    "pressure_mmhg": lambda value, unit: quantity.pressure_mmhg(value, unit),
    "bilirubin_mg_dl": lambda value, unit: quantity.bilirubin_mg_dl(value, unit),
    "creatinine_mg_dl": lambda value, unit: quantity.creatinine_mg_dl(value, unit),
    "albumin_g_dl": lambda value, unit: quantity.albumin_g_dl(value, unit),
    "temperature_celsius": lambda value, unit: quantity.temperature_celsius(value, unit),
    "fio2_fraction": lambda value, unit: quantity.fio2_fraction(value),
}

_SOFA_INPUTS = (
    "pao2_mmhg", "fio2_fraction", "respiratory_support", "platelets_10e3_ul", "bilirubin_mg_dl", "map_mmhg",
    "dopamine_ug_kg_min", "dobutamine_ug_kg_min", "epinephrine_ug_kg_min", "norepinephrine_ug_kg_min", "gcs",
    "creatinine_mg_dl", "urine_output_ml_day",
)
_MURRAY_INPUTS = (
    "cxr_quadrants", "pao2_mmhg", "fio2_fraction", "peep_cmh2o", "compliance_ml_cmh2o", "tidal_volume_ml",
    "plateau_cmh2o", "peak_cmh2o",
)


def convert(name: str, value: Any, unit: str) -> Decimal:
    """The form library's named conversions, done by :mod:`mexards.clinical.quantity`."""
    if name not in _CONVERSIONS:
        raise ValidationError("convert", "is not a known unit conversion", name)
    result: Decimal = _CONVERSIONS[name](value, unit)
    return result


def stored(value: Any) -> JSONScalar:
    """A value as kept in a CRF record: exact decimals and dates as text."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value == value.to_integral_value() else str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def derive(form: FormDefinition, values: Mapping[str, Any], berlin_policy: str = "strict") -> dict[str, Any]:
    """The scores this form computes on save, from its checked values (stored units)."""
    out: dict[str, Any] = {}
    get = dict(values).get
    pao2, fio2 = get("pao2_mmhg"), get("fio2_fraction")
    if "pf_ratio" in form.derived and pao2 is not None and fio2 is not None:
        out["pf_ratio"] = compute_pf_ratio(pao2, fio2)
    if "berlin" in form.derived:
        support = get("support")
        result = classify_berlin(
            pao2_mmhg=get("pao2_mmhg"), fio2_fraction=get("fio2_fraction"), peep_cmh2o=get("peep_cmh2o"),
            support=support if support in ("invasive", "noninvasive") else "none",
            timing_within_1_week=get("onset_within_1_week", True),
            bilateral_opacities=get("bilateral_opacities", True),
            edema_not_cardiac=get("edema_not_cardiac", True), policy=berlin_policy,
        )  # fmt: skip
        out["berlin_category"] = result.category.value
    if "sofa" in form.derived:
        sofa_inputs: dict[str, Any] = {k: get(k) for k in _SOFA_INPUTS}
        sofa = sofa_score(**sofa_inputs)
        out["sofa_total"] = sofa.total
        out["sofa_complete"] = sofa.complete
        out.update({f"sofa_{system}": points for system, points in sofa.components.items()})
    if "murray" in form.derived:
        murray_inputs: dict[str, Any] = {k: get(k) for k in _MURRAY_INPUTS}
        murray = murray_score(**murray_inputs)
        out["murray_score"] = murray.score
        out["murray_category"] = murray.category.value
        out["murray_complete"] = murray.complete
    return out


def save_crf(
    uow: UnitOfWork,
    actor: Actor,
    participant_id: ParticipantId,
    form_id: str,
    visit_code: str,
    values: Mapping[str, Any],
    units: Mapping[str, str] | None = None,
    reason: str | None = None,
    berlin_policy: str = "strict",
) -> CRFRecord:
    """Check and save a form for one participant and visit; derived scores are computed now."""
    form = builtin_form(form_id)
    visit_code = checked_code("visit_code", visit_code)
    checked = form.check(values, units, convert)
    derived = {name: stored(value) for name, value in derive(form, checked, berlin_policy).items()}
    kept = {name: stored(value) for name, value in checked.items()}
    kept_units = {f.name: f.unit for f in form.fields if f.name in kept and f.unit}
    with operation(uow, actor, Action.ENTER_DATA, reason) as u:
        editable_trial(u)
        participant = participant_for(u, actor, participant_id)
        require(actor, Action.ENTER_DATA, participant.site_id)
        now = u.clock.now()
        form.check_times(checked, now)
        existing = u.crf_records.find(participant_id, form.form_id, visit_code)
        if existing is None:
            crf = CRFRecord(new_id(u, "CRF"), participant_id, form.form_id, form.version, visit_code, kept,
                            kept_units, derived, actor.user_id, now)
            u.crf_records.add(crf)
            changed = tuple(sorted(kept))
        else:
            change_reason = required_text("reason", reason, 1000) if reason is not None else None
            if change_reason is None:
                raise ValidationError("reason", "is required for a change after first entry", None)
            changed = tuple(sorted(k for k in set(kept) | set(existing.values)
                                   if kept.get(k) != existing.values.get(k)))
            if not changed:
                raise ConflictError(f"form {form.form_id} at {visit_code}: nothing changed")
            crf = existing
            crf.values, crf.units, crf.derived = kept, kept_units, derived
            crf.version += 1
            crf.changed_by, crf.changed_at, crf.change_reason = actor.user_id, now, change_reason
            u.crf_records.update(crf)
        record(u, CRFSaved(participant_id=participant_id, record_id=crf.record_id, form_id=form.form_id,
                           visit_code=visit_code, version=crf.version, changed_fields=changed, occurred_at=now))
        u.commit()
    return crf


def read_crf(uow: UnitOfWork, actor: Actor, participant_id: ParticipantId, form_id: str,
             visit_code: str) -> CRFRecord | None:
    """The saved form of a participant at a visit (site scoped; read only)."""
    with operation(uow, actor, Action.READ_PARTICIPANTS) as u:
        current_trial(u)
        participant_for(u, actor, participant_id)
        return u.crf_records.find(participant_id, form_id, visit_code)
