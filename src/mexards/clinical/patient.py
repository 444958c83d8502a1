"""Structured patient records for screening: JSON objects or CSV rows, checked against the field catalogue.

A record is a nested JSON object, or a flat one whose keys are dotted paths (a CSV row: one column per field,
``anthropometry.weight_kg``). Fields and types are those of ``mexards.protocol.vocabulary`` plus a protocol's
own ``patient_fields`` (``docs/eligibility.md`` lists them). An empty value means "not recorded" (missing).

Conventions:

- numbers are exact decimals built from the value as entered (``mexards.clinical.quantity.exact``);
- ``screening_at`` is required and, like every ``datetime`` field, must carry a time zone (``Z`` or ``+08:00``);
- an ``event`` field is ``{occurred: true/false, date: ...}``; the short forms ``false`` (no such event) and a
  bare date (it occurred on that date) are accepted, in JSON and in CSV;
- at most one field of each unit group may be given (``pao2_mmhg`` or ``pao2_kpa``);
- an unknown field is an error (it is usually a typo that would otherwise read as "missing").

Every problem is reported at once, each naming the field path.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from mexards.clinical.quantity import exact
from mexards.domain.errors import ValidationError, ValidationErrors
from mexards.protocol.vocabulary import UNIT_ALTERNATIVES, FieldSpec

_TRUE = frozenset({"true", "yes", "y", "1"})
_FALSE = frozenset({"false", "no", "n", "0", "none"})


@dataclass(frozen=True)
class Event:
    """A dated event: ``occurred`` (None = not recorded) and its date (a ``date``, or a ``datetime``)."""

    occurred: bool | None
    when: date | None = None


@dataclass(frozen=True)
class PatientRecord:
    """A checked record: typed values by path (absent = missing) and the values as entered."""

    values: dict[str, Any]
    entered: dict[str, Any]

    @property
    def patient_id(self) -> str:
        """The record's ``patient_id`` ("" when not given)."""
        return str(self.values.get("patient_id", ""))

    @property
    def screening_at(self) -> datetime:
        """The screening time (always present in a checked record)."""
        value: datetime = self.values["screening_at"]
        return value

    def get(self, path: str) -> Any:
        """The typed value at ``path`` or ``None`` when it is not recorded."""
        return self.values.get(path)


def flatten(record: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested mappings -> dotted keys (``{"a": {"b": 1}}`` -> ``{"a.b": 1}``); dotted keys pass through."""
    flat: dict[str, Any] = {}
    for key, value in record.items():
        path = f"{prefix}{key}" if prefix else key
        if isinstance(value, dict) or (not isinstance(value, str) and isinstance(value, Mapping)):
            flat.update(flatten(value, f"{path}."))
        else:
            flat[path] = value
    return flat


def _boolean(value: Any, path: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        key = value.strip().lower()
        if key in _TRUE:
            return True
        if key in _FALSE:
            return False
    raise ValidationError(path, "must be true or false", value)


def _date(value: Any, path: str) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ValidationError(path, "must be a date YYYY-MM-DD", value)


def _datetime(value: Any, path: str) -> datetime:
    moment: datetime | None = value if isinstance(value, datetime) else None
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.strip())
        except ValueError:
            moment = None
    if moment is None:
        raise ValidationError(path, "must be an ISO 8601 date-time with a time zone, e.g. 2025-03-01T08:00Z", value)
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValidationError(path, "must include a time zone (e.g. Z or +08:00)", value)
    return moment


def _event_date(value: Any, path: str) -> date:
    if isinstance(value, str) and "T" in value:
        return _datetime(value, path)
    if isinstance(value, datetime):
        return _datetime(value, path)
    return _date(value, path)


def _integer(value: Any, path: str) -> int:
    number = exact(value, path)
    if number != number.to_integral_value():
        raise ValidationError(path, "must be a whole number", value)
    return int(number)


def _choice(value: Any, path: str, spec: FieldSpec) -> str:
    key = str(value).strip().lower()
    for choice in spec.choices:
        if choice.lower() == key:
            return choice
    raise ValidationError(path, "must be one of: " + ", ".join(spec.choices), value)


def _scalar(value: Any, path: str, spec: FieldSpec) -> Any:
    kind = spec.type
    if kind == "number":
        return exact(value, path)
    if kind == "integer":
        return _integer(value, path)
    if kind in ("boolean", "attestation"):
        return _boolean(value, path)
    if kind == "choice":
        return _choice(value, path, spec)
    if kind == "date":
        return _date(value, path)
    if kind == "datetime":
        return _datetime(value, path)
    return str(value).strip()


class PatientSchema:
    """Checks raw records against a field catalogue (built once per protocol, used for every record)."""

    def __init__(self, catalogue: Mapping[str, FieldSpec]) -> None:
        self.catalogue = dict(catalogue)
        self._events = {path for path, spec in self.catalogue.items() if spec.type == "event"}
        self._alternatives = [group for group in UNIT_ALTERNATIVES if all(p in self.catalogue for p in group)]
        self._parts = {f"{path}.{tail}": (path, tail) for path in self._events for tail in ("occurred", "date")}

    def parse(self, record: Mapping[str, Any], where: str = "") -> PatientRecord:
        """Check and type one record; ``where`` prefixes error fields (``rows[3].``). Raises
        ``ValidationErrors`` listing every problem."""
        if not isinstance(record, Mapping):
            raise ValidationError(where.rstrip(".") or "patient", "must be an object of patient fields", record)
        flat = flatten(record)
        values: dict[str, Any] = {}
        entered: dict[str, Any] = {}
        events: dict[str, dict[str, Any]] = {}
        errors: list[ValidationError] = []
        catalogue = self.catalogue
        for path, raw in flat.items():
            if raw is None or raw == "" or (isinstance(raw, str) and not raw.strip()):
                continue
            try:
                spec = catalogue.get(path)
                if spec is not None and spec.type != "event":
                    values[path] = _scalar(raw, f"{where}{path}", spec)
                elif spec is not None:
                    events.setdefault(path, {})["short"] = raw
                elif path in self._parts:
                    head, tail = self._parts[path]
                    events.setdefault(head, {})[tail] = raw
                else:
                    raise ValidationError(f"{where}{path}", "is not a known patient field", raw)
                entered[path] = raw
            except ValidationError as exc:
                errors.append(exc)
        for path, parts in events.items():
            try:
                values[path] = self._event(path, parts, where)
            except ValidationError as exc:
                errors.append(exc)
        for group in self._alternatives:
            given = [p for p in group if p in values]
            if len(given) > 1:
                errors.append(ValidationError(f"{where}{given[1]}", f"give only one of {' or '.join(group)}",
                                              entered[given[1]]))
        if "screening_at" not in values and not any(e.field == f"{where}screening_at" for e in errors):
            errors.append(ValidationError(f"{where}screening_at", "is required", None))
        if errors:
            raise ValidationErrors(errors)
        return PatientRecord(values, entered)

    def _event(self, path: str, parts: dict[str, Any], where: str) -> Event:
        field = f"{where}{path}"
        if "short" in parts:
            if len(parts) > 1:
                raise ValidationError(field, "give either a short form or occurred/date, not both", parts["short"])
            raw = parts["short"]
            if isinstance(raw, bool) or (isinstance(raw, str) and raw.strip().lower() in _TRUE | _FALSE):
                return Event(_boolean(raw, field))
            return Event(True, _event_date(raw, field))
        occurred = _boolean(parts["occurred"], f"{field}.occurred") if "occurred" in parts else None
        when = _event_date(parts["date"], f"{field}.date") if "date" in parts else None
        if when is not None and occurred is False:
            raise ValidationError(f"{field}.date", "is given although occurred is false", parts["date"])
        if when is not None and occurred is None:
            occurred = True
        return Event(occurred, when)


def json_records(text: str) -> tuple[list[dict[str, Any]], bool]:
    """The records in JSON text and whether it held a single patient object. Accepts one patient (an object),
    a list of objects, or ``{"patients": [...]}``. Numbers keep the digits as written (``Decimal``)."""
    try:
        data = json.loads(text, parse_float=Decimal)
    except json.JSONDecodeError as exc:
        raise ValidationError("patients", f"is not valid JSON: {exc.msg} at line {exc.lineno}", None) from None
    except RecursionError:
        raise ValidationError("patients", "is not acceptable JSON: nested too deeply", None) from None
    except ValueError as exc:  # e.g. an integer of more digits than Python converts
        raise ValidationError("patients", f"is not acceptable JSON: {exc}", None) from None
    if isinstance(data, dict) and isinstance(data.get("patients"), list):
        data = data["patients"]
    elif isinstance(data, dict):
        return [data], True
    if isinstance(data, list) and all(isinstance(item, dict) for item in data):
        return list(data), False
    raise ValidationError("patients", "must be a JSON object or a list of objects", None)


def records_from_json(text: str) -> list[dict[str, Any]]:
    """One patient (a JSON object) or several (a JSON array of objects, or ``{"patients": [...]}``)."""
    return json_records(text)[0]


def records_from_csv(text: str) -> list[dict[str, Any]]:
    """One record per CSV row; the header row holds the dotted field paths. Cells stay text."""
    reader = csv.DictReader(io.StringIO(text, newline=""))
    rows: list[dict[str, Any]] = []
    number = 0
    try:
        if not reader.fieldnames:
            raise ValidationError("patients", "the CSV has no header row", None)
        for number, row in enumerate(reader, start=1):
            if None in row:
                raise ValidationError(f"rows[{number}]", "has more cells than the header", None)
            rows.append({k.strip(): v for k, v in row.items() if k is not None})
    except csv.Error as exc:
        where = f"rows[{number + 1}]" if number or reader.fieldnames else "patients"
        raise ValidationError(where, f"is not readable CSV: {exc}", None) from None
    return rows


def iter_csv_records(lines: Iterable[str]) -> Iterator[dict[str, Any]]:
    """Stream records from CSV lines (header first) without holding the whole file."""
    reader = csv.DictReader(lines)
    try:
        for row in reader:
            yield {k.strip(): v for k, v in row.items() if k is not None}
    except csv.Error as exc:
        raise ValidationError(f"rows[{reader.line_num}]", f"is not readable CSV: {exc}", None) from None


_JSON_TYPES: dict[str, dict[str, Any]] = {
    "number": {"type": ["number", "string"]},
    "integer": {"type": ["integer", "string"]},
    "boolean": {"type": ["boolean", "string"]},
    "attestation": {"type": ["boolean", "string"]},
    "text": {"type": ["string", "number"]},
    "date": {"type": "string", "format": "date"},
    "datetime": {"type": "string", "format": "date-time"},
}


def patient_json_schema(catalogue: Mapping[str, FieldSpec]) -> dict[str, Any]:
    """A JSON Schema (draft 2020-12) of the nested patient record for a field catalogue. It documents the
    structure; the authoritative checks (units, ranges, time zones) are made by :class:`PatientSchema`."""
    root: dict[str, Any] = {"type": "object", "properties": {}, "additionalProperties": False}
    for path, spec in sorted(catalogue.items()):
        node = root
        *parents, leaf = path.split(".")
        for part in parents:
            node = node["properties"].setdefault(part, {"type": "object", "properties": {},
                                                        "additionalProperties": False})
        if spec.type == "event":
            when = {"type": "string", "description": "date (YYYY-MM-DD) or date-time"}
            body: dict[str, Any] = {"anyOf": [
                {"type": "object", "additionalProperties": False,
                 "properties": {"occurred": {"type": ["boolean", "string"]}, "date": when}},
                {"type": ["boolean", "string"]}]}
        elif spec.type == "choice":
            body = {"enum": list(spec.choices)}
        else:
            body = dict(_JSON_TYPES[spec.type])
        body["description"] = spec.description
        node["properties"][leaf] = body
    root["required"] = ["screening_at"]
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "title": "mexards patient record", **root}
