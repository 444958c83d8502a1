"""Case report forms as data: fields with type, unit, allowed units, range, required flag and code lists.

The forms follow the CRF list of ``clinical.md`` 4 (demographics and anthropometrics, ventilation and blood
gas, daily SOFA, Murray LIS, labs and biomarkers, vital signs and post-dose monitoring, dosing log, AE/SAE,
end of study). They live in ``protocol/forms/*.yaml``; each field has:

- ``type``: ``decimal`` (exact, kept as Decimal), ``integer``, ``boolean``, ``text``, ``choice``, ``date``
  (ISO ``YYYY-MM-DD``) or ``datetime`` (ISO 8601 with a UTC offset);
- ``unit``: the unit values are stored in, ``units``: the other units a value may be entered in, and
  ``convert``: the name of the conversion to the stored unit (a function of :mod:`mexards.clinical.quantity`,
  supplied by the caller, so this module stays free of clinical rules);
- ``min``/``max``: the plausible range in the stored unit, both inclusive; ``required``; ``choices``.

Checking reports every problem at once, each naming the field and the rule (REDCap/OpenClinica style
range checks, ``edc-and-standards.md`` 1.2, data-quality row). Numbers entered as text must be plain decimals
in ASCII digits (``１２３`` is refused). :meth:`FormDefinition.check_times` refuses dates and times in the
future of a given "now" (the caller's clock).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import cache
from importlib import resources
from typing import Any

import yaml

from mexards.domain.errors import NotFoundError, ValidationError, ValidationErrors
from mexards.domain.validation import decimal_text, times_not_in_future

FIELD_TYPES = ("decimal", "integer", "boolean", "text", "choice", "date", "datetime")
Converter = Callable[[str, Any, str], Decimal]
"""``convert(conversion_name, value, unit) -> value in the stored unit`` (raises ValidationError)."""


@dataclass(frozen=True)
class FormField:
    """One field of a form."""

    name: str
    type: str
    label: str = ""
    unit: str | None = None
    units: tuple[str, ...] = ()
    convert: str | None = None
    minimum: Decimal | None = None
    maximum: Decimal | None = None
    required: bool = False
    choices: tuple[str, ...] = ()

    @property
    def allowed_units(self) -> tuple[str, ...]:
        """The stored unit first, then the other units accepted at entry."""
        return ((self.unit,) if self.unit else ()) + tuple(u for u in self.units if u != self.unit)


@dataclass(frozen=True)
class FormDefinition:
    """A form: its id, version, title, fields, and the scores computed from it on save."""

    form_id: str
    version: str
    title: str
    fields: tuple[FormField, ...]
    derived: tuple[str, ...] = ()

    def field(self, name: str) -> FormField:
        for item in self.fields:
            if item.name == name:
                return item
        raise ValidationError(name, f"is not a field of form {self.form_id}", name)

    def check(
        self,
        values: Mapping[str, Any],
        units: Mapping[str, str] | None = None,
        converter: Converter | None = None,
    ) -> dict[str, Any]:
        """Typed values in the stored units; every problem is reported (ValidationErrors), by field name."""
        units = dict(units or {})
        errors: list[ValidationError] = []
        checked: dict[str, Any] = {}
        known = {f.name for f in self.fields}
        errors.extend(ValidationError(name, f"is not a field of form {self.form_id}", values[name])
                      for name in values if name not in known)
        errors.extend(ValidationError(f"{name}_unit", "is given for a field that is not entered", unit)
                      for name, unit in units.items() if name not in values)
        for spec in self.fields:
            raw = values.get(spec.name)
            if raw is None or (isinstance(raw, str) and not raw.strip()):
                if spec.required:
                    errors.append(ValidationError(spec.name, "is required", raw))
                continue
            try:
                checked[spec.name] = _value(spec, raw, units.get(spec.name), converter)
            except ValidationErrors as many:
                errors.extend(many.errors)
            except ValidationError as one:
                errors.append(one)
        if errors:
            raise errors[0] if len(errors) == 1 else ValidationErrors(errors)
        return checked

    def check_times(self, checked: Mapping[str, Any], now: datetime) -> None:
        """Refuse every ``date`` or ``datetime`` value of ``checked`` (the result of :meth:`check`) that lies in
        the future of ``now``, the unit of work's clock (:func:`mexards.domain.validation.times_not_in_future`:
        a few minutes of clock skew allowed, dates up to the date at UTC+14). Errors name the form field."""
        times_not_in_future(
            ((spec.name, checked.get(spec.name)) for spec in self.fields if spec.type in ("date", "datetime")),
            now,
        )


_MAX_EXPONENT = 30
"""Largest decimal exponent accepted in a form field (no clinical value comes near it)."""


def _decimal(spec: FormField, raw: Any) -> Decimal:
    if isinstance(raw, bool):
        raise ValidationError(spec.name, "must be a number", raw)
    if isinstance(raw, str):
        number: Decimal | None = decimal_text(spec.name, raw)  # ASCII digits only: "１２３" is refused
    else:
        try:
            number = Decimal(str(raw)) if isinstance(raw, int | float | Decimal) else None
        except (InvalidOperation, ValueError):  # ValueError: an int too long to turn into text
            number = None
    if number is None or not number.is_finite():
        raise ValidationError(spec.name, "must be a number", raw)
    if number and not -_MAX_EXPONENT <= number.adjusted() <= _MAX_EXPONENT:
        rule = f"must be a number between 1e-{_MAX_EXPONENT} and 1e{_MAX_EXPONENT} in size"
        raise ValidationError(spec.name, rule, raw)
    return number


def _in_range(spec: FormField, number: Decimal, raw: Any) -> None:
    unit = f" {spec.unit}" if spec.unit else ""
    if spec.minimum is not None and number < spec.minimum:
        raise ValidationError(spec.name, f"must be at least {spec.minimum}{unit}", raw)
    if spec.maximum is not None and number > spec.maximum:
        raise ValidationError(spec.name, f"must be at most {spec.maximum}{unit}", raw)


def _number(spec: FormField, raw: Any, unit: str | None, converter: Converter | None) -> Decimal:
    number = _decimal(spec, raw)
    if unit is not None and unit != spec.unit:
        if unit not in spec.allowed_units:
            allowed = ", ".join(spec.allowed_units) or "no unit"
            raise ValidationError(f"{spec.name}_unit", f"must be one of: {allowed}", unit)
        if spec.convert is None or converter is None:
            raise ValidationError(f"{spec.name}_unit", f"cannot be converted to {spec.unit}", unit)
        number = _converted(spec, converter, spec.convert, number, unit, raw)
    elif spec.convert is not None and converter is not None and spec.unit is not None:
        number = _converted(spec, converter, spec.convert, number, spec.unit, raw)
    _in_range(spec, number, raw)
    return number


def _converted(spec: FormField, converter: Converter, name: str, number: Decimal, unit: str, raw: Any) -> Decimal:
    """Convert to the stored unit; a refusal names this form field, whatever the conversion calls its input."""
    try:
        return converter(name, number, unit)
    except ValidationError as exc:
        raise ValidationError(spec.name, exc.rule, raw) from None


def _value(spec: FormField, raw: Any, unit: str | None, converter: Converter | None) -> Any:
    kind = spec.type
    if kind == "decimal":
        return _number(spec, raw, unit, converter)
    if unit is not None:
        raise ValidationError(f"{spec.name}_unit", "this field has no unit", unit)
    if kind == "integer":
        number = _decimal(spec, raw)
        if number != number.to_integral_value():
            raise ValidationError(spec.name, "must be a whole number", raw)
        _in_range(spec, number, raw)
        return int(number)
    if kind == "boolean":
        if isinstance(raw, bool):
            return raw
        text = str(raw).strip().lower()
        if text in ("true", "yes", "1"):
            return True
        if text in ("false", "no", "0"):
            return False
        raise ValidationError(spec.name, "must be true or false", raw)
    if kind == "choice":
        if raw not in spec.choices:
            raise ValidationError(spec.name, f"must be one of: {', '.join(spec.choices)}", raw)
        return raw
    if kind == "date":
        if isinstance(raw, date) and not isinstance(raw, datetime):
            return raw
        try:
            return date.fromisoformat(str(raw))
        except ValueError:
            raise ValidationError(spec.name, "must be a date YYYY-MM-DD", raw) from None
    if kind == "datetime":
        try:
            moment = raw if isinstance(raw, datetime) else datetime.fromisoformat(str(raw))
        except ValueError:
            raise ValidationError(spec.name, "must be an ISO 8601 date and time", raw) from None
        if moment.tzinfo is None:
            raise ValidationError(spec.name, "must carry a UTC offset", raw)
        return moment
    if not isinstance(raw, str):
        raise ValidationError(spec.name, "must be text", raw)
    if len(raw) > 2000:
        raise ValidationError(spec.name, "must be at most 2000 characters", raw)
    return raw.strip()


def _bound(value: Any, where: str) -> Decimal | None:
    if value is None:
        return None
    if isinstance(value, str):
        return decimal_text(where, value)
    try:
        return Decimal(str(value))
    except InvalidOperation:
        raise ValidationError(where, "must be a number", value) from None


def _field(data: Mapping[str, Any], where: str) -> FormField:
    unknown = set(data) - {"name", "type", "label", "unit", "units", "convert", "min", "max", "required", "choices"}
    if unknown:
        raise ValidationError(f"{where}.{sorted(unknown)[0]}", "is not a field property")
    kind = data.get("type")
    if kind not in FIELD_TYPES:
        raise ValidationError(f"{where}.type", f"must be one of: {', '.join(FIELD_TYPES)}", kind)
    choices = tuple(str(c) for c in data.get("choices", ()))
    if kind == "choice" and not choices:
        raise ValidationError(f"{where}.choices", "are required for a choice field")
    spec = FormField(
        str(data["name"]), kind, str(data.get("label", "")), data.get("unit"),
        tuple(data.get("units", ())), data.get("convert"), _bound(data.get("min"), f"{where}.min"),
        _bound(data.get("max"), f"{where}.max"), bool(data.get("required", False)), choices,
    )  # fmt: skip
    if spec.minimum is not None and spec.maximum is not None and spec.minimum > spec.maximum:
        raise ValidationError(f"{where}.min", "must not exceed max", spec.minimum)
    return spec


def load_forms(text: str) -> dict[str, FormDefinition]:
    """Form definitions from YAML text (``forms: [{id, version, title, derived, fields: [...]}]``)."""
    data = yaml.safe_load(text)
    if not isinstance(data, dict) or not isinstance(data.get("forms"), list):
        raise ValidationError("forms", "must be a list of form definitions")
    forms: dict[str, FormDefinition] = {}
    for i, item in enumerate(data["forms"]):
        where = f"forms[{i}]"
        fields = tuple(_field(f, f"{where}.fields[{j}]") for j, f in enumerate(item.get("fields", ())))
        names = [f.name for f in fields]
        if len(set(names)) != len(names):
            raise ValidationError(f"{where}.fields", "field names must be unique", names)
        form = FormDefinition(str(item["id"]), str(item.get("version", "1")), str(item.get("title", "")),
                              fields, tuple(item.get("derived", ())))
        if form.form_id in forms:
            raise ValidationError(f"{where}.id", "must be unique", form.form_id)
        forms[form.form_id] = form
    return forms


@cache
def builtin_forms() -> dict[str, FormDefinition]:
    """The shipped form library (``protocol/forms/ards_core.yaml``)."""
    text = resources.files("mexards.protocol").joinpath("forms", "ards_core.yaml").read_text(encoding="utf-8")
    return load_forms(text)


def builtin_form(form_id: str) -> FormDefinition:
    """One shipped form by id; NotFoundError naming the known ones otherwise."""
    forms = builtin_forms()
    if form_id not in forms:
        raise NotFoundError(f"no form '{form_id}' (known: {', '.join(sorted(forms))})")
    return forms[form_id]
