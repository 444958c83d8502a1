"""Invariants of sealed permuted-block lists for any ratio, block sizes, strata and seed (ICH E9 2.3.2)."""

from __future__ import annotations

import dataclasses
import random
from collections import Counter

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mexards.domain.errors import ConflictError
from mexards.domain.role import Role
from mexards.randomization.allocation_list import (
    AllocationList,
    generate_allocation_list,
    integrity_errors,
    verify,
)
from mexards.randomization.allocator import Allocator, StratumExhaustedError
from mexards.randomization.blinded import BlindedAllocation, blinded_view, view_for
from mexards.randomization.scheme import BlockScheme
from mexards.randomization.stratum import StratificationDesign

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def schemes(draw: st.DrawFn) -> BlockScheme:
    weights = draw(st.lists(st.integers(1, 4), min_size=2, max_size=4))
    multipliers = draw(st.sets(st.integers(1, 3), min_size=1, max_size=3))
    return BlockScheme.from_ratio({f"ARM{i}": w for i, w in enumerate(weights)}, sorted(multipliers))


@st.composite
def designs(draw: st.DrawFn) -> StratificationDesign:
    factors = draw(st.integers(0, 2))
    return StratificationDesign.of(
        {f"factor{i}": [f"L{j}" for j in range(draw(st.integers(1, 3)))] for i in range(factors)}
    )


@st.composite
def allocation_lists(draw: st.DrawFn) -> AllocationList:
    return generate_allocation_list(
        draw(schemes()), draw(designs()), draw(st.integers(1, 30)), seed=draw(st.integers(0, 2**64))
    )


@SETTINGS
@given(allocation_lists())
def test_every_block_boundary_is_balanced_to_the_ratio(allocation_list: AllocationList) -> None:
    scheme = allocation_list.scheme
    weights = {arm.code: arm.weight for arm in scheme.arms}
    for key in allocation_list.strata:
        counts: Counter[str] = Counter()
        slots = allocation_list.slots(key)
        for index, slot in enumerate(slots):
            counts[slot.arm_code] += 1
            assert slot.block_size in scheme.block_sizes
            at_boundary = index + 1 == len(slots) or slots[index + 1].block_number != slot.block_number
            if at_boundary:
                per_weight = {counts[code] / weight for code, weight in weights.items()}
                assert len(per_weight) == 1, f"unbalanced at slot {slot.sequence_number} of {key}"
    assert integrity_errors(allocation_list) == []


@SETTINGS
@given(schemes(), designs(), st.integers(1, 20), st.integers(0, 2**64))
def test_the_same_seed_gives_the_same_list_and_hash(
    scheme: BlockScheme, design: StratificationDesign, per_stratum: int, seed: int
) -> None:
    first = generate_allocation_list(scheme, design, per_stratum, seed=seed)
    second = generate_allocation_list(scheme, design, per_stratum, seed=seed)
    assert first.canonical_json() == second.canonical_json()
    assert verify(second, first.sha256)


@SETTINGS
@given(schemes(), designs(), st.integers(1, 20), st.integers(0, 2**64), st.integers(0, 2**64))
def test_different_seeds_give_different_lists(
    scheme: BlockScheme, design: StratificationDesign, per_stratum: int, seed: int, other: int
) -> None:
    if seed == other:
        other = seed + 1
    first = generate_allocation_list(scheme, design, per_stratum, seed=seed)
    second = generate_allocation_list(scheme, design, per_stratum, seed=other)
    assert first.sha256 != second.sha256
    assert not verify(second, first.sha256)


@SETTINGS
@given(allocation_lists())
def test_kit_codes_are_unique_across_the_whole_list(allocation_list: AllocationList) -> None:
    codes = [slot.kit_code for slot in allocation_list.all_slots()]
    assert len(codes) == len(set(codes))


@SETTINGS
@given(allocation_lists(), st.sampled_from([r for r in Role if r.is_blinded]))
def test_the_blinded_view_never_contains_the_arm_or_the_block(
    allocation_list: AllocationList, role: Role
) -> None:
    forbidden_names = ("arm", "block", "sequence")
    for slot in allocation_list.all_slots():
        view = view_for(role, slot)
        assert isinstance(view, BlindedAllocation)
        assert view == blinded_view(slot)
        names = {f.name for f in dataclasses.fields(view)} | set(view.as_dict())
        assert not any(word in name for name in names for word in forbidden_names)
        assert slot.arm_code not in view.as_dict().values()
        assert str(slot.block_size) not in view.as_dict().values()


@SETTINGS
@given(allocation_lists(), st.randoms(use_true_random=False))
def test_the_allocator_uses_every_slot_once_in_order_then_refuses(
    allocation_list: AllocationList, rnd: random.Random
) -> None:
    allocator = Allocator(allocation_list)
    used: dict[str, list[int]] = {key: [] for key in allocation_list.strata}
    pending = [key for key in allocation_list.strata for _ in allocation_list.slots(key)]
    rnd.shuffle(pending)
    for key in pending:
        slot = allocator.next_slot(key, used[key])
        assert slot.stratum == key
        assert slot.sequence_number == len(used[key]) + 1
        used[key].append(slot.sequence_number)
    for key, numbers in used.items():
        assert numbers == list(range(1, len(allocation_list.slots(key)) + 1))
        try:
            allocator.next_slot(key, numbers)
        except StratumExhaustedError as error:
            assert isinstance(error, ConflictError) and key in str(error)
        else:
            raise AssertionError("an exhausted stratum must refuse")


@SETTINGS
@given(allocation_lists(), st.data())
def test_the_next_slot_is_always_the_lowest_unused_number(
    allocation_list: AllocationList, data: st.DataObject
) -> None:
    allocator = Allocator(allocation_list)
    key = data.draw(st.sampled_from(allocation_list.strata))
    size = len(allocation_list.slots(key))
    used = data.draw(st.sets(st.integers(1, size), max_size=size - 1))
    slot = allocator.next_slot(key, used)
    assert slot.sequence_number == min(set(range(1, size + 1)) - used)


@SETTINGS
@given(allocation_lists())
def test_a_list_round_trips_through_json_with_its_seal(allocation_list: AllocationList) -> None:
    loaded = AllocationList.from_json(allocation_list.canonical_json())
    assert loaded.sha256 == allocation_list.sha256
