"""Visit rows (planned study day, window, status) and CRF records (form, visit, values, derived values)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String, Text, UniqueConstraint, select
from sqlalchemy.orm import Mapped, mapped_column

from mexards.domain.identifier import ParticipantId, UserId
from mexards.domain.study_day import StudyDay
from mexards.domain.visit import Visit, VisitStatus, VisitWindow
from mexards.persistence.column_type import UTCDateTime, from_json_text, json_text
from mexards.persistence.repository import SqlRepository
from mexards.persistence.rows import Base, assign
from mexards.services.record import CRFRecord


class VisitRow(Base):
    __tablename__ = "visit"
    __table_args__ = (UniqueConstraint("participant_id", "visit_code"),)

    visit_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    participant_id: Mapped[str] = mapped_column(ForeignKey("participant.participant_id"), index=True)
    visit_code: Mapped[str] = mapped_column(String(64))
    planned_day: Mapped[int] = mapped_column(Integer)
    window_days_before: Mapped[int] = mapped_column(Integer)
    window_days_after: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20))
    actual_date: Mapped[date | None] = mapped_column(Date)
    within_window: Mapped[bool | None] = mapped_column(Boolean)
    missed_reason: Mapped[str | None] = mapped_column(Text)


def visit_to_row(visit: Visit, row: VisitRow | None = None) -> VisitRow:
    row = row if row is not None else VisitRow(visit_id=visit.visit_id)
    assign(
        row,
        participant_id=visit.participant_id.value,
        visit_code=visit.visit_code,
        planned_day=visit.planned_day.value,
        window_days_before=visit.window.days_before,
        window_days_after=visit.window.days_after,
        status=visit.status.value,
        actual_date=visit.actual_date,
        within_window=visit.within_window,
        missed_reason=visit.missed_reason,
    )
    return row


def visit_from_row(row: VisitRow) -> Visit:
    return Visit(
        visit_id=row.visit_id,
        participant_id=ParticipantId(row.participant_id),
        visit_code=row.visit_code,
        planned_day=StudyDay(row.planned_day),
        window=VisitWindow(row.window_days_before, row.window_days_after),
        status=VisitStatus(row.status),
        actual_date=row.actual_date,
        within_window=row.within_window,
        missed_reason=row.missed_reason,
    )


class CRFRecordRow(Base):
    """One form of one participant at one visit; each saved change raises ``version`` (the audit keeps the old)."""

    __tablename__ = "crf_record"
    __table_args__ = (UniqueConstraint("participant_id", "form_id", "visit_code"),)

    record_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    participant_id: Mapped[str] = mapped_column(ForeignKey("participant.participant_id"), index=True)
    form_id: Mapped[str] = mapped_column(String(64))
    form_version: Mapped[str] = mapped_column(String(40))
    visit_code: Mapped[str] = mapped_column(String(64))
    values: Mapped[str] = mapped_column(Text)
    units: Mapped[str] = mapped_column(Text)
    derived: Mapped[str] = mapped_column(Text)
    entered_by: Mapped[str] = mapped_column(String(64))
    entered_at: Mapped[datetime] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(Integer)
    changed_by: Mapped[str | None] = mapped_column(String(64))
    changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    change_reason: Mapped[str | None] = mapped_column(Text)


def crf_to_row(record: CRFRecord, row: CRFRecordRow | None = None) -> CRFRecordRow:
    row = row if row is not None else CRFRecordRow(record_id=record.record_id)
    assign(
        row,
        participant_id=record.participant_id.value,
        form_id=record.form_id,
        form_version=record.form_version,
        visit_code=record.visit_code,
        values=json_text(record.values),
        units=json_text(record.units),
        derived=json_text(record.derived),
        entered_by=record.entered_by.value,
        entered_at=record.entered_at,
        version=record.version,
        changed_by=record.changed_by.value if record.changed_by else None,
        changed_at=record.changed_at,
        change_reason=record.change_reason,
    )
    return row


def crf_from_row(row: CRFRecordRow) -> CRFRecord:
    return CRFRecord(
        record_id=row.record_id,
        participant_id=ParticipantId(row.participant_id),
        form_id=row.form_id,
        form_version=row.form_version,
        visit_code=row.visit_code,
        values=from_json_text(row.values),
        units=from_json_text(row.units),
        derived=from_json_text(row.derived),
        entered_by=UserId(row.entered_by),
        entered_at=row.entered_at,
        version=row.version,
        changed_by=UserId(row.changed_by) if row.changed_by else None,
        changed_at=row.changed_at,
        change_reason=row.change_reason,
    )


class SqlVisitRepository(SqlRepository):
    def get(self, visit_id: str) -> Visit:
        return visit_from_row(self._existing(VisitRow, visit_id, f"visit {visit_id}"))

    def add(self, visit: Visit) -> None:
        self._insert(VisitRow, visit.visit_id, visit_to_row(visit), f"visit {visit.visit_id}")

    def update(self, visit: Visit) -> None:
        visit_to_row(visit, self._existing(VisitRow, visit.visit_id, f"visit {visit.visit_id}"))

    def list(self, participant_id: ParticipantId | None = None) -> list[Visit]:
        statement = select(VisitRow).order_by(VisitRow.participant_id, VisitRow.planned_day, VisitRow.visit_code)
        if participant_id is not None:
            statement = statement.where(VisitRow.participant_id == participant_id.value)
        return [visit_from_row(row) for row in self._rows(statement)]


class SqlCRFRepository(SqlRepository):
    def get(self, record_id: str) -> CRFRecord:
        return crf_from_row(self._existing(CRFRecordRow, record_id, f"CRF record {record_id}"))

    def find(self, participant_id: ParticipantId, form_id: str, visit_code: str) -> CRFRecord | None:
        rows = self._read(
            CRFRecordRow, participant_id=participant_id.value, form_id=form_id, visit_code=visit_code
        )
        return crf_from_row(rows[0]) if rows else None

    def add(self, record: CRFRecord) -> None:
        self._insert(CRFRecordRow, record.record_id, crf_to_row(record), f"CRF record {record.record_id}")

    def update(self, record: CRFRecord) -> None:
        crf_to_row(record, self._existing(CRFRecordRow, record.record_id, f"CRF record {record.record_id}"))

    def list(self, participant_id: ParticipantId | None = None) -> list[CRFRecord]:
        statement = select(CRFRecordRow).order_by(CRFRecordRow.entered_at, CRFRecordRow.record_id)
        if participant_id is not None:
            statement = statement.where(CRFRecordRow.participant_id == participant_id.value)
        return [crf_from_row(row) for row in self._rows(statement)]
