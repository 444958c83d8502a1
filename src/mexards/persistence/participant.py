"""Participant rows (lifecycle state, consent, Phase 1 assignment, randomization record) and the screening log.

The randomization record keeps the stratum, sequence number and kit code only; the arm stays in the sealed
allocation list (``allocation_slot``), readable by unblinded roles alone (``edc-and-standards.md`` BLD-2).
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, datetime

from sqlalchemy import BigInteger, Date, ForeignKey, Integer, String, Text, select
from sqlalchemy.orm import Mapped, mapped_column

from mexards.domain.dose import DoseLevel
from mexards.domain.identifier import ParticipantId, SiteId, UserId
from mexards.domain.participant import (
    Consent,
    ConsentSigner,
    Participant,
    ParticipantState,
    RandomizationRecord,
)
from mexards.persistence.column_type import UTCDateTime, from_json_text, json_text
from mexards.persistence.repository import SqlRepository
from mexards.persistence.rows import Base, assign
from mexards.services.record import ScreeningCriterion, ScreeningLogEntry


class ParticipantRow(Base):
    __tablename__ = "participant"

    participant_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    site_id: Mapped[str] = mapped_column(String(64), index=True)
    screened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    state: Mapped[str] = mapped_column(String(30), index=True)
    state_changed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    screen_failure_reasons: Mapped[str] = mapped_column(Text)
    consent_signed_by: Mapped[str | None] = mapped_column(String(40))
    consent_version: Mapped[str | None] = mapped_column(String(40))
    consented_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    consent_representative_relationship: Mapped[str | None] = mapped_column(String(100))
    enrolled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cohort_number: Mapped[int | None] = mapped_column(Integer)
    dose_level_index: Mapped[int | None] = mapped_column(Integer)
    dose_level_particles: Mapped[int | None] = mapped_column(BigInteger)
    randomization_stratum: Mapped[str | None] = mapped_column(String(500))
    randomization_sequence_number: Mapped[int | None] = mapped_column(Integer)
    randomization_kit_code: Mapped[str | None] = mapped_column(String(40), unique=True)
    randomized_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    dosed_days: Mapped[str] = mapped_column(Text)
    first_dose_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    end_reason: Mapped[str | None] = mapped_column(Text)
    died_on: Mapped[date | None] = mapped_column(Date)
    unblinded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    dosing_days: Mapped[int] = mapped_column(Integer)


def participant_to_row(participant: Participant, row: ParticipantRow | None = None) -> ParticipantRow:
    """Copy ``participant`` onto ``row`` (a new row if none), assigning only the columns that changed."""
    row = row if row is not None else ParticipantRow(participant_id=participant.participant_id.value)
    consent, randomization, level = participant.consent, participant.randomization, participant.dose_level
    assign(
        row,
        site_id=participant.site_id.value,
        screened_at=participant.screened_at,
        state=participant.state.value,
        state_changed_at=participant.state_changed_at,
        screen_failure_reasons=json_text(list(participant.screen_failure_reasons)),
        consent_signed_by=consent.signed_by.value if consent else None,
        consent_version=consent.consent_version if consent else None,
        consented_at=consent.consented_at if consent else None,
        consent_representative_relationship=consent.representative_relationship if consent else None,
        enrolled_at=participant.enrolled_at,
        cohort_number=participant.cohort_number,
        dose_level_index=level.index if level else None,
        dose_level_particles=level.dose_particles if level else None,
        randomization_stratum=randomization.stratum if randomization else None,
        randomization_sequence_number=randomization.sequence_number if randomization else None,
        randomization_kit_code=randomization.kit_code if randomization else None,
        randomized_at=randomization.randomized_at if randomization else None,
        dosed_days=json_text(list(participant.dosed_days)),
        first_dose_at=participant.first_dose_at,
        end_reason=participant.end_reason,
        died_on=participant.died_on,
        unblinded_at=participant.unblinded_at,
        dosing_days=participant.dosing_days,
    )
    return row


def participant_from_row(row: ParticipantRow) -> Participant:
    consent = None
    if row.consent_signed_by is not None:
        assert row.consent_version is not None and row.consented_at is not None
        consent = Consent(
            ConsentSigner(row.consent_signed_by),
            row.consent_version,
            row.consented_at,
            row.consent_representative_relationship,
        )
    randomization = None
    if row.randomization_stratum is not None:
        assert row.randomization_sequence_number is not None and row.randomization_kit_code is not None
        assert row.randomized_at is not None
        randomization = RandomizationRecord(
            row.randomization_stratum, row.randomization_sequence_number, row.randomization_kit_code, row.randomized_at
        )
    level = None
    if row.dose_level_index is not None:
        assert row.dose_level_particles is not None
        level = DoseLevel(row.dose_level_index, row.dose_level_particles)
    return Participant(
        participant_id=ParticipantId(row.participant_id),
        site_id=SiteId(row.site_id),
        screened_at=row.screened_at,
        state=ParticipantState(row.state),
        state_changed_at=row.state_changed_at,
        screen_failure_reasons=tuple(from_json_text(row.screen_failure_reasons)),
        consent=consent,
        enrolled_at=row.enrolled_at,
        cohort_number=row.cohort_number,
        dose_level=level,
        randomization=randomization,
        dosed_days=tuple(from_json_text(row.dosed_days)),
        first_dose_at=row.first_dose_at,
        end_reason=row.end_reason,
        died_on=row.died_on,
        unblinded_at=row.unblinded_at,
        dosing_days=row.dosing_days,
    )


class ScreeningLogRow(Base):
    """One screened patient: verdict, per-criterion outcomes and reasons (CONSORT 2010 item 13a)."""

    __tablename__ = "screening_log"

    participant_id: Mapped[str] = mapped_column(String(64), ForeignKey("participant.participant_id"), primary_key=True)
    site_id: Mapped[str] = mapped_column(String(64), index=True)
    screened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    screened_by: Mapped[str] = mapped_column(String(64))
    protocol_id: Mapped[str] = mapped_column(String(100))
    protocol_version: Mapped[str] = mapped_column(String(40))
    verdict: Mapped[str] = mapped_column(String(20), index=True)
    criteria: Mapped[str] = mapped_column(Text)
    stratification: Mapped[str] = mapped_column(Text)
    warnings: Mapped[str] = mapped_column(Text)


_CRITERION_FIELDS = ("criterion_id", "kind", "status", "reason", "fails")


def screening_to_row(entry: ScreeningLogEntry, row: ScreeningLogRow | None = None) -> ScreeningLogRow:
    row = row if row is not None else ScreeningLogRow(participant_id=entry.participant_id.value)
    assign(
        row,
        site_id=entry.site_id.value,
        screened_at=entry.screened_at,
        screened_by=entry.screened_by.value,
        protocol_id=entry.protocol_id,
        protocol_version=entry.protocol_version,
        verdict=entry.verdict,
        criteria=json_text([{name: getattr(c, name) for name in _CRITERION_FIELDS} for c in entry.criteria]),
        stratification=json_text(dict(entry.stratification)),
        warnings=json_text(list(entry.warnings)),
    )
    return row


def screening_from_row(row: ScreeningLogRow) -> ScreeningLogEntry:
    return ScreeningLogEntry(
        participant_id=ParticipantId(row.participant_id),
        site_id=SiteId(row.site_id),
        screened_at=row.screened_at,
        screened_by=UserId(row.screened_by),
        protocol_id=row.protocol_id,
        protocol_version=row.protocol_version,
        verdict=row.verdict,
        criteria=tuple(ScreeningCriterion(**item) for item in from_json_text(row.criteria)),
        stratification=from_json_text(row.stratification),
        warnings=tuple(from_json_text(row.warnings)),
    )


class SqlParticipantRepository(SqlRepository):
    def find(self, participant_id: ParticipantId) -> Participant | None:
        rows = self._read(ParticipantRow, participant_id=participant_id.value)
        return participant_from_row(rows[0]) if rows else None

    def get(self, participant_id: ParticipantId) -> Participant:
        return participant_from_row(
            self._existing(ParticipantRow, participant_id.value, f"participant {participant_id}")
        )

    def add(self, participant: Participant) -> None:
        key = participant.participant_id.value
        self._insert(ParticipantRow, key, participant_to_row(participant), f"participant {key}")

    def update(self, participant: Participant) -> None:
        key = participant.participant_id.value
        participant_to_row(participant, self._existing(ParticipantRow, key, f"participant {key}"))

    def list(
        self,
        site_ids: Collection[SiteId] | None = None,
        states: Collection[ParticipantState] | None = None,
    ) -> list[Participant]:
        statement = select(ParticipantRow).order_by(ParticipantRow.participant_id)
        if site_ids is not None:
            statement = statement.where(ParticipantRow.site_id.in_([s.value for s in site_ids]))
        if states is not None:
            statement = statement.where(ParticipantRow.state.in_([ParticipantState(s).value for s in states]))
        return [participant_from_row(row) for row in self._rows(statement)]


class SqlScreeningLogRepository(SqlRepository):
    def add(self, entry: ScreeningLogEntry) -> None:
        key = entry.participant_id.value
        self._insert(ScreeningLogRow, key, screening_to_row(entry), f"screening of {key}")

    def update(self, entry: ScreeningLogEntry) -> None:
        key = entry.participant_id.value
        screening_to_row(entry, self._existing(ScreeningLogRow, key, f"screening of {key}"))

    def find(self, participant_id: ParticipantId) -> ScreeningLogEntry | None:
        row = self._row(ScreeningLogRow, participant_id.value)
        return screening_from_row(row) if row is not None else None

    def list(self, site_ids: Collection[SiteId] | None = None) -> list[ScreeningLogEntry]:
        statement = select(ScreeningLogRow).order_by(ScreeningLogRow.screened_at, ScreeningLogRow.participant_id)
        if site_ids is not None:
            statement = statement.where(ScreeningLogRow.site_id.in_([s.value for s in site_ids]))
        return [screening_from_row(row) for row in self._rows(statement)]
