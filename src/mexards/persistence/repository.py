"""What every SQL repository shares: the session of its unit of work, key look-ups, inserts that report a
duplicate key as a ConflictError, and reads that see the changes already made in the same unit of work."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol, TypeVar

from sqlalchemy import Engine, Executable, Row, Select, bindparam, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from mexards.domain.errors import ConflictError, NotFoundError

R = TypeVar("R")


class Flusher(Protocol):
    """The part of the unit of work a repository needs."""

    @property
    def session(self) -> Session: ...

    def flush_for_read(self) -> None: ...

    def flush_inserts(self) -> None: ...

    def insert_now(self, row: Any) -> bool: ...


def reads_outside_transactions(bind: Engine) -> bool:
    """True if a single read may run alone in autocommit on ``bind`` (PostgreSQL; SQLite's connections begin
    their transactions themselves)."""
    return bind.dialect.name == "postgresql"


def read_outside_transaction(
    bind: Engine, statement: Executable, parameters: Mapping[str, Any] | None = None
) -> Sequence[Row[Any]]:
    """The rows of one read-only ``statement``, run alone in autocommit: one round trip instead of three (BEGIN,
    the statement, ROLLBACK), and a single statement sees one consistent snapshot anyway. For a read that need
    not see a transaction's own changes, where :func:`reads_outside_transactions`."""
    with bind.connect() as connection:
        return connection.execution_options(isolation_level="AUTOCOMMIT").execute(statement, parameters).all()


class SqlRepository:
    """Base of the SQL repositories of one unit of work."""

    def __init__(self, uow: Flusher) -> None:
        self._uow = uow

    @property
    def session(self) -> Session:
        return self._uow.session

    def _row(self, cls: type[R], key: Any) -> R | None:
        self._uow.flush_for_read()
        return self.session.get(cls, key)

    def _existing(self, cls: type[R], key: Any, what: str) -> R:
        row = self._row(cls, key)
        if row is None:
            raise NotFoundError(f"{what} not found")
        return row

    def _insert(self, cls: type[Any], key: Any, row: Any, what: str) -> None:
        """Add a new row. A key already used is refused by the database's own constraints (a ConflictError naming
        ``what``), so no look-up is spent on it first; a key already loaded in this unit of work is refused here."""
        if identity_key(cls, key) in self.session.identity_map:
            raise ConflictError(f"{what} already exists")
        try:
            if not self._uow.insert_now(row):
                self.session.add(row)
                self._uow.flush_inserts()
        except ConflictError as error:
            raise ConflictError(f"{what} conflicts with a stored record (its key or a unique value is used)") from error

    def _rows(self, statement: Select[R]) -> list[R]:
        self._uow.flush_for_read()
        return list(self.session.scalars(statement))

    def _holds(self, cls: type[Any]) -> bool:
        """True if this unit of work has loaded or added a row of ``cls`` (its copy may differ from the stored one)."""
        return any(isinstance(obj, cls) for obj in self.session.identity_map.values()) or any(
            isinstance(obj, cls) for obj in self.session.new
        )

    def _read(self, cls: type[Any], **equal: Any) -> list[Any]:
        """The stored rows of ``cls`` whose columns have the ``equal`` values, for a look-up that only reads them:
        plain rows with the same attributes, without the ORM's bookkeeping, from a statement built once per
        shape (building one costs about as much as running it). If this unit of work holds rows of ``cls``, they
        are read through it instead, so that its own changes are seen."""
        if self._holds(cls):
            return self._rows(select(cls).filter_by(**equal))
        self._uow.flush_for_read()
        names = tuple(sorted(equal))
        statement = _PLAIN_READS.get((cls, names))
        if statement is None:
            table = cls.__table__
            statement = select(table).where(*(table.c[name] == bindparam(f"equal_{name}") for name in names))
            _PLAIN_READS[(cls, names)] = statement
        parameters = {f"equal_{name}": equal[name] for name in names}
        return list(self.session.connection().execute(statement, parameters))


_PLAIN_READS: dict[tuple[type[Any], tuple[str, ...]], Select[Any]] = {}
"""The statements of :meth:`SqlRepository._read`, by row class and the names of the columns compared."""
