"""The permuted-block scheme: arms, their integer allocation ratio, and the allowed block sizes.

ICH E9 2.3.2: blocks keep the groups comparable over time; the block size should be short enough to limit
imbalance but long enough to avoid predictability at the end of a block, investigators should be blind to
the block length, and "the use of two or more block lengths, randomly selected for each block, can achieve
the same purpose". Each block holds every arm in exact proportion to the ratio, so block sizes are multiples
of the sum of the ratio: for 1:1:1 and multipliers (1, 2), blocks of 3 and 6 (``edc-and-standards.md``
RND-2).
The ratio is used as given (2:2:2 means blocks of 6 and 12), never reduced.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from mexards.domain.errors import ValidationError, ValidationErrors

_ARM_CODE = re.compile(r"[A-Za-z0-9_-]{1,20}")


def _whole(field: str, value: object, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValidationError(field, f"must be a whole number, at least {minimum}", value)
    return value


@dataclass(frozen=True, slots=True)
class ArmRatio:
    """One arm's code and its integer weight in the allocation ratio."""

    code: str
    weight: int = 1

    def __post_init__(self) -> None:
        if not isinstance(self.code, str) or _ARM_CODE.fullmatch(self.code) is None:
            raise ValidationError("arms.code", "must be 1-20 letters, digits, '_' or '-'", self.code)
        _whole("arms.weight", self.weight, 1)


@dataclass(frozen=True, slots=True)
class BlockScheme:
    """Arms with an integer ratio, and block-size multipliers (block size = multiplier x sum of the ratio)."""

    arms: tuple[ArmRatio, ...]
    block_multipliers: tuple[int, ...] = (1, 2)

    def __post_init__(self) -> None:
        errors: list[ValidationError] = []
        arms = tuple(self.arms)
        if len(arms) < 2:
            errors.append(ValidationError("arms", "at least two arms are needed", len(arms)))
        if not all(isinstance(arm, ArmRatio) for arm in arms):
            errors.append(ValidationError("arms", "must be ArmRatio items", arms))
        else:
            codes = [arm.code for arm in arms]
            if len(set(codes)) != len(codes):
                errors.append(ValidationError("arms", "arm codes must be unique", codes))
        multipliers = tuple(self.block_multipliers)
        if not multipliers:
            errors.append(
                ValidationError("block_multipliers", "at least one block size is needed", multipliers)
            )
        for value in multipliers:
            try:
                _whole("block_multipliers", value, 1)
            except ValidationError as error:
                errors.append(error)
        if len(set(multipliers)) != len(multipliers):
            errors.append(ValidationError("block_multipliers", "must not repeat a multiplier", multipliers))
        if errors:
            raise errors[0] if len(errors) == 1 else ValidationErrors(errors)
        object.__setattr__(self, "arms", arms)
        object.__setattr__(self, "block_multipliers", tuple(sorted(multipliers)))

    @classmethod
    def from_ratio(
        cls, ratio: Mapping[str, int] | Iterable[tuple[str, int]], block_multipliers: Iterable[int] = (1, 2)
    ) -> BlockScheme:
        """Build from ``{"A": 1, "B": 1, "C": 1}`` (arm order as given)."""
        items = ratio.items() if isinstance(ratio, Mapping) else ratio
        return cls(tuple(ArmRatio(code, weight) for code, weight in items), tuple(block_multipliers))

    @classmethod
    def parse_ratio(
        cls, codes: Iterable[str], ratio_text: str, block_multipliers: Iterable[int] = (1, 2)
    ) -> BlockScheme:
        """Build from arm codes and ratio text such as ``"1:1:1"`` or ``"2:1"``."""
        code_list = list(codes)
        parts = ratio_text.split(":") if isinstance(ratio_text, str) else []
        if not parts or not all(p.strip().isdigit() for p in parts):
            raise ValidationError("ratio", "must be whole numbers separated by ':' (e.g. 1:1:1)", ratio_text)
        if len(parts) != len(code_list):
            raise ValidationError("ratio", f"must have one number per arm ({len(code_list)})", ratio_text)
        return cls.from_ratio(zip(code_list, (int(p) for p in parts), strict=True), block_multipliers)

    @property
    def arm_codes(self) -> tuple[str, ...]:
        return tuple(arm.code for arm in self.arms)

    @property
    def ratio_sum(self) -> int:
        return sum(arm.weight for arm in self.arms)

    @property
    def block_sizes(self) -> tuple[int, ...]:
        """The allowed block sizes, smallest first."""
        return tuple(m * self.ratio_sum for m in self.block_multipliers)

    def block_contents(self, block_size: int) -> dict[str, int]:
        """How many slots of each arm a block of ``block_size`` holds (exact proportion to the ratio)."""
        if block_size not in self.block_sizes:
            raise ValidationError("block_size", "is not an allowed block size of this scheme", block_size)
        multiplier = block_size // self.ratio_sum
        return {arm.code: arm.weight * multiplier for arm in self.arms}
