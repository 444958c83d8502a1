"""SQLAlchemy declarative base shared by every table. Row classes are separate from domain entities."""

from __future__ import annotations

from typing import Any, ClassVar

from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Base of all row classes. ``__audited__`` rows get an audit entry for every insert, update and delete."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    __audited__: ClassVar[bool] = True


def assign(row: Any, **values: Any) -> None:
    """Set each attribute of ``row`` whose value differs, so only real changes reach the database and audit."""
    for name, value in values.items():
        if name not in row.__dict__ or getattr(row, name) != value:
            setattr(row, name, value)
