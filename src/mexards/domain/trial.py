"""The trial: protocol identity and version, phase, recruitment status and database lock.

- Status follows the registry vocabulary (ClinicalTrials.gov overallStatus: not yet recruiting, recruiting,
  suspended, active not recruiting, completed, terminated), as a table of allowed transitions.
- The seamless design moves from Phase 1 to Phase 2 only on an approved, signed MTD declaration whose
  signatures still verify (``edc-and-standards.md`` SYS-2, ESG-2); Phase 2 doses then follow from the MTD.
- Database lock restricts edit access before final analysis or unblinding (ICH E6(R3) 3.16.1(r), SYS-7); it is
  allowed once recruitment has ended, and unlocking needs a reason (AUD-3).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from types import MappingProxyType

from mexards.domain.dose import Arm
from mexards.domain.errors import (
    ConflictError,
    InvalidTransitionError,
    PermissionDeniedError,
    ValidationError,
)
from mexards.domain.event import TrialLocked, TrialPhaseAdvanced, TrialStatusChanged, TrialUnlocked
from mexards.domain.mtd import MTDDeclaration
from mexards.domain.role import Actor, Role
from mexards.domain.validation import enum_member, not_before, required_text, utc_datetime


class TrialPhase(StrEnum):
    PHASE1 = "phase1"
    PHASE2 = "phase2"


class TrialStatus(StrEnum):
    NOT_YET_RECRUITING = "not_yet_recruiting"
    RECRUITING = "recruiting"
    SUSPENDED = "suspended"
    ACTIVE_NOT_RECRUITING = "active_not_recruiting"
    COMPLETED = "completed"
    TERMINATED = "terminated"


class TrialAction(StrEnum):
    OPEN_RECRUITMENT = "open_recruitment"
    SUSPEND = "suspend"
    CLOSE_RECRUITMENT = "close_recruitment"
    COMPLETE = "complete"
    TERMINATE = "terminate"


class LockState(StrEnum):
    UNLOCKED = "unlocked"
    LOCKED = "locked"


_T, _A = TrialStatus, TrialAction
STATUS_TRANSITIONS: Mapping[tuple[TrialStatus, TrialAction], TrialStatus] = MappingProxyType(
    {
        (_T.NOT_YET_RECRUITING, _A.OPEN_RECRUITMENT): _T.RECRUITING,
        (_T.SUSPENDED, _A.OPEN_RECRUITMENT): _T.RECRUITING,
        (_T.RECRUITING, _A.SUSPEND): _T.SUSPENDED,
        (_T.RECRUITING, _A.CLOSE_RECRUITMENT): _T.ACTIVE_NOT_RECRUITING,
        (_T.SUSPENDED, _A.CLOSE_RECRUITMENT): _T.ACTIVE_NOT_RECRUITING,
        (_T.ACTIVE_NOT_RECRUITING, _A.COMPLETE): _T.COMPLETED,
        **{
            (status, _A.TERMINATE): _T.TERMINATED
            for status in (_T.NOT_YET_RECRUITING, _T.RECRUITING, _T.SUSPENDED, _T.ACTIVE_NOT_RECRUITING)
        },
    }
)
"""Allowed (status, action) -> status; anything else raises InvalidTransitionError."""
del _T, _A

_LOCKABLE = frozenset({TrialStatus.ACTIVE_NOT_RECRUITING, TrialStatus.COMPLETED, TrialStatus.TERMINATED})
_LOCKING_ROLES = frozenset({Role.ADMINISTRATOR})


@dataclass(eq=False)
class Trial:
    """One trial run under one protocol (e.g. NCT04602104, MEXARDS)."""

    protocol_id: str
    protocol_version: str
    phase: TrialPhase = TrialPhase.PHASE1
    status: TrialStatus = TrialStatus.NOT_YET_RECRUITING
    lock_state: LockState = LockState.UNLOCKED
    mtd_dose_particles: int | None = None
    mtd_declaration_id: str | None = None
    status_changed_at: datetime | None = None
    locked_at: datetime | None = None

    def __post_init__(self) -> None:
        self.protocol_id = required_text("protocol_id", self.protocol_id, 100)
        self.protocol_version = required_text("protocol_version", self.protocol_version, 40)
        self.phase = enum_member(TrialPhase, "phase", self.phase)
        self.status = enum_member(TrialStatus, "status", self.status)
        self.lock_state = enum_member(LockState, "lock_state", self.lock_state)
        if self.status_changed_at is not None:
            self.status_changed_at = utc_datetime("status_changed_at", self.status_changed_at)

    @property
    def is_locked(self) -> bool:
        return self.lock_state is LockState.LOCKED

    def ensure_editable(self) -> None:
        """Raise ConflictError if the database is locked (no data changes after lock, SYS-7)."""
        if self.is_locked:
            raise ConflictError(f"trial {self.protocol_id} is locked; data cannot be changed")

    def change_status(self, action: TrialAction, at: datetime) -> TrialStatusChanged:
        action = enum_member(TrialAction, "action", action)
        try:
            target = STATUS_TRANSITIONS[(self.status, action)]
        except KeyError:
            raise InvalidTransitionError(self.status.value, action.value) from None
        at = utc_datetime("at", at)
        not_before("at", at, self.status_changed_at, "the previous status change")
        self.ensure_editable()
        event = TrialStatusChanged(
            protocol_id=self.protocol_id,
            from_status=self.status.value,
            to_status=target.value,
            occurred_at=at,
        )
        self.status, self.status_changed_at = target, at
        return event

    def advance_to_phase2(self, declaration: MTDDeclaration, at: datetime) -> TrialPhaseAdvanced:
        """Start Phase 2 at the declared MTD; the declaration must be approved and its signatures valid."""
        if self.phase is not TrialPhase.PHASE1:
            raise InvalidTransitionError(self.phase.value, "advance_to_phase2")
        self.ensure_editable()
        if not isinstance(declaration, MTDDeclaration):
            raise ValidationError("declaration", "must be an MTDDeclaration", declaration)
        if declaration.protocol_id != self.protocol_id:
            raise ValidationError(
                "declaration.protocol_id", "must be this trial's protocol", declaration.protocol_id
            )
        if declaration.mtd is None:
            raise ConflictError("no MTD was declared, so Phase 2 cannot start")
        if not declaration.is_approved():
            raise ConflictError("the MTD declaration needs a valid approval signature before Phase 2")
        at = utc_datetime("at", at)
        not_before("at", at, declaration.declared_at, "declaration.declared_at")
        self.phase = TrialPhase.PHASE2
        self.mtd_dose_particles = declaration.mtd_dose_particles
        self.mtd_declaration_id = declaration.declaration_id
        return TrialPhaseAdvanced(
            protocol_id=self.protocol_id,
            mtd_dose_particles=self.mtd_dose_particles,
            declaration_id=declaration.declaration_id,
            occurred_at=at,
        )

    def daily_dose_particles(self, arm: Arm) -> int:
        """Particles per daily dose of ``arm`` in this trial (fraction-of-MTD arms need Phase 2)."""
        return arm.daily_dose_particles(self.mtd_dose_particles)

    def lock(self, actor: Actor, at: datetime) -> TrialLocked:
        if self.is_locked:
            raise InvalidTransitionError(self.lock_state.value, "lock")
        _require_locking_role(actor)
        if self.status not in _LOCKABLE:
            raise ConflictError(f"trial {self.protocol_id} cannot be locked while {self.status.value}")
        at = utc_datetime("at", at)
        self.lock_state, self.locked_at = LockState.LOCKED, at
        return TrialLocked(protocol_id=self.protocol_id, locked_by=actor.user_id, occurred_at=at)

    def unlock(self, actor: Actor, reason: str, at: datetime) -> TrialUnlocked:
        if not self.is_locked:
            raise InvalidTransitionError(self.lock_state.value, "unlock")
        _require_locking_role(actor)
        reason = required_text("reason", reason, 1000)
        at = utc_datetime("at", at)
        not_before("at", at, self.locked_at, "locked_at")
        self.lock_state, self.locked_at = LockState.UNLOCKED, None
        return TrialUnlocked(
            protocol_id=self.protocol_id, unlocked_by=actor.user_id, reason=reason, occurred_at=at
        )


def _require_locking_role(actor: Actor) -> None:
    if not isinstance(actor, Actor) or actor.role not in _LOCKING_ROLES:
        raise PermissionDeniedError("only an administrator may lock or unlock the trial database")
