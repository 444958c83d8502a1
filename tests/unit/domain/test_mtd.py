"""The signed MTD declaration and the move to Phase 2 (clinical-examples.md D05, X02; ESG-2)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from mexards.domain.dose import DoseLevel
from mexards.domain.errors import ConflictError, InvalidTransitionError, ValidationError
from mexards.domain.identifier import UserId
from mexards.domain.mtd import DoseLevelEvidence, MTDDeclaration
from mexards.domain.role import Role
from mexards.domain.signature import SignatureMeaning
from mexards.domain.trial import Trial, TrialPhase

AT = datetime(2025, 5, 1, 12, 0, tzinfo=UTC)
LOW, MID, HIGH = DoseLevel(1, 200_000_000), DoseLevel(2, 800_000_000), DoseLevel(3, 1_600_000_000)


def declaration_d05() -> MTDDeclaration:
    """D05: level 1 0/3, level 2 1/6, level 3 2/3 -> MTD = level 2 (8.0e8)."""
    return MTDDeclaration(
        declaration_id="MTD-1",
        protocol_id="NCT04602104",
        protocol_version="1.0",
        mtd=MID,
        design="3+3",
        evidence=(DoseLevelEvidence(LOW, 3, 0), DoseLevelEvidence(MID, 6, 1), DoseLevelEvidence(HIGH, 3, 2)),
        rationale="2/3 DLT at level 3; level 2 had 1/6",
        declared_by=UserId("stat-01"),
        declared_at=AT,
    )


def approve(declaration: MTDDeclaration, minutes: int = 5) -> None:
    declaration.sign(
        signer=UserId("pi-01"),
        printed_name="Dr A. Investigator",
        role=Role.PRINCIPAL_INVESTIGATOR,
        meaning=SignatureMeaning.APPROVAL,
        signed_at=AT + timedelta(minutes=minutes),
    )


def test_phase2_doses_follow_from_the_declared_mtd() -> None:
    declaration = declaration_d05()
    assert declaration.mtd_dose_particles == 800_000_000
    assert declaration.quarter_mtd_dose_particles == 200_000_000


def test_signatures_verify_until_the_declaration_is_changed() -> None:
    declaration = declaration_d05()
    approve(declaration)
    assert declaration.signatures_verify() and declaration.is_approved()
    declaration.mtd = HIGH
    assert not declaration.signatures_verify()
    assert declaration.invalid_signatures() == declaration.signatures


def test_a_signer_cannot_sign_twice_with_the_same_meaning() -> None:
    declaration = declaration_d05()
    approve(declaration)
    with pytest.raises(ConflictError):
        approve(declaration, minutes=6)


def test_a_signature_before_the_declaration_is_refused() -> None:
    with pytest.raises(ValidationError, match="signed_at"):
        approve(declaration_d05(), minutes=-1)


def test_the_mtd_must_be_a_level_with_evidence_and_dlts_cannot_exceed_evaluable() -> None:
    with pytest.raises(ValidationError, match="mtd"):
        MTDDeclaration("MTD-1", "NCT04602104", "1.0", DoseLevel(4, 10), "3+3", (), "r", UserId("s"), AT)
    with pytest.raises(ValidationError, match=r"evidence.dlt_participants"):
        DoseLevelEvidence(LOW, 2, 3)


def test_the_trial_enters_phase2_only_on_an_approved_declaration_that_still_verifies() -> None:
    trial = Trial("NCT04602104", "1.0")
    declaration = declaration_d05()
    with pytest.raises(ConflictError, match="approval"):
        trial.advance_to_phase2(declaration, AT + timedelta(hours=1))
    approve(declaration)
    declaration.rationale = "edited after signing"
    with pytest.raises(ConflictError):
        trial.advance_to_phase2(declaration, AT + timedelta(hours=1))
    declaration.rationale = "2/3 DLT at level 3; level 2 had 1/6"
    event = trial.advance_to_phase2(declaration, AT + timedelta(hours=1))
    assert trial.phase is TrialPhase.PHASE2
    assert event.mtd_dose_particles == trial.mtd_dose_particles == 800_000_000
    with pytest.raises(InvalidTransitionError):
        trial.advance_to_phase2(declaration, AT + timedelta(hours=2))


def test_no_phase2_when_no_dose_was_tolerable() -> None:
    declaration = declaration_d05()
    declaration.mtd = None
    approve(declaration)
    with pytest.raises(ConflictError, match="no MTD"):
        Trial("NCT04602104", "1.0").advance_to_phase2(declaration, AT + timedelta(hours=1))
    with pytest.raises(ConflictError):
        _ = declaration.quarter_mtd_dose_particles
