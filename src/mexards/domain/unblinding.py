"""Unblinding of one participant's Phase 2 assignment.

ICH E6(R3) 3.15(d)(ii) and ``edc-and-standards.md`` BLD-3: in a medical emergency an investigator can rapidly
identify one participant's product without revealing other participants' assignments; a reason is mandatory
and the act is recorded (who, when, why; BLD-5). BLD-4: unblinding for expedited SUSAR reporting is done by a
separate unblinded role with no route back to the study team. An Unblinding therefore names exactly one
participant, never a list.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from mexards.domain.errors import PermissionDeniedError, ValidationError
from mexards.domain.identifier import ParticipantId, checked_code
from mexards.domain.role import Actor, Role
from mexards.domain.validation import enum_member, required_text, utc_datetime


class UnblindingKind(StrEnum):
    EMERGENCY = "emergency"
    """Investigator, for the participant's medical management (BLD-3)."""
    SAFETY_REPORTING = "safety_reporting"
    """Unblinded role, to assess and report a SUSAR (BLD-4)."""

    @property
    def allowed_roles(self) -> frozenset[Role]:
        return _ALLOWED_ROLES[self]


_ALLOWED_ROLES = {
    UnblindingKind.EMERGENCY: frozenset({Role.PRINCIPAL_INVESTIGATOR, Role.INVESTIGATOR}),
    UnblindingKind.SAFETY_REPORTING: frozenset({Role.UNBLINDED_STATISTICIAN}),
}


@dataclass(frozen=True, slots=True)
class Unblinding:
    """One participant's code break: who, why, when."""

    unblinding_id: str
    participant_id: ParticipantId
    kind: UnblindingKind
    reason: str
    actor: Actor
    unblinded_at: datetime

    def __post_init__(self) -> None:
        object.__setattr__(self, "unblinding_id", checked_code("unblinding_id", self.unblinding_id))
        if not isinstance(self.participant_id, ParticipantId):
            raise ValidationError("participant_id", "must be exactly one ParticipantId", self.participant_id)
        object.__setattr__(self, "kind", enum_member(UnblindingKind, "kind", self.kind))
        object.__setattr__(self, "reason", required_text("reason", self.reason, 1000))
        if not isinstance(self.actor, Actor):
            raise ValidationError("actor", "must be an Actor", self.actor)
        if self.actor.role not in self.kind.allowed_roles:
            raise PermissionDeniedError(
                f"role {self.actor.role.value} may not perform {self.kind.value} unblinding"
            )
        object.__setattr__(self, "unblinded_at", utc_datetime("unblinded_at", self.unblinded_at))
