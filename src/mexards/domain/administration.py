"""One nebulised administration of study product (the dosing log).

What is recorded follows the MEXARDS schedule proposal (``clinical.md`` 4): kit, particles, volume, nebuliser,
start/stop, interruption, SpO2 before and after the dose. Open-label Phase 1 doses are recorded in particles;
blinded Phase 2 doses are recorded only as "study drug" with the kit code and volume, never a concentration or
particle count (``edc-and-standards.md`` BLD-2), so an administration carries exactly one of the two.
A missed dose records the reason and nothing that implies it was given.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from mexards.domain.dose import positive_particles
from mexards.domain.errors import ValidationError, ValidationErrors
from mexards.domain.identifier import ParticipantId, checked_code
from mexards.domain.study_day import StudyDay
from mexards.domain.validation import decimal_text, enum_member, optional_utc_datetime, required_text

STUDY_DRUG_LABEL = "study drug"
"""What a blinded record shows in place of the product (BLD-2)."""


class AdministrationStatus(StrEnum):
    GIVEN = "given"
    INTERRUPTED = "interrupted"
    MISSED = "missed"


class Tolerance(StrEnum):
    TOLERATED = "tolerated"
    TOLERATED_WITH_SYMPTOMS = "tolerated_with_symptoms"
    NOT_TOLERATED = "not_tolerated"


def _spo2(field: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 100:
        raise ValidationError(field, "must be a whole percentage from 0 to 100", value)
    return value


def _volume_ml(value: object) -> Decimal:
    if isinstance(value, bool | float) or not isinstance(value, int | Decimal | str):
        raise ValidationError("volume_ml", "must be an exact number of mL (int, Decimal or text)", value)
    volume = decimal_text("volume_ml", value) if isinstance(value, str) else Decimal(value)
    if not volume.is_finite() or volume <= 0:
        raise ValidationError("volume_ml", "must be greater than zero", value)
    return volume


@dataclass(eq=False)
class Administration:
    """A dose given, interrupted or missed on one study day."""

    administration_id: str
    participant_id: ParticipantId
    study_day: StudyDay
    status: AdministrationStatus
    started_at: datetime | None = None
    ended_at: datetime | None = None
    dose_particles: int | None = None
    kit_code: str | None = None
    volume_ml: Decimal | None = None
    device: str | None = None
    spo2_pre_percent: int | None = None
    spo2_post_percent: int | None = None
    tolerance: Tolerance | None = None
    reason: str | None = None
    deviation: str | None = None

    def __post_init__(self) -> None:
        errors: list[ValidationError] = []
        for check in (
            self._check_identity,
            self._check_product,
            self._check_times,
            self._check_measurements,
            self._check_notes,
        ):
            try:
                check()
            except ValidationErrors as many:
                errors.extend(many.errors)
            except ValidationError as one:
                errors.append(one)
        if errors:
            raise errors[0] if len(errors) == 1 else ValidationErrors(errors)

    def _check_identity(self) -> None:
        self.administration_id = checked_code("administration_id", self.administration_id)
        if not isinstance(self.participant_id, ParticipantId):
            raise ValidationError("participant_id", "must be a ParticipantId", self.participant_id)
        if not isinstance(self.study_day, StudyDay):
            self.study_day = StudyDay(self.study_day)
        if self.study_day.value < 1:
            raise ValidationError("study_day", "dosing days start at Day 1", self.study_day.value)
        self.status = enum_member(AdministrationStatus, "status", self.status)

    def _check_product(self) -> None:
        if self.dose_particles is not None and self.kit_code is not None:
            raise ValidationError(
                "kit_code", "record either dose_particles (open label) or a kit code, not both"
            )
        if self.dose_particles is not None:
            self.dose_particles = positive_particles("dose_particles", self.dose_particles)
        if self.kit_code is not None:
            self.kit_code = required_text("kit_code", self.kit_code, 40)
        if (
            self.status is not AdministrationStatus.MISSED
            and self.dose_particles is None
            and self.kit_code is None
        ):
            raise ValidationError("kit_code", "a dose given needs dose_particles or a kit code")

    def _check_times(self) -> None:
        self.started_at = optional_utc_datetime("started_at", self.started_at)
        self.ended_at = optional_utc_datetime("ended_at", self.ended_at)
        if self.status is AdministrationStatus.MISSED:
            if self.started_at is not None or self.ended_at is not None:
                raise ValidationError(
                    "started_at", "a missed dose has no administration time", self.started_at
                )
            return
        if self.started_at is None:
            raise ValidationError("started_at", "is required for a dose given", None)
        if self.ended_at is not None and self.ended_at < self.started_at:
            raise ValidationError("ended_at", "must not be before started_at", self.ended_at)

    def _check_measurements(self) -> None:
        given = self.status is not AdministrationStatus.MISSED
        fields = ("volume_ml", "device", "spo2_pre_percent", "spo2_post_percent", "tolerance")
        if not given:
            present = [name for name in fields if getattr(self, name) is not None]
            if present:
                raise ValidationError(
                    present[0], "is not recorded for a missed dose", getattr(self, present[0])
                )
            return
        errors: list[ValidationError] = []
        for name, parse in (
            ("volume_ml", _volume_ml),
            ("device", lambda v: required_text("device", v, 100)),
            ("spo2_pre_percent", lambda v: _spo2("spo2_pre_percent", v)),
            ("spo2_post_percent", lambda v: _spo2("spo2_post_percent", v)),
            ("tolerance", lambda v: enum_member(Tolerance, "tolerance", v)),
        ):
            value = getattr(self, name)
            try:
                if value is None:
                    raise ValidationError(name, "is required for a dose given", None)
                setattr(self, name, parse(value))
            except ValidationError as error:
                errors.append(error)
        if errors:
            raise errors[0] if len(errors) == 1 else ValidationErrors(errors)

    def _check_notes(self) -> None:
        needs_reason = self.status in (AdministrationStatus.MISSED, AdministrationStatus.INTERRUPTED)
        if needs_reason or self.reason is not None:
            self.reason = required_text("reason", self.reason, 500)
        if self.deviation is not None:
            self.deviation = required_text("deviation", self.deviation, 1000)

    @property
    def is_blinded_product(self) -> bool:
        """True if the product is identified only by kit code (Phase 2)."""
        return self.kit_code is not None

    @property
    def product_label(self) -> str:
        """ "study drug" for a blinded kit, else the open-label dose in particles."""
        if self.kit_code is not None or self.dose_particles is None:
            return STUDY_DRUG_LABEL
        return f"{self.dose_particles} particles"

    @property
    def spo2_change_percent(self) -> int | None:
        """Post-dose minus pre-dose SpO2, in percentage points (negative = desaturation)."""
        if self.spo2_pre_percent is None or self.spo2_post_percent is None:
            return None
        return self.spo2_post_percent - self.spo2_pre_percent

    @property
    def has_deviation(self) -> bool:
        return self.deviation is not None
