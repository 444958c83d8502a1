"""Phase 2 randomization: sealed, stratified permuted-block allocation lists, kit codes and allocation.

Pure (stdlib + numpy). See ``docs/domain.md`` for the algorithm.
"""

from mexards.randomization.allocation_list import (
    AllocationList,
    AllocationSlot,
    generate_allocation_list,
    integrity_errors,
    verify,
)
from mexards.randomization.allocator import Allocator, StratumExhaustedError
from mexards.randomization.blinded import STUDY_DRUG, BlindedAllocation, blinded_view, view_for
from mexards.randomization.kit_code import is_valid_kit_code, normalize_kit_code
from mexards.randomization.scheme import ArmRatio, BlockScheme
from mexards.randomization.stratum import StratificationDesign, StratificationFactor, Stratum

__all__ = [
    "STUDY_DRUG",
    "AllocationList",
    "AllocationSlot",
    "Allocator",
    "ArmRatio",
    "BlindedAllocation",
    "BlockScheme",
    "StratificationDesign",
    "StratificationFactor",
    "Stratum",
    "StratumExhaustedError",
    "blinded_view",
    "generate_allocation_list",
    "integrity_errors",
    "is_valid_kit_code",
    "normalize_kit_code",
    "verify",
    "view_for",
]
