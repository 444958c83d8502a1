"""Data query rows and their conversation (open -> answered -> closed, re-opened with a reason)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text, select
from sqlalchemy.orm import Mapped, mapped_column

from mexards.domain.identifier import ParticipantId, SiteId, UserId
from mexards.domain.query import Query, QueryMessage, QueryState
from mexards.domain.role import Role
from mexards.persistence.column_type import UTCDateTime
from mexards.persistence.repository import SqlRepository
from mexards.persistence.rows import Base, assign


class DataQueryRow(Base):
    __tablename__ = "data_query"

    query_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    participant_id: Mapped[str] = mapped_column(ForeignKey("participant.participant_id"), index=True)
    site_id: Mapped[str] = mapped_column(String(64), index=True)
    field_path: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    raised_by: Mapped[str] = mapped_column(String(64))
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime)
    state: Mapped[str] = mapped_column(String(20), index=True)
    state_changed_at: Mapped[datetime] = mapped_column(UTCDateTime)


class DataQueryMessageRow(Base):
    __tablename__ = "data_query_message"

    query_id: Mapped[str] = mapped_column(ForeignKey("data_query.query_id"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    action: Mapped[str] = mapped_column(String(20))
    author: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(40))
    text: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime)


def query_to_row(query: Query, row: DataQueryRow | None = None) -> DataQueryRow:
    row = row if row is not None else DataQueryRow(query_id=query.query_id)
    assign(
        row,
        participant_id=query.participant_id.value,
        site_id=query.site_id.value,
        field_path=query.field_path,
        text=query.text,
        raised_by=query.raised_by.value,
        raised_at=query.raised_at,
        state=query.state.value,
        state_changed_at=query.state_changed_at,
    )
    return row


def new_message_rows(query: Query, existing: list[DataQueryMessageRow]) -> list[DataQueryMessageRow]:
    """Rows for the messages added since ``existing`` was stored (a conversation is only ever appended to)."""
    return [
        DataQueryMessageRow(
            query_id=query.query_id,
            position=position,
            action=m.action,
            author=m.author.value,
            role=m.role.value,
            text=m.text,
            at=m.at,
        )
        for position, m in enumerate(query.messages[len(existing) :], start=len(existing) + 1)
    ]


def query_from_row(row: DataQueryRow, messages: list[DataQueryMessageRow]) -> Query:
    return Query(
        query_id=row.query_id,
        participant_id=ParticipantId(row.participant_id),
        site_id=SiteId(row.site_id),
        field_path=row.field_path,
        text=row.text,
        raised_by=UserId(row.raised_by),
        raised_at=row.raised_at,
        state=QueryState(row.state),
        messages=[
            QueryMessage(m.action, UserId(m.author), Role(m.role), m.text, m.at)
            for m in sorted(messages, key=lambda m: m.position)
        ],
        state_changed_at=row.state_changed_at,
    )


class SqlQueryRepository(SqlRepository):
    def _messages(self, query_id: str) -> list[DataQueryMessageRow]:
        return self._rows(select(DataQueryMessageRow).where(DataQueryMessageRow.query_id == query_id))

    def get(self, query_id: str) -> Query:
        row = self._existing(DataQueryRow, query_id, f"query {query_id}")
        return query_from_row(row, self._messages(query_id))

    def add(self, query: Query) -> None:
        self._insert(DataQueryRow, query.query_id, query_to_row(query), f"query {query.query_id}")
        self.session.add_all(new_message_rows(query, []))
        self._uow.flush_inserts()

    def update(self, query: Query) -> None:
        query_to_row(query, self._existing(DataQueryRow, query.query_id, f"query {query.query_id}"))
        self.session.add_all(new_message_rows(query, self._messages(query.query_id)))

    def list(self, participant_id: ParticipantId | None = None, state: QueryState | None = None) -> list[Query]:
        statement = select(DataQueryRow).order_by(DataQueryRow.raised_at, DataQueryRow.query_id)
        if participant_id is not None:
            statement = statement.where(DataQueryRow.participant_id == participant_id.value)
        if state is not None:
            statement = statement.where(DataQueryRow.state == QueryState(state).value)
        rows = self._rows(statement)
        messages: dict[str, list[DataQueryMessageRow]] = {}
        if rows:
            keys = [row.query_id for row in rows]
            for message in self._rows(select(DataQueryMessageRow).where(DataQueryMessageRow.query_id.in_(keys))):
                messages.setdefault(message.query_id, []).append(message)
        return [query_from_row(row, messages.get(row.query_id, [])) for row in rows]
