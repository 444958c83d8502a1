"""Administration rows: the dosing log (open-label particles in Phase 1, kit code only in Phase 2)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import BigInteger, ForeignKey, Integer, String, Text, UniqueConstraint, select
from sqlalchemy.orm import Mapped, mapped_column

from mexards.domain.administration import Administration, AdministrationStatus, Tolerance
from mexards.domain.identifier import ParticipantId
from mexards.domain.study_day import StudyDay
from mexards.persistence.column_type import DecimalText, UTCDateTime
from mexards.persistence.repository import SqlRepository
from mexards.persistence.rows import Base, assign


class AdministrationRow(Base):
    __tablename__ = "administration"
    __table_args__ = (UniqueConstraint("participant_id", "study_day"),)

    administration_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    participant_id: Mapped[str] = mapped_column(ForeignKey("participant.participant_id"), index=True)
    study_day: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20))
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    dose_particles: Mapped[int | None] = mapped_column(BigInteger)
    kit_code: Mapped[str | None] = mapped_column(String(40))
    volume_ml: Mapped[Decimal | None] = mapped_column(DecimalText)
    device: Mapped[str | None] = mapped_column(String(100))
    spo2_pre_percent: Mapped[int | None] = mapped_column(Integer)
    spo2_post_percent: Mapped[int | None] = mapped_column(Integer)
    tolerance: Mapped[str | None] = mapped_column(String(40))
    reason: Mapped[str | None] = mapped_column(Text)
    deviation: Mapped[str | None] = mapped_column(Text)


def administration_to_row(item: Administration, row: AdministrationRow | None = None) -> AdministrationRow:
    row = row if row is not None else AdministrationRow(administration_id=item.administration_id)
    assign(
        row,
        participant_id=item.participant_id.value,
        study_day=item.study_day.value,
        status=item.status.value,
        started_at=item.started_at,
        ended_at=item.ended_at,
        dose_particles=item.dose_particles,
        kit_code=item.kit_code,
        volume_ml=item.volume_ml,
        device=item.device,
        spo2_pre_percent=item.spo2_pre_percent,
        spo2_post_percent=item.spo2_post_percent,
        tolerance=item.tolerance.value if item.tolerance else None,
        reason=item.reason,
        deviation=item.deviation,
    )
    return row


def administration_from_row(row: AdministrationRow) -> Administration:
    return Administration(
        administration_id=row.administration_id,
        participant_id=ParticipantId(row.participant_id),
        study_day=StudyDay(row.study_day),
        status=AdministrationStatus(row.status),
        started_at=row.started_at,
        ended_at=row.ended_at,
        dose_particles=row.dose_particles,
        kit_code=row.kit_code,
        volume_ml=row.volume_ml,
        device=row.device,
        spo2_pre_percent=row.spo2_pre_percent,
        spo2_post_percent=row.spo2_post_percent,
        tolerance=Tolerance(row.tolerance) if row.tolerance else None,
        reason=row.reason,
        deviation=row.deviation,
    )


class SqlAdministrationRepository(SqlRepository):
    def add(self, administration: Administration) -> None:
        key = administration.administration_id
        self._insert(AdministrationRow, key, administration_to_row(administration), f"administration {key}")

    def update(self, administration: Administration) -> None:
        key = administration.administration_id
        administration_to_row(administration, self._existing(AdministrationRow, key, f"administration {key}"))

    def list(self, participant_id: ParticipantId | None = None) -> list[Administration]:
        statement = select(AdministrationRow).order_by(AdministrationRow.participant_id, AdministrationRow.study_day)
        if participant_id is not None:
            statement = statement.where(AdministrationRow.participant_id == participant_id.value)
        return [administration_from_row(row) for row in self._rows(statement)]
