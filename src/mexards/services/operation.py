"""The frame every use case runs in: permission check, one unit of work, the audit actor and reason.

A use case calls :func:`operation` and commits once at the end; any exception before the commit leaves the
``with`` block and the unit of work rolls everything back (cosmicpython ``service_layer/unit_of_work.py``).
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TypeVar

from mexards.domain.errors import ConflictError, NotFoundError, ValidationError
from mexards.domain.event import DomainEvent
from mexards.domain.identifier import ParticipantId
from mexards.domain.participant import Participant
from mexards.domain.role import Actor
from mexards.domain.trial import Trial
from mexards.domain.validation import required_text
from mexards.protocol.model import Protocol
from mexards.services.policy import Action, require, require_site
from mexards.services.port import UnitOfWork

U = TypeVar("U", bound=UnitOfWork)


@contextmanager
def operation(uow: U, actor: Actor, action: Action, reason: str | None = None) -> Iterator[U]:
    """Check that ``actor`` may do ``action``, open the unit of work and set the audit actor and reason."""
    require(actor, action)
    if reason is not None:
        reason = required_text("reason", reason, 1000)
    with uow:
        uow.actor = actor
        uow.reason = reason
        yield uow


def record(uow: UnitOfWork, *events: DomainEvent) -> None:
    """Append the use case's domain events to the event log (written with the change)."""
    for event in events:
        uow.events.append(event)


class RandomIds:
    """Identifiers from the operating system's randomness (the default)."""

    def new_id(self, prefix: str) -> str:
        return f"{prefix}-{uuid.uuid4().hex[:20]}"


class SeededIds:
    """Identifiers from a seeded generator: a simulated trial run twice with one seed gets the same ids."""

    def __init__(self, seed: int) -> None:
        self._random = random.Random(seed)

    def new_id(self, prefix: str) -> str:
        return f"{prefix}-{self._random.getrandbits(80):020x}"


def new_id(uow: UnitOfWork, prefix: str) -> str:
    """A fresh opaque identifier from the unit of work's id source (a domain code: letters, digits and '-')."""
    return uow.ids.new_id(prefix)


def current_trial(uow: UnitOfWork) -> Trial:
    """The trial of this database; NotFoundError if it was never started."""
    trial = uow.trial.find()
    if trial is None:
        raise NotFoundError("no trial has been started in this database")
    return trial


def editable_trial(uow: UnitOfWork) -> Trial:
    """The trial, refusing any data change once the database is locked (SYS-7)."""
    trial = current_trial(uow)
    trial.ensure_editable()
    return trial


def checked_protocol(trial: Trial, protocol: Protocol) -> Protocol:
    """The protocol passed in must be the trial's protocol."""
    if not isinstance(protocol, Protocol):
        raise ValidationError("protocol", "must be a loaded Protocol", protocol)
    if protocol.registry_id != trial.protocol_id:
        raise ValidationError("protocol", f"must be the trial's protocol {trial.protocol_id}", protocol.registry_id)
    return protocol


def participant_for(uow: UnitOfWork, actor: Actor, participant_id: ParticipantId) -> Participant:
    """The participant, if the actor covers its site (else NotFoundError, revealing nothing)."""
    if not isinstance(participant_id, ParticipantId):
        raise ValidationError("participant_id", "must be a ParticipantId", participant_id)
    participant = uow.participants.find(participant_id)
    if participant is None:
        raise NotFoundError(f"participant {participant_id} not found")
    require_site(actor, participant_id, participant.site_id)
    return participant


def require_no_duplicate(exists: bool, what: str) -> None:
    if exists:
        raise ConflictError(f"{what} already exists")
