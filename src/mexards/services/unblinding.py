"""Emergency unblinding of one participant.

ICH E6(R3) 3.15(d)(ii) and ``edc-and-standards.md`` BLD-3, BLD-5: in a medical emergency an investigator can
identify one participant's product without revealing any other participant's assignment; the reason is
mandatory, the investigator re-enters their credentials, and the act is recorded (who, when, why) and
notified in the system. The notification text never names the arm: only the investigator who asked sees it,
in the answer to this call.
"""

from __future__ import annotations

from mexards.domain.errors import NotFoundError
from mexards.domain.identifier import ParticipantId
from mexards.domain.role import Actor, Role
from mexards.domain.unblinding import Unblinding, UnblindingKind
from mexards.domain.validation import required_text
from mexards.protocol.model import Protocol
from mexards.services.allocation import UnblindedAllocation, unblinded_allocation
from mexards.services.event import NotificationRecorded
from mexards.services.operation import (
    checked_protocol,
    current_trial,
    new_id,
    operation,
    participant_for,
    record,
)
from mexards.services.policy import Action, require, require_reauthentication
from mexards.services.port import Reauthentication, UnitOfWork
from mexards.services.record import Notification

UNBLINDING_RECIPIENTS = (
    Role.PRINCIPAL_INVESTIGATOR.value,
    Role.UNBLINDED_STATISTICIAN.value,
    Role.ADMINISTRATOR.value,
)
"""Who is told that a code was broken (the sponsor's unblinded safety contact and the trial lead)."""


def emergency_unblind(
    uow: UnitOfWork,
    actor: Actor,
    protocol: Protocol,
    participant_id: ParticipantId,
    reason: str,
    reauthentication: Reauthentication,
) -> UnblindedAllocation:
    """Break the code of exactly one participant for their medical management; returns that allocation.

    Allowed while the database is locked too (patient safety comes first); recorded and notified."""
    reason = required_text("reason", reason, 1000)
    with operation(uow, actor, Action.EMERGENCY_UNBLIND, reason) as u:
        trial = current_trial(u)
        checked_protocol(trial, protocol)
        now = u.clock.now()
        require_reauthentication(actor, reauthentication, now)
        participant = participant_for(u, actor, participant_id)
        require(actor, Action.EMERGENCY_UNBLIND, participant.site_id)
        slot = u.allocation.slot_of(participant_id)
        if slot is None or participant.randomization is None:
            raise NotFoundError(f"participant {participant_id} has not been randomized")
        unblinding = Unblinding(new_id(u, "UNB"), participant_id, UnblindingKind.EMERGENCY, reason, actor, now)
        event = participant.mark_unblinded(unblinding)
        notification = Notification(
            new_id(u, "NTF"),
            "emergency_unblinding",
            f"Emergency unblinding of participant {participant_id}",
            f"{actor.user_id} ({actor.role.value}) broke the code of participant {participant_id} "
            f"(kit {slot.kit_code}) at {now.isoformat()}. Reason: {reason}",
            now,
            actor.user_id,
            UNBLINDING_RECIPIENTS,
            participant_id,
        )
        u.unblindings.add(unblinding)
        u.participants.update(participant)
        u.notifications.notify(notification)
        record(u, event, NotificationRecorded(notification_id=notification.notification_id,
                                              kind=notification.kind, occurred_at=now))
        u.commit()
    return unblinded_allocation(protocol, trial, participant_id, slot)
