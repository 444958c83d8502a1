"""The sealed allocation list: generated up front, stratified, in permuted blocks of random size.

Algorithm (ICH E9 2.3.2; CONSORT 2010 items 8a/8b: method of sequence generation and type of restriction):

1. Record the seed. ``numpy.random.SeedSequence(seed)`` (fresh OS entropy when no seed is given) is the root;
   its ``entropy`` is kept in the list so the schedule is reproducible (E9: "reproducible").
2. Spawn two children: one for blocks, one for kit codes. The block child spawns one grandchild per stratum,
   so every stratum has an independent ``numpy.random.Generator`` (PCG64).
3. Per stratum, until the requested number of slots is reached: choose a block size uniformly among the
   scheme's sizes, fill the block with each arm ``weight x multiplier`` times and permute it at random.
   Blocks are never truncated, so a stratum may hold a few more slots than requested and its list is
   balanced at every block boundary.
4. Number slots 1, 2, ... within each stratum (list order = allocation order, E9: "the next free number in
   the appropriate randomisation schedule"), then draw one unique kit code per slot.

The list has one canonical serialization (JSON with sorted keys, compact separators, ASCII) and its SHA-256
is the seal: recorded when the list is generated or loaded and checked with :func:`verify` before use
(``edc-and-standards.md`` RND-1). The list is unblinded data: never hand it, or a slot, to a blinded role;
use :mod:`mexards.randomization.blinded` for that.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np

from mexards.domain.errors import ValidationError, ValidationErrors
from mexards.randomization.kit_code import draw_kit_codes, is_valid_kit_code
from mexards.randomization.scheme import ArmRatio, BlockScheme
from mexards.randomization.stratum import StratificationDesign, StratificationFactor, Stratum

FORMAT = "mexards.allocation-list/1"
MAX_SLOTS_PER_STRATUM = 100_000


@dataclass(frozen=True, slots=True)
class AllocationSlot:
    """One row of the sealed list. ``arm_code`` and ``block_size`` are hidden from ``repr`` (no log leaks)."""

    stratum: str
    sequence_number: int
    block_number: int
    block_size: int = field(repr=False)
    arm_code: str = field(repr=False)
    kit_code: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "sequence_number": self.sequence_number,
            "block_number": self.block_number,
            "block_size": self.block_size,
            "arm_code": self.arm_code,
            "kit_code": self.kit_code,
        }


@dataclass(frozen=True, slots=True, eq=False)
class AllocationList:
    """A generated (or loaded) allocation list: scheme, strata, the recorded seed and every slot."""

    scheme: BlockScheme
    design: StratificationDesign
    seed_entropy: int
    slots_by_stratum: Mapping[str, tuple[AllocationSlot, ...]]

    def __post_init__(self) -> None:
        frozen = {key: tuple(slots) for key, slots in self.slots_by_stratum.items()}
        object.__setattr__(self, "slots_by_stratum", MappingProxyType(frozen))

    def __repr__(self) -> str:
        strata, slots = len(self.slots_by_stratum), self.slot_count
        return f"AllocationList(strata={strata}, slots={slots}, sha256={self.sha256})"

    @property
    def strata(self) -> tuple[str, ...]:
        return tuple(self.slots_by_stratum)

    @property
    def slot_count(self) -> int:
        return sum(len(slots) for slots in self.slots_by_stratum.values())

    def slots(self, stratum: str) -> tuple[AllocationSlot, ...]:
        try:
            return self.slots_by_stratum[stratum]
        except KeyError:
            raise ValidationError("stratum", "is not a stratum of this allocation list", stratum) from None

    def all_slots(self) -> tuple[AllocationSlot, ...]:
        return tuple(slot for slots in self.slots_by_stratum.values() for slot in slots)

    def to_data(self) -> dict[str, Any]:
        """The list as plain JSON data (the content that is hashed)."""
        return {
            "format": FORMAT,
            "seed_entropy": str(self.seed_entropy),
            "scheme": {
                "arms": [{"code": arm.code, "weight": arm.weight} for arm in self.scheme.arms],
                "block_multipliers": list(self.scheme.block_multipliers),
            },
            "factors": [{"name": f.name, "levels": list(f.levels)} for f in self.design.factors],
            "strata": [
                {"stratum": key, "slots": [slot.as_dict() for slot in slots]}
                for key, slots in self.slots_by_stratum.items()
            ],
        }

    def canonical_json(self) -> str:
        """The one canonical text of this list."""
        return json.dumps(self.to_data(), sort_keys=True, separators=(",", ":"), ensure_ascii=True)

    @property
    def sha256(self) -> str:
        """SHA-256 (hex) of the UTF-8 canonical JSON: the list's seal."""
        return hashlib.sha256(self.canonical_json().encode("utf-8")).hexdigest()

    @classmethod
    def from_json(cls, text: str | bytes) -> AllocationList:
        """Load a list from its JSON text and check its integrity (see :func:`integrity_errors`)."""
        try:
            data = json.loads(text)
            scheme = BlockScheme(
                tuple(ArmRatio(a["code"], a["weight"]) for a in data["scheme"]["arms"]),
                tuple(data["scheme"]["block_multipliers"]),
            )
            design = StratificationDesign(
                tuple(StratificationFactor(f["name"], tuple(f["levels"])) for f in data["factors"])
            )
            slots_by_stratum = {
                entry["stratum"]: tuple(
                    AllocationSlot(
                        entry["stratum"],
                        s["sequence_number"],
                        s["block_number"],
                        s["block_size"],
                        s["arm_code"],
                        s["kit_code"],
                    )
                    for s in entry["slots"]
                )
                for entry in data["strata"]
            }
            if data.get("format") != FORMAT:
                raise ValidationError("format", f"must be {FORMAT}", data.get("format"))
            allocation_list = cls(scheme, design, int(data["seed_entropy"]), slots_by_stratum)
        except (KeyError, TypeError, ValueError) as error:
            raise ValidationError("allocation_list", f"is not a valid allocation list ({error})") from None
        problems = integrity_errors(allocation_list)
        if problems:
            raise problems[0] if len(problems) == 1 else ValidationErrors(problems)
        return allocation_list


def _capacities(design: StratificationDesign, slots_per_stratum: int | Mapping[str, int]) -> dict[str, int]:
    keys = [stratum.key for stratum in design.strata()]
    if isinstance(slots_per_stratum, Mapping):
        unknown = sorted(set(slots_per_stratum) - set(keys))
        if unknown:
            raise ValidationError(
                "slots_per_stratum", "names a stratum that the design does not have", unknown[0]
            )
        missing = [key for key in keys if key not in slots_per_stratum]
        if missing:
            raise ValidationError("slots_per_stratum", "needs a number for every stratum", missing[0])
        wanted = dict(slots_per_stratum)
    else:
        wanted = dict.fromkeys(keys, slots_per_stratum)
    for key, count in wanted.items():
        if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= MAX_SLOTS_PER_STRATUM:
            raise ValidationError(
                "slots_per_stratum",
                f"must be a whole number from 1 to {MAX_SLOTS_PER_STRATUM} ({key})",
                count,
            )
    return {key: wanted[key] for key in keys}


def _stratum_slots(
    scheme: BlockScheme, stratum: Stratum, wanted: int, rng: np.random.Generator
) -> list[tuple[int, int, str]]:
    """(block_number, block_size, arm_code) for each slot of one stratum, in list order."""
    rows: list[tuple[int, int, str]] = []
    block_number = 0
    sizes = scheme.block_sizes
    while len(rows) < wanted:
        block_number += 1
        size = sizes[int(rng.integers(len(sizes)))]
        contents = scheme.block_contents(size)
        block = [code for code, count in contents.items() for _ in range(count)]
        for index in rng.permutation(len(block)):
            rows.append((block_number, size, block[int(index)]))
    return rows


def generate_allocation_list(
    scheme: BlockScheme,
    design: StratificationDesign,
    slots_per_stratum: int | Mapping[str, int],
    seed: int | None = None,
) -> AllocationList:
    """Generate the sealed list. ``seed=None`` draws fresh entropy; the seed used is kept in the list."""
    if not isinstance(scheme, BlockScheme):
        raise ValidationError("scheme", "must be a BlockScheme", scheme)
    if not isinstance(design, StratificationDesign):
        raise ValidationError("design", "must be a StratificationDesign", design)
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int) or seed < 0):
        raise ValidationError("seed", "must be a non-negative whole number", seed)
    capacities = _capacities(design, slots_per_stratum)
    root = np.random.SeedSequence(seed)
    entropy = root.entropy
    assert isinstance(entropy, int)
    block_seed, kit_seed = root.spawn(2)
    strata = design.strata()
    rows_by_stratum = {
        stratum.key: _stratum_slots(scheme, stratum, capacities[stratum.key], np.random.default_rng(child))
        for stratum, child in zip(strata, block_seed.spawn(len(strata)), strict=True)
    }
    kit_codes = iter(draw_kit_codes(np.random.default_rng(kit_seed), sum(map(len, rows_by_stratum.values()))))
    slots_by_stratum = {
        key: tuple(
            AllocationSlot(key, number, block_number, size, arm_code, next(kit_codes))
            for number, (block_number, size, arm_code) in enumerate(rows, start=1)
        )
        for key, rows in rows_by_stratum.items()
    }
    return AllocationList(scheme, design, entropy, slots_by_stratum)


def verify(allocation_list: AllocationList, expected_hash: str) -> bool:
    """True if the list's canonical content still hashes to ``expected_hash`` (constant-time comparison)."""
    if not isinstance(allocation_list, AllocationList) or not isinstance(expected_hash, str):
        return False
    return hmac.compare_digest(allocation_list.sha256, expected_hash.strip().lower())


def integrity_errors(allocation_list: AllocationList) -> list[ValidationError]:
    """Every structural problem of a list (empty if sound): strata match the design, slots are numbered
    1..n, blocks are complete, of an allowed size and balanced to the ratio, arms are known, and kit codes
    are well formed and unique across the whole list."""
    problems: list[ValidationError] = []
    scheme = allocation_list.scheme
    expected = [stratum.key for stratum in allocation_list.design.strata()]
    if list(allocation_list.slots_by_stratum) != expected:
        problems.append(ValidationError("strata", "must be exactly the design's strata, in order"))
    kit_counts = Counter(slot.kit_code for slot in allocation_list.all_slots())
    duplicates = sorted(code for code, count in kit_counts.items() if count > 1)
    if duplicates:
        problems.append(ValidationError("kit_code", "must be unique across the list", duplicates[0]))
    for key, slots in allocation_list.slots_by_stratum.items():
        if not slots:
            problems.append(ValidationError(f"strata.{key}", "has no slots"))
            continue
        if [s.sequence_number for s in slots] != list(range(1, len(slots) + 1)):
            problems.append(ValidationError(f"strata.{key}.sequence_number", "must run 1, 2, ... in order"))
        if any(s.stratum != key for s in slots):
            problems.append(ValidationError(f"strata.{key}.stratum", "every slot must name its own stratum"))
        bad_kits = [s.kit_code for s in slots if not is_valid_kit_code(s.kit_code)]
        if bad_kits:
            problems.append(ValidationError(f"strata.{key}.kit_code", "is not a valid kit code", bad_kits[0]))
        problems.extend(_block_errors(scheme, key, slots))
    return problems


def _block_errors(scheme: BlockScheme, key: str, slots: tuple[AllocationSlot, ...]) -> list[ValidationError]:
    problems: list[ValidationError] = []
    blocks: dict[int, list[AllocationSlot]] = {}
    for slot in slots:
        blocks.setdefault(slot.block_number, []).append(slot)
    if list(blocks) != list(range(1, len(blocks) + 1)):
        problems.append(ValidationError(f"strata.{key}.block_number", "must run 1, 2, ... in order"))
    for number, members in blocks.items():
        field_name = f"strata.{key}.block {number}"
        sizes = {slot.block_size for slot in members}
        size = members[0].block_size
        if len(sizes) != 1 or size not in scheme.block_sizes:
            problems.append(ValidationError(field_name, "has no single allowed block size"))
            continue
        if len(members) != size:
            problems.append(ValidationError(field_name, "is incomplete or too long"))
            continue
        if Counter(slot.arm_code for slot in members) != Counter(scheme.block_contents(size)):
            problems.append(ValidationError(field_name, "is not balanced to the allocation ratio"))
    return problems
