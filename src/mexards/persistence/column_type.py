"""Column types that keep values exact and unambiguous on SQLite and PostgreSQL alike.

- ``UTCDateTime``: every ``*_at`` column holds a UTC instant (ICH E6(R3) 4.2.2(d)). PostgreSQL stores
  ``timestamptz``; SQLite has no time zones, so the UTC wall time is stored and UTC is attached on reading.
  Naive datetimes are refused rather than guessed.
- ``DecimalText``: exact decimals (volumes in mL) as their canonical text, because SQLite's NUMERIC affinity
  would round them through binary floating point.
- JSON values are stored as canonical text (sorted keys, compact) built by :func:`json_text`, so that the
  value written, the value read back and the value recorded in the audit trail compare equal.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import DateTime, Dialect, String
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime (naive values are refused)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value!r} refused: store timezone-aware UTC values")
        utc = value.astimezone(UTC)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class DecimalText(TypeDecorator[Decimal]):
    """An exact decimal kept as text (``"2.50"`` stays ``Decimal("2.50")``)."""

    impl = String(40)
    cache_ok = True

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> str | None:
        if value is None:
            return None
        if not isinstance(value, Decimal) or not value.is_finite():
            raise ValueError(f"{value!r} is not a finite Decimal")
        return str(value)

    def process_result_value(self, value: str | None, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        try:
            return Decimal(value)
        except InvalidOperation:
            raise ValueError(f"stored value {value!r} is not a decimal") from None


def json_text(value: Any) -> str:
    """The canonical JSON text stored in a JSON column."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def from_json_text(text: str | None) -> Any:
    """The value of a JSON column (``None`` for SQL NULL)."""
    return None if text is None else json.loads(text)
