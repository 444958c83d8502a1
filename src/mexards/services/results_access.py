"""Who may see results by treatment group, and the allocated arms they then see."""

from __future__ import annotations

from mexards.domain.identifier import ParticipantId
from mexards.domain.role import Actor
from mexards.services.policy import sees_arms
from mexards.services.port import UnitOfWork


def may_see_arm_level(actor: Actor, locked: bool) -> bool:
    """Arm-level results need the database lock and an unblinded role (BLD-1; ICH E9 5.1)."""
    return locked and sees_arms(actor)


def allocated_arms(u: UnitOfWork) -> dict[ParticipantId, str]:
    """Randomised participant -> allocated arm id, from the sealed list and its used slots (unblinded data)."""
    sealed = u.allocation.find_list()
    if sealed is None:
        return {}
    slots = {(s.stratum, s.sequence_number): s.arm_code for s in sealed.allocation_list.all_slots()}
    return {use.participant_id: slots[(use.stratum, use.sequence_number)] for use in u.allocation.used_slots()}
