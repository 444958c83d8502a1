"""Field validation shared by the domain: UTC timestamps, calendar dates, clinical times not in the future,
numbers written in ASCII digits, required text, enum members.

Every ``*_at`` value in the domain is a timezone-aware datetime normalised to UTC: ICH E6(R3) 4.2.2(d) asks
for unambiguous (UTC) timestamps in the audit trail, so naive datetimes are refused. Each failure is a
``ValidationError`` naming the field and the rule.

A clinical time entered by a user (a measurement, a screening, an onset, a consent, a dose...) has happened,
so it may not lie in the future. "Now" is always the unit of work's clock (``uow.clock.now()``), never the
wall clock, so that simulated and scripted trials keep their own time. Two allowances:

- :data:`CLOCK_SKEW_TOLERANCE` (5 minutes): the bedside device or the user's computer may run a little ahead
  of the server; a time up to 5 minutes ahead is taken as "now";
- a calendar date may be up to :data:`DATE_TOLERANCE` (one day) after the UTC date of "now", because a site in
  a time zone ahead of UTC (up to UTC+14:00) is already on the next day while the UTC date is still today (the
  rule visit dates follow, :meth:`mexards.domain.visit.Visit.record_done`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any, TypeVar

from mexards.domain.errors import ValidationError, ValidationErrors

CLOCK_SKEW_TOLERANCE = timedelta(minutes=5)
"""How far ahead of the unit of work's clock an entered clinical time may lie and still count as "now" (the
clocks of bedside devices and ward computers drift from the server's); later is "in the future" and refused."""

DATE_TOLERANCE = timedelta(days=1)
"""How far after the UTC date of "now" an entered calendar date may lie: sites east of Greenwich are a day ahead
for part of the UTC day (the largest offset in civil use is UTC+14:00, Line Islands, Kiribati; IANA time zone
database ``Pacific/Kiritimati``)."""

FUTURE_RULE = "must not be in the future"


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


def not_in_future(field: str, value: datetime, now: datetime) -> datetime:
    """Return ``value`` (unchanged) if it is not later than ``now`` plus :data:`CLOCK_SKEW_TOLERANCE`.

    ``now`` is the unit of work's clock. A naive ``value`` is refused like in :func:`utc_datetime`."""
    moment = utc_datetime(field, value)
    if moment > utc_datetime("now", now) + CLOCK_SKEW_TOLERANCE:
        raise ValidationError(field, FUTURE_RULE, value)
    return value


def latest_date(now: datetime) -> date:
    """The latest calendar date that is not in the future at ``now``: the UTC date plus :data:`DATE_TOLERANCE`."""
    return utc_datetime("now", now).date() + DATE_TOLERANCE


def date_not_in_future(field: str, value: date, now: datetime) -> date:
    """Return the calendar date ``value`` if it is not after :func:`latest_date` of ``now``."""
    day = calendar_date(field, value)
    if day > latest_date(now):
        raise ValidationError(field, FUTURE_RULE, value)
    return day


def times_not_in_future(times: Iterable[tuple[str, date | datetime | None]], now: datetime) -> None:
    """Check several ``(field, time)`` pairs at once (a datetime with :func:`not_in_future`, a date with
    :func:`date_not_in_future`, ``None`` skipped); every field in the future is reported (ValidationErrors)."""
    errors: list[ValidationError] = []
    for field, value in times:
        if value is None:
            continue
        try:
            if isinstance(value, datetime):
                not_in_future(field, value, now)
            else:
                date_not_in_future(field, value, now)
        except ValidationError as error:
            errors.append(error)
    if errors:
        raise errors[0] if len(errors) == 1 else ValidationErrors(errors)


_DECIMAL_TEXT = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
"""A plain decimal number in ASCII: optional sign, digits with an optional point, optional exponent."""

ASCII_DIGITS_RULE = "must be a number written with the digits 0-9"


def decimal_text(field: str, text: str) -> Decimal:
    """The number written in ``text`` (surrounding blanks ignored), exactly.

    Only the plain decimal notation in ASCII is a number here (``82``, ``-0.5``, ``7.5e1``): Python's
    ``Decimal()`` and ``int()`` also read other scripts' digits (full-width ``１２３``, Arabic-Indic ``١٢٣``),
    digit separators (``1_000``) and the words ``NaN`` and ``Infinity``; a clinical value is none of those.
    """
    stripped = text.strip()
    if not _DECIMAL_TEXT.fullmatch(stripped):
        rule = "must be a number" if stripped.isascii() else ASCII_DIGITS_RULE
        raise ValidationError(field, rule, text)
    try:
        return Decimal(stripped)
    except (InvalidOperation, ValueError):  # not expected after the pattern matched
        raise ValidationError(field, "must be a number", text) from None


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
