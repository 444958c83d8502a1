"""Trial-level use cases: start the trial under its protocol, change its recruitment status, lock the database.

Status vocabulary and lock rules are those of :mod:`mexards.domain.trial` (registry overallStatus; database lock
before final analysis, ICH E6(R3) 3.16.1(r), ``edc-and-standards.md`` SYS-7; unlocking needs a reason, AUD-3).
"""

from __future__ import annotations

from mexards.domain.errors import ConflictError
from mexards.domain.role import Actor
from mexards.domain.trial import Trial, TrialAction
from mexards.domain.validation import enum_member, required_text
from mexards.protocol.model import Protocol
from mexards.services.event import TrialStarted
from mexards.services.operation import current_trial, operation, record
from mexards.services.policy import Action
from mexards.services.port import UnitOfWork


def start_trial(uow: UnitOfWork, actor: Actor, protocol: Protocol, protocol_version: str) -> Trial:
    """Create the trial record for ``protocol`` at ``protocol_version`` (once per database)."""
    version = required_text("protocol_version", protocol_version, 40)
    with operation(uow, actor, Action.START_TRIAL) as u:
        if u.trial.find() is not None:
            raise ConflictError("a trial has already been started in this database")
        trial = Trial(protocol.registry_id, version, status_changed_at=u.clock.now())
        u.trial.add(trial)
        record(u, TrialStarted(protocol_id=trial.protocol_id, protocol_version=version, occurred_at=u.clock.now()))
        u.commit()
    return trial


def change_trial_status(uow: UnitOfWork, actor: Actor, action: TrialAction | str) -> Trial:
    """Open or suspend recruitment, close it, complete or terminate the trial (allowed table in the domain)."""
    trial_action = enum_member(TrialAction, "action", action)
    with operation(uow, actor, Action.CHANGE_TRIAL_STATUS) as u:
        trial = current_trial(u)
        event = trial.change_status(trial_action, u.clock.now())
        u.trial.update(trial)
        record(u, event)
        u.commit()
    return trial


def lock_database(uow: UnitOfWork, actor: Actor) -> Trial:
    """Lock the database: from now on every data change is refused (administrator only)."""
    with operation(uow, actor, Action.LOCK_DATABASE) as u:
        trial = current_trial(u)
        event = trial.lock(actor, u.clock.now())
        u.trial.update(trial)
        record(u, event)
        u.commit()
    return trial


def unlock_database(uow: UnitOfWork, actor: Actor, reason: str) -> Trial:
    """Unlock the database for a documented reason (administrator only)."""
    with operation(uow, actor, Action.LOCK_DATABASE, reason) as u:
        trial = current_trial(u)
        event = trial.unlock(actor, reason, u.clock.now())
        u.trial.update(trial)
        record(u, event)
        u.commit()
    return trial
