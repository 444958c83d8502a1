"""The dosing log: one record per study day of the dosing period (Days 1-7), given, interrupted or missed.

What is recorded follows ``clinical.md`` 4 (kit, particles, volume, nebuliser, start/stop, interruption, SpO2
before and after): :class:`mexards.domain.administration.Administration`. Phase 1 doses are open label and
recorded in particles (the cohort's dose level); Phase 2 doses are recorded as "study drug" with the
participant's kit code only (``edc-and-standards.md`` BLD-2). Each study day is recorded once; Day 1 is the day
of the first dose, so a missed dose can only follow a dose given. The start time must not lie in the future of
the unit of work's clock (:data:`mexards.domain.validation.CLOCK_SKEW_TOLERANCE` allowed); the stop time may (a
dose recorded as it starts carries its planned stop), and is checked only against the start by the domain.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from mexards.domain.administration import Administration, AdministrationStatus, Tolerance
from mexards.domain.errors import ConflictError, ValidationError
from mexards.domain.event import DomainEvent
from mexards.domain.identifier import ParticipantId
from mexards.domain.participant import ParticipantAction, ParticipantState, next_state
from mexards.domain.role import Actor
from mexards.domain.study_day import StudyDay
from mexards.domain.validation import enum_member, times_not_in_future
from mexards.services.event import AdministrationRecorded
from mexards.services.operation import editable_trial, new_id, operation, participant_for, record
from mexards.services.policy import Action, require
from mexards.services.port import UnitOfWork


def administer_dose(
    uow: UnitOfWork,
    actor: Actor,
    participant_id: ParticipantId,
    study_day: int,
    *,
    status: AdministrationStatus | str = AdministrationStatus.GIVEN,
    started_at: datetime | None = None,
    ended_at: datetime | None = None,
    volume_ml: Decimal | int | str | None = None,
    device: str | None = None,
    spo2_pre_percent: int | None = None,
    spo2_post_percent: int | None = None,
    tolerance: Tolerance | str | None = None,
    reason: str | None = None,
    deviation: str | None = None,
) -> Administration:
    """Record the dose of ``study_day`` (given, interrupted with a reason, or missed with a reason)."""
    state = enum_member(AdministrationStatus, "status", status)
    day = StudyDay(study_day)
    with operation(uow, actor, Action.ADMINISTER_DOSE) as u:
        editable_trial(u)
        participant = participant_for(u, actor, participant_id)
        require(actor, Action.ADMINISTER_DOSE, participant.site_id)
        if any(a.study_day == day for a in u.administrations.list(participant_id)):
            raise ConflictError(f"study_day: Day {day.value} is already recorded for {participant_id}")
        if state is AdministrationStatus.MISSED:
            if participant.state is not ParticipantState.DOSING:
                next_state(participant.state, ParticipantAction.ADMINISTER_DOSE)
                raise ValidationError("study_day", "Day 1 is the day of the first dose, so it cannot be missed",
                                      day.value)
            if day.value > participant.dosing_days or day.value <= participant.dosed_days[-1]:
                raise ValidationError("study_day", f"must be after the last dose and at most Day "
                                      f"{participant.dosing_days}", day.value)
        else:
            next_state(participant.state, ParticipantAction.ADMINISTER_DOSE)
        dose_particles, kit_code = None, None
        if state is not AdministrationStatus.MISSED:
            if participant.randomization is not None:
                kit_code = participant.randomization.kit_code
            elif participant.dose_level is not None:
                dose_particles = participant.dose_level.dose_particles
        administration = Administration(
            new_id(u, "ADM"), participant_id, day, state, started_at, ended_at, dose_particles, kit_code,
            volume_ml, device, spo2_pre_percent, spo2_post_percent, tolerance,  # type: ignore[arg-type]
            reason, deviation,
        )  # fmt: skip
        now = u.clock.now()
        times_not_in_future((("started_at", administration.started_at),), now)
        events: list[DomainEvent] = []
        if state is not AdministrationStatus.MISSED:
            assert administration.started_at is not None
            events.append(participant.administer_dose(day, administration.started_at))
            u.participants.update(participant)
        u.administrations.add(administration)
        events.append(AdministrationRecorded(
            participant_id=participant_id, administration_id=administration.administration_id,
            study_day=day.value, status=state.value, occurred_at=now,
        ))  # fmt: skip
        record(u, *events)
        u.commit()
    return administration
