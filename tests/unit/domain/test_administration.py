"""The dosing log: open-label particles or a blinded kit, never both (edc-and-standards.md BLD-2)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from mexards.domain.administration import STUDY_DRUG_LABEL, Administration, AdministrationStatus, Tolerance
from mexards.domain.errors import ValidationError, ValidationErrors
from mexards.domain.identifier import ParticipantId
from mexards.domain.study_day import StudyDay

AT = datetime(2025, 3, 1, 9, tzinfo=UTC)


def given(**changes: object) -> Administration:
    values: dict[str, object] = {
        "administration_id": "ADM-1",
        "participant_id": ParticipantId("MEX-001"),
        "study_day": StudyDay(1),
        "status": AdministrationStatus.GIVEN,
        "started_at": AT,
        "ended_at": AT + timedelta(minutes=20),
        "kit_code": "ABCD-EFGH-JKMN",
        "volume_ml": Decimal("3.0"),
        "device": "Aerogen Solo",
        "spo2_pre_percent": 93,
        "spo2_post_percent": 91,
        "tolerance": Tolerance.TOLERATED,
    }
    values.update(changes)
    return Administration(**values)  # type: ignore[arg-type]


def test_a_blinded_dose_shows_only_study_drug_and_the_spo2_change() -> None:
    administration = given()
    assert administration.product_label == STUDY_DRUG_LABEL
    assert administration.is_blinded_product
    assert administration.spo2_change_percent == -2


def test_an_open_label_dose_is_recorded_in_particles() -> None:
    administration = given(kit_code=None, dose_particles="8.0e8")
    assert administration.dose_particles == 800_000_000
    assert administration.product_label == "800000000 particles"


def test_a_dose_cannot_carry_both_a_particle_count_and_a_kit_code() -> None:
    with pytest.raises(ValidationError, match="kit_code"):
        given(dose_particles=800_000_000)


def test_a_missed_dose_needs_a_reason_and_records_nothing_that_implies_it_was_given() -> None:
    missed = given(
        status="missed",
        started_at=None,
        ended_at=None,
        volume_ml=None,
        device=None,
        spo2_pre_percent=None,
        spo2_post_percent=None,
        tolerance=None,
        reason="procedure in theatre",
    )
    assert missed.started_at is None
    with pytest.raises(ValidationError, match="volume_ml"):
        given(status="missed", started_at=None, ended_at=None, reason="x")


def test_an_interrupted_dose_needs_a_reason() -> None:
    with pytest.raises(ValidationError, match="reason"):
        given(status="interrupted")
    assert given(status="interrupted", reason="bronchospasm").reason == "bronchospasm"


def test_every_problem_of_a_record_is_reported_at_once() -> None:
    with pytest.raises(ValidationErrors) as caught:
        given(
            spo2_pre_percent=101, volume_ml=Decimal(0), tolerance="fine", ended_at=AT - timedelta(minutes=1)
        )
    fields = {error.field for error in caught.value.errors}
    assert fields == {"spo2_pre_percent", "volume_ml", "tolerance", "ended_at"}


def test_dosing_days_start_at_day_one() -> None:
    with pytest.raises(ValidationError, match="study_day"):
        given(study_day=StudyDay(-1))


@pytest.mark.parametrize("volume", ["３", "٣", "3_0"])
def test_a_volume_written_in_other_digits_is_refused_naming_volume_ml(volume: str) -> None:
    with pytest.raises(ValidationError) as caught:
        given(volume_ml=volume)
    fields = [e.field for e in caught.value.errors] if isinstance(caught.value, ValidationErrors) else [
        caught.value.field]
    assert fields == ["volume_ml"]
    assert given(volume_ml=" 3.5 ").volume_ml == Decimal("3.5")


@pytest.mark.parametrize("volume", ["３", "٣.٥"])
def test_the_api_refuses_a_volume_in_other_digits_naming_volume_ml(volume: str) -> None:
    import pydantic

    from mexards.api.treatment import AdministrationCreate

    with pytest.raises(pydantic.ValidationError) as caught:
        AdministrationCreate(study_day=1, volume_ml=volume)  # type: ignore[arg-type]
    assert [e["loc"] for e in caught.value.errors()] == [("volume_ml",)]
    assert "0-9" in caught.value.errors()[0]["msg"]
    assert AdministrationCreate(study_day=1, volume_ml="3.5").volume_ml == Decimal("3.5")  # type: ignore[arg-type]
