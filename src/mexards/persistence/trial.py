"""The trial row: protocol identity and version, phase, status, database lock and the MTD that starts Phase 2.

One database holds one trial (the protocol id is the key, so a second trial is refused by the primary key).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from mexards.domain.errors import ConflictError, NotFoundError
from mexards.domain.trial import LockState, Trial, TrialPhase, TrialStatus
from mexards.persistence.column_type import UTCDateTime
from mexards.persistence.repository import SqlRepository
from mexards.persistence.rows import Base, assign


class TrialRow(Base):
    __tablename__ = "trial"

    protocol_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    protocol_version: Mapped[str] = mapped_column(String(40))
    phase: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(40))
    lock_state: Mapped[str] = mapped_column(String(20))
    mtd_dose_particles: Mapped[int | None] = mapped_column(BigInteger)
    mtd_declaration_id: Mapped[str | None] = mapped_column(String(64))
    status_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    locked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


def trial_to_row(trial: Trial, row: TrialRow | None = None) -> TrialRow:
    """Copy ``trial`` onto ``row`` (a new row if none), assigning only the columns that changed."""
    row = row if row is not None else TrialRow(protocol_id=trial.protocol_id)
    assign(
        row,
        protocol_version=trial.protocol_version,
        phase=trial.phase.value,
        status=trial.status.value,
        lock_state=trial.lock_state.value,
        mtd_dose_particles=trial.mtd_dose_particles,
        mtd_declaration_id=trial.mtd_declaration_id,
        status_changed_at=trial.status_changed_at,
        locked_at=trial.locked_at,
    )
    return row


def trial_from_row(row: TrialRow) -> Trial:
    return Trial(
        protocol_id=row.protocol_id,
        protocol_version=row.protocol_version,
        phase=TrialPhase(row.phase),
        status=TrialStatus(row.status),
        lock_state=LockState(row.lock_state),
        mtd_dose_particles=row.mtd_dose_particles,
        mtd_declaration_id=row.mtd_declaration_id,
        status_changed_at=row.status_changed_at,
        locked_at=row.locked_at,
    )


class SqlTrialRepository(SqlRepository):
    """The one trial of this database."""

    def find(self) -> Trial | None:
        rows = self._read(TrialRow)
        if len(rows) > 1:
            raise ConflictError("this database holds more than one trial")
        return trial_from_row(rows[0]) if rows else None

    def get(self) -> Trial:
        trial = self.find()
        if trial is None:
            raise NotFoundError("no trial has been started in this database")
        return trial

    def add(self, trial: Trial) -> None:
        if self.find() is not None:
            raise ConflictError("a trial has already been started in this database")
        self._insert(TrialRow, trial.protocol_id, trial_to_row(trial), f"trial {trial.protocol_id}")

    def update(self, trial: Trial) -> None:
        trial_to_row(trial, self._existing(TrialRow, trial.protocol_id, f"trial {trial.protocol_id}"))
