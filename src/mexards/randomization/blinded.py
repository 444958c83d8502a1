"""What a blinded role may see of an allocation: the kit code and "study drug", nothing else.

REDCap's blinded randomization model shows users only a concealed code, also in reports and logs
(``edc-and-standards.md`` 1.2, RND-6, BLD-6); ICH E9 2.3.2 keeps investigators blind to the block length.
A :class:`BlindedAllocation` therefore has no arm field, no block number or size and no sequence number
(which, with the stratum, would hint at positions within blocks), so none can leak through serialization.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from mexards.domain.errors import ValidationError
from mexards.domain.role import Role
from mexards.randomization.allocation_list import AllocationSlot

STUDY_DRUG: Final = "study drug"


@dataclass(frozen=True, slots=True)
class BlindedAllocation:
    """A slot as a blinded role sees it."""

    kit_code: str
    treatment: str = STUDY_DRUG

    def as_dict(self) -> dict[str, str]:
        return {"kit_code": self.kit_code, "treatment": self.treatment}


def blinded_view(slot: AllocationSlot) -> BlindedAllocation:
    """The blinded view of ``slot``."""
    if not isinstance(slot, AllocationSlot):
        raise ValidationError("slot", "must be an AllocationSlot", slot)
    return BlindedAllocation(slot.kit_code)


def view_for(role: Role, slot: AllocationSlot) -> BlindedAllocation | AllocationSlot:
    """The slot itself for an unblinded role, else the blinded view (BLD-1 decides who is blinded)."""
    role = Role.parse(role)
    return blinded_view(slot) if role.is_blinded else slot
