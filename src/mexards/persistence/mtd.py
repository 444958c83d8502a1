"""The MTD declaration and its electronic signatures (21 CFR 11.50, 11.70).

Each signature row keeps the SHA-256 of the exact content signed; the declaration row keeps that content's
fields, so a declaration edited after signing no longer verifies when it is read back.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Integer, String, Text, UniqueConstraint, select
from sqlalchemy.orm import Mapped, mapped_column

from mexards.domain.dose import DoseLevel
from mexards.domain.identifier import UserId
from mexards.domain.mtd import DoseLevelEvidence, MTDDeclaration
from mexards.domain.role import Role
from mexards.domain.signature import ElectronicSignature, SignatureMeaning
from mexards.persistence.column_type import UTCDateTime, from_json_text, json_text
from mexards.persistence.repository import SqlRepository
from mexards.persistence.rows import Base, assign


class MTDDeclarationRow(Base):
    __tablename__ = "mtd_declaration"

    declaration_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    protocol_id: Mapped[str] = mapped_column(String(100))
    protocol_version: Mapped[str] = mapped_column(String(40))
    mtd_index: Mapped[int | None] = mapped_column(Integer)
    mtd_dose_particles: Mapped[int | None] = mapped_column(BigInteger)
    design: Mapped[str] = mapped_column(String(200))
    evidence: Mapped[str] = mapped_column(Text)
    rationale: Mapped[str] = mapped_column(Text)
    declared_by: Mapped[str] = mapped_column(String(64))
    declared_at: Mapped[datetime] = mapped_column(UTCDateTime)


class MTDSignatureRow(Base):
    __tablename__ = "mtd_signature"
    __table_args__ = (UniqueConstraint("declaration_id", "signer", "meaning"),)

    declaration_id: Mapped[str] = mapped_column(ForeignKey("mtd_declaration.declaration_id"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    signer: Mapped[str] = mapped_column(String(64))
    printed_name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(40))
    meaning: Mapped[str] = mapped_column(String(40))
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    content_sha256: Mapped[str] = mapped_column(String(64))


def declaration_to_row(item: MTDDeclaration, row: MTDDeclarationRow | None = None) -> MTDDeclarationRow:
    row = row if row is not None else MTDDeclarationRow(declaration_id=item.declaration_id)
    evidence = [
        {
            "dose_level_index": e.dose_level.index,
            "dose_particles": e.dose_level.dose_particles,
            "evaluable_participants": e.evaluable_participants,
            "dlt_participants": e.dlt_participants,
        }
        for e in item.evidence
    ]
    assign(
        row,
        protocol_id=item.protocol_id,
        protocol_version=item.protocol_version,
        mtd_index=item.mtd.index if item.mtd else None,
        mtd_dose_particles=item.mtd.dose_particles if item.mtd else None,
        design=item.design,
        evidence=json_text(evidence),
        rationale=item.rationale,
        declared_by=item.declared_by.value,
        declared_at=item.declared_at,
    )
    return row


def new_signature_rows(item: MTDDeclaration, existing: list[MTDSignatureRow]) -> list[MTDSignatureRow]:
    """Rows for signatures added since ``existing`` was stored (signatures are only ever appended)."""
    stored = sorted(existing, key=lambda s: s.position)
    if [(s.signer, s.meaning) for s in stored] != [
        (s.signer.value, s.meaning.value) for s in item.signatures[: len(stored)]
    ]:
        raise ValueError(f"declaration {item.declaration_id}: stored signatures may not be removed")
    return [
        MTDSignatureRow(
            declaration_id=item.declaration_id,
            position=position,
            signer=s.signer.value,
            printed_name=s.printed_name,
            role=s.role.value,
            meaning=s.meaning.value,
            signed_at=s.signed_at,
            content_sha256=s.content_sha256,
        )
        for position, s in enumerate(item.signatures[len(stored) :], start=len(stored) + 1)
    ]


def declaration_from_row(row: MTDDeclarationRow, signatures: list[MTDSignatureRow]) -> MTDDeclaration:
    mtd = None
    if row.mtd_index is not None:
        assert row.mtd_dose_particles is not None
        mtd = DoseLevel(row.mtd_index, row.mtd_dose_particles)
    evidence = tuple(
        DoseLevelEvidence(
            DoseLevel(e["dose_level_index"], e["dose_particles"]), e["evaluable_participants"], e["dlt_participants"]
        )
        for e in from_json_text(row.evidence)
    )
    return MTDDeclaration(
        declaration_id=row.declaration_id,
        protocol_id=row.protocol_id,
        protocol_version=row.protocol_version,
        mtd=mtd,
        design=row.design,
        evidence=evidence,
        rationale=row.rationale,
        declared_by=UserId(row.declared_by),
        declared_at=row.declared_at,
        signatures=[
            ElectronicSignature(
                UserId(s.signer),
                s.printed_name,
                Role(s.role),
                SignatureMeaning(s.meaning),
                s.signed_at,
                s.content_sha256,
            )
            for s in sorted(signatures, key=lambda s: s.position)
        ],
    )


class SqlMTDDeclarationRepository(SqlRepository):
    def _signatures(self, declaration_id: str) -> list[MTDSignatureRow]:
        return self._rows(select(MTDSignatureRow).where(MTDSignatureRow.declaration_id == declaration_id))

    def get(self, declaration_id: str) -> MTDDeclaration:
        row = self._existing(MTDDeclarationRow, declaration_id, f"MTD declaration {declaration_id}")
        return declaration_from_row(row, self._signatures(declaration_id))

    def add(self, declaration: MTDDeclaration) -> None:
        key = declaration.declaration_id
        self._insert(MTDDeclarationRow, key, declaration_to_row(declaration), f"MTD declaration {key}")
        self.session.add_all(new_signature_rows(declaration, []))
        self._uow.flush_inserts()

    def update(self, declaration: MTDDeclaration) -> None:
        key = declaration.declaration_id
        declaration_to_row(declaration, self._existing(MTDDeclarationRow, key, f"MTD declaration {key}"))
        self.session.add_all(new_signature_rows(declaration, self._signatures(key)))

    def list(self) -> list[MTDDeclaration]:
        signatures: dict[str, list[MTDSignatureRow]] = {}
        for signature in self._rows(select(MTDSignatureRow)):
            signatures.setdefault(signature.declaration_id, []).append(signature)
        rows = self._rows(
            select(MTDDeclarationRow).order_by(MTDDeclarationRow.declared_at, MTDDeclarationRow.declaration_id)
        )
        return [declaration_from_row(row, signatures.get(row.declaration_id, [])) for row in rows]
