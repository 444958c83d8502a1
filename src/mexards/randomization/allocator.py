"""Allocation from a sealed list: the next unused slot of the participant's stratum, in list order.

ICH E9 2.3.2: "the next subject to be randomised into a trial should always receive the treatment
corresponding to the next free number in the appropriate randomisation schedule (in the respective stratum,
if randomisation is stratified)"; REDCap FR C.3.30.1000.100 (next unused row within the stratum, in upload
order). An exhausted stratum is a hard error, never a fallback to another stratum (``edc-and-standards.md``
RND-5), and its message names the stratum only, never an arm (BLD-6). Missing stratification values are a
ValidationError naming the factor (RND-3). Atomicity and one-allocation-per-participant are the caller's
unit of work (a unique constraint and row lock in persistence).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from mexards.domain.errors import ConflictError, ValidationError
from mexards.randomization.allocation_list import AllocationList, AllocationSlot
from mexards.randomization.stratum import Stratum


class StratumExhaustedError(ConflictError):
    """Every slot of a stratum has been used."""

    def __init__(self, stratum: str) -> None:
        self.stratum = stratum
        super().__init__(f"stratum {stratum} has no unused allocation slot left")


class Allocator:
    """Hands out slots of one allocation list."""

    def __init__(self, allocation_list: AllocationList) -> None:
        if not isinstance(allocation_list, AllocationList):
            raise ValidationError("allocation_list", "must be an AllocationList", allocation_list)
        self.allocation_list = allocation_list

    def stratum_key(self, stratum: Stratum | Mapping[str, object] | str) -> str:
        """The canonical key of ``stratum`` given as a Stratum, a key or the participant's factor values."""
        design = self.allocation_list.design
        if isinstance(stratum, Stratum):
            key = stratum.key
        elif isinstance(stratum, str):
            key = stratum
        elif isinstance(stratum, Mapping):
            key = design.stratum_for(stratum).key
        else:
            raise ValidationError(
                "stratum", "must be a Stratum, its key, or the stratification values", stratum
            )
        if key not in self.allocation_list.slots_by_stratum:
            raise ValidationError("stratum", "is not a stratum of this allocation list", key)
        return key

    def next_slot(self, stratum: Stratum | Mapping[str, object] | str, used: Iterable[int]) -> AllocationSlot:
        """The first slot of ``stratum`` whose sequence number is not in ``used``."""
        key = self.stratum_key(stratum)
        slots = self.allocation_list.slots_by_stratum[key]
        used_numbers = _used_numbers(key, len(slots), used)
        for slot in slots:
            if slot.sequence_number not in used_numbers:
                return slot
        raise StratumExhaustedError(key)

    def remaining(self, stratum: Stratum | Mapping[str, object] | str, used: Iterable[int]) -> int:
        """How many slots of ``stratum`` are still unused (for the unblinded used/unused dashboard, RND-8)."""
        key = self.stratum_key(stratum)
        slots = self.allocation_list.slots_by_stratum[key]
        return len(slots) - len(_used_numbers(key, len(slots), used))


def _used_numbers(key: str, size: int, used: Iterable[int]) -> set[int]:
    if isinstance(used, str | bytes) or not isinstance(used, Iterable):
        raise ValidationError("used", "must be a collection of sequence numbers", used)
    numbers: set[int] = set()
    for number in used:
        if isinstance(number, bool) or not isinstance(number, int) or not 1 <= number <= size:
            raise ValidationError("used", f"must be sequence numbers of stratum {key}", number)
        numbers.add(number)
    return numbers
