"""Reading HTML forms: fields as text, empty fields left out, ``datetime-local`` values (no zone) read as UTC
as the labels say, and field errors gathered by field name for inline display next to each input."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import Request

from mexards.domain.errors import ValidationError, ValidationErrors


async def form_fields(request: Request) -> dict[str, str]:
    """Every non-empty text field of the submitted form (the CSRF token left out)."""
    form = await request.form()
    fields: dict[str, str] = {}
    for key, value in form.multi_items():
        if key == "csrf_token" or not isinstance(value, str) or not value.strip():
            continue
        fields[key] = value.strip() if key not in fields else f"{fields[key]},{value.strip()}"
    return fields


async def form_lists(request: Request, name: str) -> list[str]:
    form = await request.form()
    return [v for v in form.getlist(name) if isinstance(v, str) and v.strip()]


def utc_text(value: str | None) -> str | None:
    """``2025-03-01T08:00`` (from a datetime-local input, UTC by the label) -> ISO 8601 with ``+00:00``."""
    if value is None:
        return None
    text = value.strip()
    if "T" in text and not (text.endswith("Z") or "+" in text[10:] or "-" in text[10:]):
        return text + "+00:00"
    return text


def utc_datetime(field: str, value: str | None) -> datetime | None:
    text = utc_text(value)
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValidationError(field, "must be a date and time, e.g. 2025-03-01T08:00 (UTC)", value) from None
    return moment.astimezone(UTC)


def field_errors(exc: ValidationError) -> dict[str, str]:
    """``{field: rule}`` of one or several validation errors (the first rule per field)."""
    errors = exc.errors if isinstance(exc, ValidationErrors) else [exc]
    found: dict[str, str] = {}
    for error in errors:
        found.setdefault(error.field, error.rule)
    return found


def nested(flat: dict[str, str]) -> dict[str, object]:
    """``{"a.b": 1}`` -> ``{"a": {"b": 1}}``."""
    tree: dict[str, object] = {}
    for path, value in flat.items():
        *parents, leaf = path.split(".")
        node = tree
        for part in parents:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                raise ValidationError(path, "conflicts with another field of the same name", value)
            node = child
        node[leaf] = value
    return tree
