"""Field validation shared by the domain: UTC timestamps, calendar dates, required text, enum members.

Every ``*_at`` value in the domain is a timezone-aware datetime normalised to UTC: ICH E6(R3) 4.2.2(d) asks
for unambiguous (UTC) timestamps in the audit trail, so naive datetimes are refused. Each failure is a
``ValidationError`` naming the field and the rule.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any, TypeVar

from mexards.domain.errors import ValidationError


def utc_datetime(field: str, value: Any) -> datetime:
    """Return ``value`` as a UTC datetime; refuse naive datetimes and anything that is not a datetime."""
    if not isinstance(value, datetime):
        raise ValidationError(field, "must be a timezone-aware datetime", value)
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValidationError(field, "must be timezone-aware (UTC)", value)
    return value.astimezone(UTC)


def optional_utc_datetime(field: str, value: Any) -> datetime | None:
    """Like :func:`utc_datetime` but lets ``None`` through."""
    return None if value is None else utc_datetime(field, value)


def calendar_date(field: str, value: Any) -> date:
    """Return ``value`` if it is a plain calendar date (a datetime is refused: use a ``*_at`` field)."""
    if not isinstance(value, date) or isinstance(value, datetime):
        raise ValidationError(field, "must be a calendar date", value)
    return value


def not_before(field: str, value: datetime, earliest: datetime | None, earlier_field: str) -> None:
    """Refuse a timestamp that precedes an earlier step of the same record."""
    if earliest is not None and value < earliest:
        raise ValidationError(field, f"must not be before {earlier_field}", value)


def required_text(field: str, value: Any, max_length: int = 2000) -> str:
    """Return stripped non-empty text no longer than ``max_length`` characters."""
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(field, "is required", value)
    text = value.strip()
    if len(text) > max_length:
        raise ValidationError(field, f"must be at most {max_length} characters", value)
    return text


E = TypeVar("E", bound=StrEnum)


def enum_member(kind: type[E], field: str, value: object) -> E:
    """Return ``kind(value)``; an unknown value is a ValidationError listing the allowed values."""
    rule = f"must be one of {', '.join(m.value for m in kind)}"
    if not isinstance(value, str):
        raise ValidationError(field, rule, value)
    try:
        return kind(value)
    except ValueError:
        raise ValidationError(field, rule, value) from None
