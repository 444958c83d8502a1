"""The MTD declaration that closes Phase 1, signed electronically.

The declaration records the selected maximum tolerated dose (or that no dose was tolerable), the design rule
that produced it, the per-level evidence (DLT-evaluable participants and DLTs) and a rationale
(``edc-and-standards.md`` RND-9). Signatures are Part 11 signatures bound to the SHA-256 of the canonical JSON
of exactly this content (:mod:`mexards.domain.signature`), so any later change to the declaration invalidates
them (21 CFR 11.70). Phase 2 doses follow from the MTD: a quarter of the MTD and the MTD
(``clinical-examples.md`` X02).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from mexards.domain.dose import DoseLevel, quarter_of_mtd
from mexards.domain.errors import ConflictError, ValidationError
from mexards.domain.event import DocumentSigned, MTDDeclared
from mexards.domain.identifier import UserId, checked_code
from mexards.domain.role import Role
from mexards.domain.signature import ElectronicSignature, SignatureMeaning, canonical_value
from mexards.domain.validation import not_before, required_text, utc_datetime


@dataclass(frozen=True, slots=True)
class DoseLevelEvidence:
    """What was observed at one dose level in Phase 1."""

    dose_level: DoseLevel
    evaluable_participants: int
    dlt_participants: int

    def __post_init__(self) -> None:
        if not isinstance(self.dose_level, DoseLevel):
            raise ValidationError("evidence.dose_level", "must be a DoseLevel", self.dose_level)
        for name in ("evaluable_participants", "dlt_participants"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValidationError(f"evidence.{name}", "must be a whole number, at least 0", value)
        if self.dlt_participants > self.evaluable_participants:
            raise ValidationError(
                "evidence.dlt_participants", "must not exceed evaluable_participants", self.dlt_participants
            )


@dataclass(eq=False)
class MTDDeclaration:
    """The declared MTD (``mtd=None``: no dose level was tolerable) with its evidence and signatures."""

    declaration_id: str
    protocol_id: str
    protocol_version: str
    mtd: DoseLevel | None
    design: str
    evidence: tuple[DoseLevelEvidence, ...]
    rationale: str
    declared_by: UserId
    declared_at: datetime
    signatures: list[ElectronicSignature] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.declaration_id = checked_code("declaration_id", self.declaration_id)
        self.protocol_id = required_text("protocol_id", self.protocol_id, 100)
        self.protocol_version = required_text("protocol_version", self.protocol_version, 40)
        if self.mtd is not None and not isinstance(self.mtd, DoseLevel):
            raise ValidationError("mtd", "must be a DoseLevel or absent", self.mtd)
        self.design = required_text("design", self.design, 200)
        self.evidence = tuple(self.evidence)
        if not all(isinstance(item, DoseLevelEvidence) for item in self.evidence):
            raise ValidationError("evidence", "must be DoseLevelEvidence items", self.evidence)
        levels = [item.dose_level.index for item in self.evidence]
        if len(set(levels)) != len(levels):
            raise ValidationError("evidence", "must list each dose level once", levels)
        if self.mtd is not None and self.mtd not in {item.dose_level for item in self.evidence}:
            raise ValidationError("mtd", "must be a dose level with recorded evidence", self.mtd)
        self.rationale = required_text("rationale", self.rationale, 4000)
        if not isinstance(self.declared_by, UserId):
            raise ValidationError("declared_by", "must be a UserId", self.declared_by)
        self.declared_at = utc_datetime("declared_at", self.declared_at)

    def declared_event(self) -> MTDDeclared:
        return MTDDeclared(declaration_id=self.declaration_id, mtd=self.mtd, occurred_at=self.declared_at)

    def content(self) -> dict[str, Any]:
        """Exactly what a signature covers: everything except the signatures themselves."""
        return {
            "document": "mtd_declaration",
            "declaration_id": self.declaration_id,
            "protocol_id": self.protocol_id,
            "protocol_version": self.protocol_version,
            "mtd": canonical_value(self.mtd),
            "design": self.design,
            "evidence": [canonical_value(item) for item in sorted(self.evidence, key=lambda e: e.dose_level)],
            "rationale": self.rationale,
            "declared_by": self.declared_by.value,
            "declared_at": self.declared_at.isoformat(),
        }

    def sign(
        self,
        *,
        signer: UserId,
        printed_name: str,
        role: Role,
        meaning: SignatureMeaning,
        signed_at: datetime,
    ) -> DocumentSigned:
        """Add a signature over the current content. A signer signs with a given meaning only once."""
        if any(s.signer == signer and s.meaning == meaning for s in self.signatures):
            raise ConflictError(f"{signer} has already signed this declaration with meaning {meaning}")
        at = utc_datetime("signed_at", signed_at)
        not_before("signed_at", at, self.declared_at, "declared_at")
        signature = ElectronicSignature.sign(
            self.content(), signer=signer, printed_name=printed_name, role=role, meaning=meaning, signed_at=at
        )
        self.signatures.append(signature)
        return DocumentSigned(
            document="mtd_declaration",
            document_id=self.declaration_id,
            signer=signature.signer,
            meaning=signature.meaning.value,
            content_sha256=signature.content_sha256,
            occurred_at=at,
        )

    def invalid_signatures(self) -> list[ElectronicSignature]:
        """Signatures whose hash no longer matches the content (the content changed after signing)."""
        content = self.content()
        return [s for s in self.signatures if not s.verifies(content)]

    def signatures_verify(self) -> bool:
        """True if there is at least one signature and every signature matches the current content."""
        return bool(self.signatures) and not self.invalid_signatures()

    def is_approved(
        self, required_meanings: Iterable[SignatureMeaning] = (SignatureMeaning.APPROVAL,)
    ) -> bool:
        """True if every signature verifies and each required meaning has been signed."""
        meanings = {s.meaning for s in self.signatures}
        return self.signatures_verify() and set(required_meanings) <= meanings

    @property
    def mtd_dose_particles(self) -> int:
        if self.mtd is None:
            raise ConflictError("no MTD was declared, so there are no Phase 2 doses")
        return self.mtd.dose_particles

    @property
    def quarter_mtd_dose_particles(self) -> int:
        """The Phase 2 low dose, a quarter of the MTD (X02)."""
        return quarter_of_mtd(self.mtd_dose_particles)
