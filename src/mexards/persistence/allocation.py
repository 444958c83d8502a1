"""The sealed Phase 2 allocation list, its slots, and the slots used, with atomic next-slot allocation.

Tables: ``allocation_list`` (scheme, strata, recorded seed and SHA-256 seal), ``allocation_slot`` (one row
per slot of the list, written once when the list is stored and never changed) and ``slot_use`` (a slot given
to a participant). ``slot_use`` has the slot as its primary key (no slot used twice) and a unique
participant (one slot per participant), so the database itself refuses a double allocation.

Atomicity (ICH E9 2.3.2: the next free number of the stratum's schedule; ``edc-and-standards.md`` RND-5):
:meth:`SqlAllocationRepository.next_free_slot` serializes allocations per stratum until the transaction ends.
On PostgreSQL it takes a transaction-scoped advisory lock on a hash of the list id and stratum (the audit
chain's lock is taken only at commit, last, so the two never deadlock); the next transaction of the same
stratum waits and then sees the slot just used. On SQLite every transaction is
``BEGIN IMMEDIATE`` (one writer at a time), which serializes allocations already.

Cheap reads for the services' seal check (``find_seal``, ``used_count`` of the port):
:meth:`SqlAllocationRepository.find_seal` reads the header's id and seal only, and
:meth:`SqlAllocationRepository.used_count` counts a stratum's used slots, so that an allocation in a process that
has already verified the list reads no other slot than the one it hands out.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy import ForeignKey, ForeignKeyConstraint, Integer, String, Text, func, select, text
from sqlalchemy.orm import Mapped, mapped_column

from mexards.domain.errors import ConflictError, NotFoundError, ValidationError
from mexards.domain.identifier import ParticipantId, UserId
from mexards.persistence.column_type import UTCDateTime, from_json_text, json_text
from mexards.persistence.repository import SqlRepository
from mexards.persistence.rows import Base
from mexards.randomization.allocation_list import AllocationList, AllocationSlot
from mexards.randomization.allocator import StratumExhaustedError
from mexards.randomization.scheme import ArmRatio, BlockScheme
from mexards.randomization.stratum import StratificationDesign, StratificationFactor
from mexards.services.record import SealedList, SlotUse


class AllocationListRow(Base):
    __tablename__ = "allocation_list"

    list_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    protocol_id: Mapped[str] = mapped_column(String(100))
    protocol_version: Mapped[str] = mapped_column(String(40))
    sha256: Mapped[str] = mapped_column(String(64))
    seed_entropy: Mapped[str] = mapped_column(String(80))
    scheme: Mapped[str] = mapped_column(Text)
    factors: Mapped[str] = mapped_column(Text)
    generated_by: Mapped[str] = mapped_column(String(64))
    generated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class AllocationSlotRow(Base):
    """One slot of the sealed list. Unblinded data: the arm and block size are never shown to blinded roles."""

    __tablename__ = "allocation_slot"

    list_id: Mapped[str] = mapped_column(ForeignKey("allocation_list.list_id"), primary_key=True)
    stratum: Mapped[str] = mapped_column(String(500), primary_key=True)
    sequence_number: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    block_number: Mapped[int] = mapped_column(Integer)
    block_size: Mapped[int] = mapped_column(Integer)
    arm_code: Mapped[str] = mapped_column(String(20))
    kit_code: Mapped[str] = mapped_column(String(40), unique=True)


class SlotUseRow(Base):
    """A slot given to a participant: at most one participant per slot and one slot per participant."""

    __tablename__ = "slot_use"
    __table_args__ = (
        ForeignKeyConstraint(
            ["list_id", "stratum", "sequence_number"],
            ["allocation_slot.list_id", "allocation_slot.stratum", "allocation_slot.sequence_number"],
            name="fk_slot_use_slot_allocation_slot",
        ),
    )

    list_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    stratum: Mapped[str] = mapped_column(String(500), primary_key=True)
    sequence_number: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    participant_id: Mapped[str] = mapped_column(ForeignKey("participant.participant_id"), unique=True)
    kit_code: Mapped[str] = mapped_column(String(40), unique=True)
    used_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_by: Mapped[str] = mapped_column(String(64))


def list_rows(sealed: SealedList) -> tuple[AllocationListRow, list[AllocationSlotRow]]:
    """The rows that store ``sealed``."""
    allocation = sealed.allocation_list
    header = AllocationListRow(
        list_id=sealed.list_id,
        protocol_id=sealed.protocol_id,
        protocol_version=sealed.protocol_version,
        sha256=sealed.sha256,
        seed_entropy=str(allocation.seed_entropy),
        scheme=json_text(
            {
                "arms": [{"code": a.code, "weight": a.weight} for a in allocation.scheme.arms],
                "block_multipliers": list(allocation.scheme.block_multipliers),
            }
        ),
        factors=json_text([{"name": f.name, "levels": list(f.levels)} for f in allocation.design.factors]),
        generated_by=sealed.generated_by.value,
        generated_at=sealed.generated_at,
    )
    slots = [
        AllocationSlotRow(
            list_id=sealed.list_id,
            stratum=slot.stratum,
            sequence_number=slot.sequence_number,
            block_number=slot.block_number,
            block_size=slot.block_size,
            arm_code=slot.arm_code,
            kit_code=slot.kit_code,
        )
        for slot in allocation.all_slots()
    ]
    return header, slots


def _slot(row: AllocationSlotRow) -> AllocationSlot:
    return AllocationSlot(
        row.stratum, row.sequence_number, row.block_number, row.block_size, row.arm_code, row.kit_code
    )


def sealed_from_rows(header: AllocationListRow, slots: list[AllocationSlotRow]) -> SealedList:
    """Rebuild the stored list exactly as stored (its seal is checked by the caller, not here)."""
    scheme_data = from_json_text(header.scheme)
    scheme = BlockScheme(
        tuple(ArmRatio(a["code"], a["weight"]) for a in scheme_data["arms"]), tuple(scheme_data["block_multipliers"])
    )
    design = StratificationDesign(
        tuple(StratificationFactor(f["name"], tuple(f["levels"])) for f in from_json_text(header.factors))
    )
    by_stratum: dict[str, list[AllocationSlot]] = {stratum.key: [] for stratum in design.strata()}
    for row in sorted(slots, key=lambda r: (r.stratum, r.sequence_number)):
        by_stratum.setdefault(row.stratum, []).append(_slot(row))
    allocation = AllocationList(
        scheme, design, int(header.seed_entropy), {key: tuple(items) for key, items in by_stratum.items()}
    )
    return SealedList(
        list_id=header.list_id,
        allocation_list=allocation,
        sha256=header.sha256,
        generated_by=UserId(header.generated_by),
        generated_at=header.generated_at,
        protocol_id=header.protocol_id,
        protocol_version=header.protocol_version,
    )


def stratum_lock_key(list_id: str, stratum: str) -> int:
    """A signed 64-bit advisory-lock key for one stratum of one list."""
    digest = hashlib.sha256(f"mexards-allocation|{list_id}|{stratum}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class SqlAllocationRepository(SqlRepository):
    def _header(self) -> AllocationListRow | None:
        rows = self._rows(select(AllocationListRow).order_by(AllocationListRow.list_id))
        if len(rows) > 1:
            raise ConflictError("this database holds more than one allocation list")
        return rows[0] if rows else None

    def _list_id(self) -> str:
        header = self._header()
        if header is None:
            raise NotFoundError("no allocation list has been generated")
        return header.list_id

    def add_list(self, sealed: SealedList) -> None:
        if self._header() is not None:
            raise ConflictError("an allocation list already exists; it is never replaced")
        header, slots = list_rows(sealed)
        self.session.add(header)
        self.session.add_all(slots)
        self._uow.flush_inserts()

    def find_seal(self) -> tuple[str, str] | None:
        """(list id, recorded SHA-256) of the stored list, without reading its slots."""
        self._uow.flush_for_read()
        rows = self.session.execute(
            select(AllocationListRow.list_id, AllocationListRow.sha256).order_by(AllocationListRow.list_id).limit(2)
        ).all()
        if len(rows) > 1:
            raise ConflictError("this database holds more than one allocation list")
        return (rows[0].list_id, rows[0].sha256) if rows else None

    def used_count(self, stratum: str) -> int:
        """How many slots of ``stratum`` are used (call after :meth:`next_free_slot`, under its lock)."""
        counted = self._rows(
            select(func.count())
            .select_from(SlotUseRow)
            .join(AllocationListRow, AllocationListRow.list_id == SlotUseRow.list_id)
            .where(SlotUseRow.stratum == stratum)
        )
        return int(counted[0]) if counted else 0

    def find_list(self) -> SealedList | None:
        header = self._header()
        if header is None:
            return None
        slots = self._rows(select(AllocationSlotRow).where(AllocationSlotRow.list_id == header.list_id))
        return sealed_from_rows(header, slots)

    def next_free_slot(self, stratum: str) -> AllocationSlot:
        list_id = self._list_id()
        known = self._rows(
            select(func.count())
            .select_from(AllocationSlotRow)
            .where(AllocationSlotRow.list_id == list_id, AllocationSlotRow.stratum == stratum)
        )
        if not known or not known[0]:
            raise ValidationError("stratum", "is not a stratum of the allocation list", stratum)
        connection = self.session.connection()
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": stratum_lock_key(list_id, stratum)})
        used = select(SlotUseRow.sequence_number).where(SlotUseRow.list_id == list_id, SlotUseRow.stratum == stratum)
        rows = self._rows(
            select(AllocationSlotRow)
            .where(
                AllocationSlotRow.list_id == list_id,
                AllocationSlotRow.stratum == stratum,
                AllocationSlotRow.sequence_number.not_in(used),
            )
            .order_by(AllocationSlotRow.sequence_number)
            .limit(1)
        )
        if not rows:
            raise StratumExhaustedError(stratum)
        return _slot(rows[0])

    def use_slot(self, use: SlotUse) -> None:
        list_id = self._list_id()
        slot = self._row(AllocationSlotRow, (list_id, use.stratum, use.sequence_number))
        if slot is None:
            raise ValidationError(
                "slot", "is not a slot of the allocation list", f"{use.stratum} #{use.sequence_number}"
            )
        if slot.kit_code != use.kit_code:
            raise ValidationError("kit_code", "does not match the slot's kit", use.kit_code)
        if self._row(SlotUseRow, (list_id, use.stratum, use.sequence_number)) is not None:
            raise ConflictError(f"slot {use.sequence_number} of stratum {use.stratum} is already used")
        taken = self._rows(select(SlotUseRow).where(SlotUseRow.participant_id == use.participant_id.value))
        if taken:
            raise ConflictError(f"participant {use.participant_id} has already been randomized")
        self.session.add(
            SlotUseRow(
                list_id=list_id,
                stratum=use.stratum,
                sequence_number=use.sequence_number,
                participant_id=use.participant_id.value,
                kit_code=use.kit_code,
                used_at=use.used_at,
                used_by=use.used_by.value,
            )
        )
        self._uow.flush_inserts()

    def used_slots(self, stratum: str | None = None) -> list[SlotUse]:
        statement = select(SlotUseRow).order_by(SlotUseRow.stratum, SlotUseRow.sequence_number)
        if stratum is not None:
            statement = statement.where(SlotUseRow.stratum == stratum)
        return [
            SlotUse(
                r.stratum, r.sequence_number, r.kit_code, ParticipantId(r.participant_id), r.used_at, UserId(r.used_by)
            )
            for r in self._rows(statement)
        ]

    def slot_of(self, participant_id: ParticipantId) -> AllocationSlot | None:
        uses = self._rows(select(SlotUseRow).where(SlotUseRow.participant_id == participant_id.value))
        if not uses:
            return None
        use = uses[0]
        slot = self._row(AllocationSlotRow, (use.list_id, use.stratum, use.sequence_number))
        return _slot(slot) if slot is not None else None
