"""Adverse event rows: CTCAE grade, seriousness criteria, relatedness, expectedness and the reporting times."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text, select
from sqlalchemy.orm import Mapped, mapped_column

from mexards.domain.adverse_event import (
    AdverseEvent,
    CTCAEGrade,
    Expectedness,
    Relatedness,
    SeriousnessCriterion,
)
from mexards.domain.identifier import ParticipantId
from mexards.persistence.column_type import UTCDateTime, from_json_text, json_text
from mexards.persistence.repository import SqlRepository
from mexards.persistence.rows import Base, assign


class AdverseEventRow(Base):
    __tablename__ = "adverse_event"

    adverse_event_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    participant_id: Mapped[str] = mapped_column(ForeignKey("participant.participant_id"), index=True)
    term: Mapped[str] = mapped_column(String(200))
    ctcae_grade: Mapped[int] = mapped_column(Integer)
    onset_at: Mapped[datetime] = mapped_column(UTCDateTime)
    investigator_aware_at: Mapped[datetime] = mapped_column(UTCDateTime)
    relatedness: Mapped[str] = mapped_column(String(20))
    expectedness: Mapped[str] = mapped_column(String(20))
    seriousness: Mapped[str] = mapped_column(Text)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sponsor_received_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sponsor_reported_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    regulatory_reported_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


def adverse_event_to_row(event: AdverseEvent, row: AdverseEventRow | None = None) -> AdverseEventRow:
    row = row if row is not None else AdverseEventRow(adverse_event_id=event.adverse_event_id)
    assign(
        row,
        participant_id=event.participant_id.value,
        term=event.term,
        ctcae_grade=int(event.ctcae_grade),
        onset_at=event.onset_at,
        investigator_aware_at=event.investigator_aware_at,
        relatedness=event.relatedness.value,
        expectedness=event.expectedness.value,
        seriousness=json_text(sorted(c.value for c in event.seriousness)),
        resolved_at=event.resolved_at,
        sponsor_received_at=event.sponsor_received_at,
        sponsor_reported_at=event.sponsor_reported_at,
        regulatory_reported_at=event.regulatory_reported_at,
    )
    return row


def adverse_event_from_row(row: AdverseEventRow) -> AdverseEvent:
    return AdverseEvent(
        adverse_event_id=row.adverse_event_id,
        participant_id=ParticipantId(row.participant_id),
        term=row.term,
        ctcae_grade=CTCAEGrade(row.ctcae_grade),
        onset_at=row.onset_at,
        investigator_aware_at=row.investigator_aware_at,
        relatedness=Relatedness(row.relatedness),
        expectedness=Expectedness(row.expectedness),
        seriousness=frozenset(SeriousnessCriterion(c) for c in from_json_text(row.seriousness)),
        resolved_at=row.resolved_at,
        sponsor_received_at=row.sponsor_received_at,
        sponsor_reported_at=row.sponsor_reported_at,
        regulatory_reported_at=row.regulatory_reported_at,
    )


class SqlAdverseEventRepository(SqlRepository):
    def get(self, adverse_event_id: str) -> AdverseEvent:
        row = self._existing(AdverseEventRow, adverse_event_id, f"adverse event {adverse_event_id}")
        return adverse_event_from_row(row)

    def add(self, adverse_event: AdverseEvent) -> None:
        key = adverse_event.adverse_event_id
        self._insert(AdverseEventRow, key, adverse_event_to_row(adverse_event), f"adverse event {key}")

    def update(self, adverse_event: AdverseEvent) -> None:
        key = adverse_event.adverse_event_id
        adverse_event_to_row(adverse_event, self._existing(AdverseEventRow, key, f"adverse event {key}"))

    def list(self, participant_id: ParticipantId | None = None) -> list[AdverseEvent]:
        statement = select(AdverseEventRow).order_by(
            AdverseEventRow.investigator_aware_at, AdverseEventRow.adverse_event_id
        )
        if participant_id is not None:
            statement = statement.where(AdverseEventRow.participant_id == participant_id.value)
        return [adverse_event_from_row(row) for row in self._rows(statement)]
