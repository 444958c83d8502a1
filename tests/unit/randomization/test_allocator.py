"""Allocation in list order within the stratum (ICH E9 2.3.2; RND-3, RND-5)."""

from __future__ import annotations

import pytest

from mexards.domain.errors import ConflictError, ValidationError
from mexards.randomization.allocation_list import generate_allocation_list
from mexards.randomization.allocator import Allocator, StratumExhaustedError
from mexards.randomization.scheme import BlockScheme
from mexards.randomization.stratum import StratificationDesign

SCHEME = BlockScheme.parse_ratio(["QMTD", "MTD", "PBO"], "1:1:1", block_multipliers=(1,))
DESIGN = StratificationDesign.of({"berlin_severity": ["moderate", "severe"], "site": ["S01"]})
ALLOCATOR = Allocator(generate_allocation_list(SCHEME, DESIGN, 3, seed=9))
SEVERE = {"berlin_severity": "severe", "site": "S01"}


def test_the_next_slot_is_the_first_unused_in_list_order() -> None:
    slots = ALLOCATOR.allocation_list.slots("berlin_severity=severe|site=S01")
    assert ALLOCATOR.next_slot(SEVERE, []) == slots[0]
    assert ALLOCATOR.next_slot(SEVERE, [1]) == slots[1]
    assert ALLOCATOR.next_slot(SEVERE, [2]) == slots[0]
    assert ALLOCATOR.remaining(SEVERE, [1, 2]) == 1


def test_the_stratum_may_be_given_by_key_or_by_values() -> None:
    assert ALLOCATOR.next_slot("berlin_severity=severe|site=S01", []) == ALLOCATOR.next_slot(SEVERE, [])


def test_an_exhausted_stratum_is_a_conflict_naming_the_stratum_and_no_arm() -> None:
    with pytest.raises(StratumExhaustedError) as caught:
        ALLOCATOR.next_slot(SEVERE, [1, 2, 3])
    assert isinstance(caught.value, ConflictError)
    message = str(caught.value)
    assert "berlin_severity=severe|site=S01" in message
    assert not any(code in message for code in ("QMTD", "MTD", "PBO"))


def test_a_missing_stratification_value_is_a_validation_error_naming_the_factor() -> None:
    with pytest.raises(ValidationError) as caught:
        ALLOCATOR.next_slot({"site": "S01"}, [])
    assert caught.value.field == "berlin_severity"


@pytest.mark.parametrize("used", [[0], [4], ["1"], [True]])
def test_used_numbers_outside_the_stratum_are_refused(used: list[object]) -> None:
    with pytest.raises(ValidationError, match="used"):
        ALLOCATOR.next_slot(SEVERE, used)  # type: ignore[arg-type]


def test_an_unknown_stratum_key_is_refused() -> None:
    with pytest.raises(ValidationError, match="stratum"):
        ALLOCATOR.next_slot("berlin_severity=mild|site=S01", [])
