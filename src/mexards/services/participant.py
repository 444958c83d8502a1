"""A participant's path: screening (with the screening log), consent, enrolment, and the end of participation.

The lifecycle rules are the domain's table-driven state machine (:mod:`mexards.domain.participant`); the
eligibility decision is the protocol's criteria run by the eligibility engine
(:class:`mexards.clinical.eligibility.Screener`). Every screening is kept in the screening log with each
criterion's status and reason, eligible or not (CONSORT 2010 item 13a, flow diagram "assessed for
eligibility / excluded, with reasons"). The dates and times entered (the screening record's, which anchor the
eligibility time windows, and the consent's) must not lie in the future of the unit of work's clock
(:func:`mexards.domain.validation.times_not_in_future`), except a planned enrolment time (:data:`PLANNED_TIMES`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import date, datetime
from typing import Any

from mexards.clinical.criteria import DERIVATIONS
from mexards.clinical.eligibility import Screener, ScreeningResult, Verdict
from mexards.clinical.patient import Event, PatientRecord
from mexards.domain.errors import ConflictError, ValidationError
from mexards.domain.identifier import ParticipantId, SiteId
from mexards.domain.participant import Consent, ConsentSigner, Participant, ParticipantState
from mexards.domain.role import Actor
from mexards.domain.validation import not_in_future, times_not_in_future
from mexards.protocol.model import Protocol
from mexards.services.event import ScreeningLogged
from mexards.services.operation import (
    checked_protocol,
    editable_trial,
    operation,
    participant_for,
    record,
)
from mexards.services.policy import Action, require
from mexards.services.port import UnitOfWork
from mexards.services.record import ScreeningCriterion, ScreeningLogEntry


def stratification_values(protocol: Protocol, record: PatientRecord) -> dict[str, str | None]:
    """The Phase 2 stratification values of a screening record: each stratum's ``source_value`` (a derived
    value such as ``berlin_category`` or a record field), kept only when it is one of the stratum's levels."""
    values: dict[str, str | None] = {}
    if protocol.phase2 is None:
        return values
    for stratum in protocol.phase2.strata:
        source = stratum.source_value or stratum.name
        if source in DERIVATIONS:
            options: dict[str, Any] = {}
            if source == "berlin_category":
                options["policy"] = protocol.settings.berlin_noninvasive_policy
            found = DERIVATIONS[source](record, **options).value
        else:
            found = record.get(source)
        text = None if found is None else str(getattr(found, "value", found))
        values[stratum.name] = text if text in stratum.levels else None
    return values


PLANNED_TIMES = frozenset({"enrolment_at"})
"""Record fields that may lie ahead of the screening: ``enrolment_at`` is the (planned) randomisation time that
anchors windows such as "ARDS course < 96 h at randomisation" (``docs/eligibility.md``), and a patient is
screened before being enrolled."""


def record_times(record: PatientRecord) -> Iterator[tuple[str, date | datetime | None]]:
    """Every date and time of a checked screening record that must not lie in the future, named by its field
    path (an event's date by ``<event>.date`` when it was entered so); :data:`PLANNED_TIMES` are left out."""
    for path, value in record.values.items():
        if path in PLANNED_TIMES:
            continue
        if isinstance(value, Event):
            yield (f"{path}.date" if f"{path}.date" in record.entered else path), value.when
        elif isinstance(value, date):  # a datetime is a date too
            yield path, value


def _log_entry(
    participant: Participant,
    actor: Actor,
    protocol: Protocol,
    version: str,
    result: ScreeningResult,
    stratification: Mapping[str, str | None],
) -> ScreeningLogEntry:
    criteria = tuple(
        ScreeningCriterion(c.id, c.kind, c.status.value, c.reason, c.fails) for c in result.criteria
    )
    return ScreeningLogEntry(
        participant.participant_id,
        participant.site_id,
        participant.screened_at,
        actor.user_id,
        protocol.registry_id,
        version,
        result.verdict.value,
        criteria,
        stratification,
        result.warnings,
    )


def screen_patient(
    uow: UnitOfWork,
    actor: Actor,
    protocol: Protocol,
    participant_id: ParticipantId,
    site_id: SiteId,
    patient_record: Mapping[str, Any],
) -> ScreeningLogEntry:
    """Screen a patient against the protocol's criteria and log the result.

    ELIGIBLE moves the participant to ``eligible``; INELIGIBLE records a screen failure with every failing
    criterion as a reason (``ineligible`` is kept); INCOMPLETE leaves the participant ``screened`` so that the
    missing data can be added and the patient screened again."""
    require(actor, Action.SCREEN, site_id)
    if not isinstance(participant_id, ParticipantId):
        raise ValidationError("participant_id", "must be a ParticipantId", participant_id)
    with operation(uow, actor, Action.SCREEN) as u:
        trial = editable_trial(u)
        checked_protocol(trial, protocol)
        screener = Screener(protocol)
        parsed = screener.schema.parse({**dict(patient_record), "patient_id": participant_id.value})
        result = screener.screen(parsed)
        now = u.clock.now()
        times_not_in_future(record_times(parsed), now)
        existing = u.participants.find(participant_id)
        events: list[Any] = []
        if existing is None:
            participant, screened = Participant.screen(participant_id, site_id, now)
            events.append(screened)
        elif existing.state is ParticipantState.SCREENED and existing.site_id == site_id:
            participant = existing
        else:
            raise ConflictError(f"participant {participant_id} has already been screened")
        if result.verdict is Verdict.ELIGIBLE:
            events.append(participant.confirm_eligibility(now))
        elif result.verdict is Verdict.INELIGIBLE:
            reasons = [f"{c.id}: {c.reason}" for c in result.criteria if c.fails]
            events.append(participant.fail_screening(reasons, now))
        entry = _log_entry(
            participant, actor, protocol, trial.protocol_version, result, stratification_values(protocol, parsed)
        )
        if existing is None:
            u.participants.add(participant)
            u.screening_log.add(entry)
        else:
            u.participants.update(participant)
            u.screening_log.update(entry)
        events.append(
            ScreeningLogged(
                participant_id=participant_id,
                verdict=result.verdict.value,
                failing=result.failing,
                occurred_at=now,
            )
        )
        record(u, *events)
        u.commit()
    return entry


def record_consent(
    uow: UnitOfWork,
    actor: Actor,
    participant_id: ParticipantId,
    signed_by: ConsentSigner | str,
    consent_version: str,
    consented_at: datetime,
    representative_relationship: str | None = None,
) -> Participant:
    """Record informed consent by the participant or a legally authorised representative (relationship
    required then), on which form version and when (ICH E6(R3) 2.8; 21 CFR 50.27)."""
    consent = Consent(signed_by, consent_version, consented_at, representative_relationship)  # type: ignore[arg-type]
    with operation(uow, actor, Action.CONSENT) as u:
        editable_trial(u)
        participant = participant_for(u, actor, participant_id)
        require(actor, Action.CONSENT, participant.site_id)
        not_in_future("consent.consented_at", consent.consented_at, u.clock.now())
        event = participant.give_consent(consent)
        u.participants.update(participant)
        record(u, event)
        u.commit()
    return participant


def enrol_participant(uow: UnitOfWork, actor: Actor, participant_id: ParticipantId) -> Participant:
    """Enrol an eligible, consented participant (the state machine refuses any other order)."""
    with operation(uow, actor, Action.ENROL) as u:
        editable_trial(u)
        participant = participant_for(u, actor, participant_id)
        require(actor, Action.ENROL, participant.site_id)
        event = participant.enrol(u.clock.now())
        u.participants.update(participant)
        record(u, event)
        u.commit()
    return participant


def start_follow_up(uow: UnitOfWork, actor: Actor, participant_id: ParticipantId) -> Participant:
    """End the treatment period: the participant enters follow-up (also without any dose, ITT)."""
    with operation(uow, actor, Action.END_PARTICIPATION) as u:
        editable_trial(u)
        participant = participant_for(u, actor, participant_id)
        require(actor, Action.END_PARTICIPATION, participant.site_id)
        event = participant.start_follow_up(u.clock.now())
        u.participants.update(participant)
        record(u, event)
        u.commit()
    return participant


def withdraw_participant(
    uow: UnitOfWork, actor: Actor, participant_id: ParticipantId, reason: str
) -> Participant:
    """Withdraw a participant from any active state; the reason is required and recorded."""
    with operation(uow, actor, Action.END_PARTICIPATION, reason) as u:
        editable_trial(u)
        participant = participant_for(u, actor, participant_id)
        require(actor, Action.END_PARTICIPATION, participant.site_id)
        event = participant.withdraw(reason, u.clock.now())
        u.participants.update(participant)
        record(u, event)
        u.commit()
    return participant


def record_death(uow: UnitOfWork, actor: Actor, participant_id: ParticipantId, died_on: date) -> Participant:
    """Record a participant's death (date of death; the record time is now)."""
    with operation(uow, actor, Action.END_PARTICIPATION) as u:
        editable_trial(u)
        participant = participant_for(u, actor, participant_id)
        require(actor, Action.END_PARTICIPATION, participant.site_id)
        event = participant.record_death(died_on, u.clock.now())
        u.participants.update(participant)
        record(u, event)
        u.commit()
    return participant


def complete_participant(uow: UnitOfWork, actor: Actor, participant_id: ParticipantId) -> Participant:
    """The participant finished follow-up."""
    with operation(uow, actor, Action.END_PARTICIPATION) as u:
        editable_trial(u)
        participant = participant_for(u, actor, participant_id)
        require(actor, Action.END_PARTICIPATION, participant.site_id)
        event = participant.complete(u.clock.now())
        u.participants.update(participant)
        record(u, event)
        u.commit()
    return participant


def lose_to_follow_up(uow: UnitOfWork, actor: Actor, participant_id: ParticipantId) -> Participant:
    """The participant can no longer be reached (any state after enrolment)."""
    with operation(uow, actor, Action.END_PARTICIPATION) as u:
        editable_trial(u)
        participant = participant_for(u, actor, participant_id)
        require(actor, Action.END_PARTICIPATION, participant.site_id)
        event = participant.mark_lost_to_follow_up(u.clock.now())
        u.participants.update(participant)
        record(u, event)
        u.commit()
    return participant
