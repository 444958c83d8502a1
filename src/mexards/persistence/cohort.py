"""Phase 1 rows: cohorts and their members, the dose decision behind each cohort, and DLT adjudications."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Integer, String, Text, select
from sqlalchemy.orm import Mapped, mapped_column

from mexards.domain.cohort import Cohort, CohortState, DLTAdjudication
from mexards.domain.dose import DoseLevel
from mexards.domain.identifier import ParticipantId, UserId
from mexards.persistence.column_type import UTCDateTime, from_json_text, json_text
from mexards.persistence.repository import SqlRepository
from mexards.persistence.rows import Base, assign
from mexards.services.record import DoseDecision


class CohortRow(Base):
    __tablename__ = "cohort"

    cohort_number: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    dose_level_index: Mapped[int] = mapped_column(Integer)
    dose_particles: Mapped[int] = mapped_column(BigInteger)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    capacity: Mapped[int | None] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(20))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    dlt_window_ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    evaluable_participants: Mapped[int | None] = mapped_column(Integer)
    dlt_participants: Mapped[int | None] = mapped_column(Integer)


class CohortMemberRow(Base):
    """A participant's place in a cohort (a participant belongs to at most one cohort)."""

    __tablename__ = "cohort_member"

    cohort_number: Mapped[int] = mapped_column(ForeignKey("cohort.cohort_number"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    participant_id: Mapped[str] = mapped_column(ForeignKey("participant.participant_id"), unique=True)


def cohort_to_row(cohort: Cohort, row: CohortRow | None = None) -> CohortRow:
    row = row if row is not None else CohortRow(cohort_number=cohort.cohort_number)
    assign(
        row,
        dose_level_index=cohort.dose_level.index,
        dose_particles=cohort.dose_level.dose_particles,
        opened_at=cohort.opened_at,
        capacity=cohort.capacity,
        state=cohort.state.value,
        closed_at=cohort.closed_at,
        dlt_window_ends_at=cohort.dlt_window_ends_at,
        reviewed_at=cohort.reviewed_at,
        evaluable_participants=cohort.evaluable_participants,
        dlt_participants=cohort.dlt_participants,
    )
    return row


def new_member_rows(cohort: Cohort, existing: list[CohortMemberRow]) -> list[CohortMemberRow]:
    """Rows for the members added since ``existing`` was stored (members are only ever appended)."""
    stored = [m.participant_id for m in sorted(existing, key=lambda m: m.position)]
    current = [p.value for p in cohort.participant_ids]
    if current[: len(stored)] != stored:
        raise ValueError(f"cohort {cohort.cohort_number}: stored members may not be removed or reordered")
    return [
        CohortMemberRow(cohort_number=cohort.cohort_number, position=position, participant_id=participant_id)
        for position, participant_id in enumerate(current[len(stored) :], start=len(stored) + 1)
    ]


def cohort_from_row(row: CohortRow, members: list[CohortMemberRow]) -> Cohort:
    return Cohort(
        cohort_number=row.cohort_number,
        dose_level=DoseLevel(row.dose_level_index, row.dose_particles),
        opened_at=row.opened_at,
        capacity=row.capacity,
        participant_ids=[ParticipantId(m.participant_id) for m in sorted(members, key=lambda m: m.position)],
        state=CohortState(row.state),
        closed_at=row.closed_at,
        dlt_window_ends_at=row.dlt_window_ends_at,
        reviewed_at=row.reviewed_at,
        evaluable_participants=row.evaluable_participants,
        dlt_participants=row.dlt_participants,
    )


class DoseDecisionRow(Base):
    """Why a cohort was opened at its dose: the design's recommendation and any override (with its reason)."""

    __tablename__ = "dose_decision"

    cohort_number: Mapped[int] = mapped_column(ForeignKey("cohort.cohort_number"), primary_key=True)
    dose_level_index: Mapped[int] = mapped_column(Integer)
    recommended_dose_index: Mapped[int | None] = mapped_column(Integer)
    design: Mapped[str] = mapped_column(String(200))
    design_reason: Mapped[str] = mapped_column(Text)
    decided_by: Mapped[str] = mapped_column(String(64))
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime)
    override_reason: Mapped[str | None] = mapped_column(Text)
    window_override_reason: Mapped[str | None] = mapped_column(Text)


def decision_to_row(decision: DoseDecision, row: DoseDecisionRow | None = None) -> DoseDecisionRow:
    row = row if row is not None else DoseDecisionRow(cohort_number=decision.cohort_number)
    assign(
        row,
        dose_level_index=decision.dose_level_index,
        recommended_dose_index=decision.recommended_dose_index,
        design=decision.design,
        design_reason=decision.design_reason,
        decided_by=decision.decided_by.value,
        decided_at=decision.decided_at,
        override_reason=decision.override_reason,
        window_override_reason=decision.window_override_reason,
    )
    return row


def decision_from_row(row: DoseDecisionRow) -> DoseDecision:
    return DoseDecision(
        cohort_number=row.cohort_number,
        dose_level_index=row.dose_level_index,
        recommended_dose_index=row.recommended_dose_index,
        design=row.design,
        design_reason=row.design_reason,
        decided_by=UserId(row.decided_by),
        decided_at=row.decided_at,
        override_reason=row.override_reason,
        window_override_reason=row.window_override_reason,
    )


class DLTAdjudicationRow(Base):
    __tablename__ = "dlt_adjudication"

    adjudication_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    participant_id: Mapped[str] = mapped_column(ForeignKey("participant.participant_id"), index=True)
    cohort_number: Mapped[int] = mapped_column(Integer, index=True)
    proposed_is_dlt: Mapped[bool] = mapped_column(Boolean)
    rule: Mapped[str] = mapped_column(Text)
    proposed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    adverse_event_ids: Mapped[str] = mapped_column(Text)
    is_dlt: Mapped[bool | None] = mapped_column(Boolean)
    evaluable: Mapped[bool | None] = mapped_column(Boolean)
    confirmed_by: Mapped[str | None] = mapped_column(String(64))
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    override_reason: Mapped[str | None] = mapped_column(Text)


def adjudication_to_row(item: DLTAdjudication, row: DLTAdjudicationRow | None = None) -> DLTAdjudicationRow:
    row = row if row is not None else DLTAdjudicationRow(adjudication_id=item.adjudication_id)
    assign(
        row,
        participant_id=item.participant_id.value,
        cohort_number=item.cohort_number,
        proposed_is_dlt=item.proposed_is_dlt,
        rule=item.rule,
        proposed_at=item.proposed_at,
        adverse_event_ids=json_text(list(item.adverse_event_ids)),
        is_dlt=item.is_dlt,
        evaluable=item.evaluable,
        confirmed_by=item.confirmed_by.value if item.confirmed_by else None,
        confirmed_at=item.confirmed_at,
        override_reason=item.override_reason,
    )
    return row


def adjudication_from_row(row: DLTAdjudicationRow) -> DLTAdjudication:
    return DLTAdjudication(
        adjudication_id=row.adjudication_id,
        participant_id=ParticipantId(row.participant_id),
        cohort_number=row.cohort_number,
        proposed_is_dlt=row.proposed_is_dlt,
        rule=row.rule,
        proposed_at=row.proposed_at,
        adverse_event_ids=tuple(from_json_text(row.adverse_event_ids)),
        is_dlt=row.is_dlt,
        evaluable=row.evaluable,
        confirmed_by=UserId(row.confirmed_by) if row.confirmed_by else None,
        confirmed_at=row.confirmed_at,
        override_reason=row.override_reason,
    )


class SqlCohortRepository(SqlRepository):
    def _members(self, cohort_number: int) -> list[CohortMemberRow]:
        return self._rows(select(CohortMemberRow).where(CohortMemberRow.cohort_number == cohort_number))

    def get(self, cohort_number: int) -> Cohort:
        row = self._existing(CohortRow, cohort_number, f"cohort {cohort_number}")
        return cohort_from_row(row, self._members(cohort_number))

    def add(self, cohort: Cohort) -> None:
        number = cohort.cohort_number
        self._insert(CohortRow, number, cohort_to_row(cohort), f"cohort {number}")
        self.session.add_all(new_member_rows(cohort, []))
        self._uow.flush_inserts()

    def update(self, cohort: Cohort) -> None:
        number = cohort.cohort_number
        cohort_to_row(cohort, self._existing(CohortRow, number, f"cohort {number}"))
        self.session.add_all(new_member_rows(cohort, self._members(number)))

    def list(self) -> list[Cohort]:
        members: dict[int, list[CohortMemberRow]] = {}
        for member in self._rows(select(CohortMemberRow)):
            members.setdefault(member.cohort_number, []).append(member)
        rows = self._rows(select(CohortRow).order_by(CohortRow.cohort_number))
        return [cohort_from_row(row, members.get(row.cohort_number, [])) for row in rows]


class SqlDoseDecisionRepository(SqlRepository):
    def add(self, decision: DoseDecision) -> None:
        number = decision.cohort_number
        self._insert(DoseDecisionRow, number, decision_to_row(decision), f"dose decision of cohort {number}")

    def list(self) -> list[DoseDecision]:
        return [
            decision_from_row(r) for r in self._rows(select(DoseDecisionRow).order_by(DoseDecisionRow.cohort_number))
        ]


class SqlDLTAdjudicationRepository(SqlRepository):
    def get(self, adjudication_id: str) -> DLTAdjudication:
        return adjudication_from_row(
            self._existing(DLTAdjudicationRow, adjudication_id, f"DLT adjudication {adjudication_id}")
        )

    def add(self, adjudication: DLTAdjudication) -> None:
        key = adjudication.adjudication_id
        self._insert(DLTAdjudicationRow, key, adjudication_to_row(adjudication), f"DLT adjudication {key}")

    def update(self, adjudication: DLTAdjudication) -> None:
        key = adjudication.adjudication_id
        adjudication_to_row(adjudication, self._existing(DLTAdjudicationRow, key, f"DLT adjudication {key}"))

    def list(
        self, cohort_number: int | None = None, participant_id: ParticipantId | None = None
    ) -> list[DLTAdjudication]:
        statement = select(DLTAdjudicationRow).order_by(
            DLTAdjudicationRow.proposed_at, DLTAdjudicationRow.adjudication_id
        )
        if cohort_number is not None:
            statement = statement.where(DLTAdjudicationRow.cohort_number == cohort_number)
        if participant_id is not None:
            statement = statement.where(DLTAdjudicationRow.participant_id == participant_id.value)
        return [adjudication_from_row(row) for row in self._rows(statement)]
