"""The sealed permuted-block list checked against the block-design rules of ICH E9 and CONSORT 2010.

Sources (paraphrased; see ``edc-and-standards.md`` 2.5, RND-1..RND-6):
- ICH E9 (Statistical Principles for Clinical Trials, 1998), section 2.3.2 Randomisation: blocks keep groups
  comparable; block size short enough to limit imbalance and long enough to avoid predictability at the end
  of a block; investigators blind to the block length, e.g. "two or more block lengths, randomly selected for
  each block"; a separate random scheme per centre (stratify by centre); the next subject receives "the next
  free number in the appropriate randomisation schedule (in the respective stratum)"; the schedule is
  reproducible.
- CONSORT 2010 items 8a/8b (method of sequence generation; type of randomisation and restriction, e.g.
  blocking and block size), 9 (allocation concealment: sequentially numbered, unidentifiable containers) and
  10 (who enrolled and assigned participants, without access to the sequence).

Statistical tolerances are stated per test: frequencies within 4 binomial standard errors of their target.
"""

from __future__ import annotations

import math
from collections import Counter

import numpy as np

from mexards.domain.role import Role
from mexards.randomization.allocation_list import generate_allocation_list
from mexards.randomization.allocator import Allocator
from mexards.randomization.blinded import BlindedAllocation, view_for
from mexards.randomization.kit_code import ALPHABET
from mexards.randomization.scheme import BlockScheme
from mexards.randomization.stratum import StratificationDesign

MEXARDS = BlockScheme.parse_ratio(["QMTD", "MTD", "PBO"], "1:1:1")
SITES = StratificationDesign.of({"berlin_severity": ["mild", "moderate", "severe"], "site": ["S01", "S02"]})
SEED = 20250301


def test_e9_two_block_lengths_of_3_and_6_are_chosen_at_random_about_equally_often() -> None:
    """ICH E9 2.3.2 (random block lengths); RND-2 (3 and 6 for 1:1:1). Tolerance: 4 binomial SEs."""
    slots = generate_allocation_list(MEXARDS, StratificationDesign(), 9000, seed=SEED).slots("all")
    block_sizes = {slot.block_number: slot.block_size for slot in slots}
    blocks = Counter(block_sizes.values())
    assert set(blocks) == {3, 6}
    n = len(block_sizes)
    assert abs(blocks[3] / n - 0.5) <= 4 * math.sqrt(0.25 / n)


def test_e9_short_blocks_limit_imbalance_to_two_between_any_two_arms_at_any_time() -> None:
    """ICH E9 2.3.2 (limit imbalance). Blocks of at most 6 in 1:1:1: no arm leads another by more than 2."""
    allocation_list = generate_allocation_list(MEXARDS, SITES, 300, seed=SEED)
    for key in allocation_list.strata:
        counts = Counter({code: 0 for code in MEXARDS.arm_codes})
        for slot in allocation_list.slots(key):
            counts[slot.arm_code] += 1
            assert max(counts.values()) - min(counts.values()) <= 2


def test_e9_each_block_is_balanced_so_each_stratum_is_balanced_at_every_block_end() -> None:
    """ICH E9 2.3.2 (blocks increase comparability); CONSORT 8b (restriction by blocking). Exact."""
    allocation_list = generate_allocation_list(MEXARDS, SITES, 30, seed=SEED)
    for key in allocation_list.strata:
        slots = allocation_list.slots(key)
        last_of_block = {slot.block_number: slot.sequence_number for slot in slots}
        for end in last_of_block.values():
            counts = Counter(s.arm_code for s in slots[:end])
            assert counts["QMTD"] == counts["MTD"] == counts["PBO"] == end // 3


def test_e9_each_centre_and_stratum_has_its_own_independent_schedule() -> None:
    """ICH E9 2.3.2 (separate scheme per centre); RND-3. The strata of one list do not share a sequence."""
    allocation_list = generate_allocation_list(MEXARDS, SITES, 60, seed=SEED)
    sequences = {tuple(s.arm_code for s in allocation_list.slots(key)[:60]) for key in allocation_list.strata}
    assert len(sequences) == len(allocation_list.strata)


def test_e9_the_next_participant_receives_the_next_free_number_of_their_stratum() -> None:
    """ICH E9 2.3.2 (next free number in the respective stratum); REDCap C.3.30.1000.100. Exact."""
    allocation_list = generate_allocation_list(MEXARDS, SITES, 6, seed=SEED)
    allocator = Allocator(allocation_list)
    values = {"berlin_severity": "severe", "site": "S02"}
    used: list[int] = []
    for expected in allocation_list.slots("berlin_severity=severe|site=S02"):
        slot = allocator.next_slot(values, used)
        assert slot == expected
        used.append(slot.sequence_number)


def test_e9_and_consort_8a_the_schedule_is_reproducible_from_its_documented_method_and_seed() -> None:
    """ICH E9 2.3.2 (reproducible); CONSORT 8a/8b (method, blocking, ratio documented in the list). Exact."""
    allocation_list = generate_allocation_list(MEXARDS, SITES, 12, seed=SEED)
    data = allocation_list.to_data()
    assert data["seed_entropy"] == str(SEED)
    assert data["scheme"] == {
        "arms": [{"code": "QMTD", "weight": 1}, {"code": "MTD", "weight": 1}, {"code": "PBO", "weight": 1}],
        "block_multipliers": [1, 2],
    }
    replay = generate_allocation_list(MEXARDS, SITES, 12, seed=int(data["seed_entropy"]))
    assert replay.sha256 == allocation_list.sha256


def test_consort_9_kit_codes_reveal_neither_the_order_nor_the_arm() -> None:
    """CONSORT 9 (unidentifiable, sequentially numbered containers); RND-6. Tolerance: 4 SEs.

    The rank correlation between kit code and list position is within 4/sqrt(n) of 0, and each arm's kit
    codes start with a symbol from the first half of the alphabet about half the time.
    """
    slots = generate_allocation_list(MEXARDS, StratificationDesign(), 6000, seed=SEED).slots("all")
    n = len(slots)
    kit_rank = np.argsort(np.argsort([slot.kit_code for slot in slots]))
    position = np.arange(n)
    rho = np.corrcoef(kit_rank, position)[0, 1]
    assert abs(rho) <= 4 / math.sqrt(n)
    low_half = set(ALPHABET[:16])
    for code in MEXARDS.arm_codes:
        firsts = [slot.kit_code[0] in low_half for slot in slots if slot.arm_code == code]
        share = sum(firsts) / len(firsts)
        assert abs(share - 0.5) <= 4 * math.sqrt(0.25 / len(firsts))


def test_consort_10_staff_who_enrol_and_assign_see_a_kit_code_but_not_the_sequence() -> None:
    """CONSORT 10 (who enrolled and assigned, without access to the sequence); BLD-1, RND-6. Exact."""
    slot = generate_allocation_list(MEXARDS, SITES, 3, seed=SEED).all_slots()[0]
    for role in (Role.INVESTIGATOR, Role.COORDINATOR, Role.PRINCIPAL_INVESTIGATOR):
        view = view_for(role, slot)
        assert isinstance(view, BlindedAllocation)
        assert view.as_dict() == {"kit_code": slot.kit_code, "treatment": "study drug"}
