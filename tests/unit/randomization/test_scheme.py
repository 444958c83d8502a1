"""Permuted-block schemes: block sizes are multiples of the ratio sum (ICH E9 2.3.2; RND-2)."""

from __future__ import annotations

import pytest

from mexards.domain.errors import ValidationError, ValidationErrors
from mexards.randomization.scheme import ArmRatio, BlockScheme


def test_one_to_one_to_one_uses_blocks_of_three_and_six() -> None:
    scheme = BlockScheme.parse_ratio(["QMTD", "MTD", "PBO"], "1:1:1")
    assert scheme.block_sizes == (3, 6)
    assert scheme.block_contents(6) == {"QMTD": 2, "MTD": 2, "PBO": 2}


def test_an_unequal_ratio_keeps_its_proportion_in_every_block() -> None:
    scheme = BlockScheme.from_ratio({"ACTIVE": 2, "PBO": 1}, block_multipliers=(1, 2, 3))
    assert scheme.block_sizes == (3, 6, 9)
    assert scheme.block_contents(9) == {"ACTIVE": 6, "PBO": 3}


def test_the_ratio_is_used_as_given_not_reduced() -> None:
    assert BlockScheme.parse_ratio(["A", "B"], "2:2").block_sizes == (4, 8)


def test_a_block_size_the_scheme_does_not_allow_is_refused() -> None:
    with pytest.raises(ValidationError, match="block_size"):
        BlockScheme.parse_ratio(["A", "B", "C"], "1:1:1").block_contents(4)


@pytest.mark.parametrize(
    ("codes", "ratio", "field"),
    [
        (["A", "B"], "1:1:1", "ratio"),
        (["A", "B"], "1:x", "ratio"),
        (["A", "B"], "1:0", "arms.weight"),
        (["A"], "1", "arms"),
        (["A", "A"], "1:1", "arms"),
        (["A B", "C"], "1:1", "arms.code"),
    ],
)
def test_malformed_schemes_are_refused_naming_the_field(codes: list[str], ratio: str, field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        BlockScheme.parse_ratio(codes, ratio)
    assert caught.value.field == field


def test_bad_block_multipliers_are_all_reported() -> None:
    with pytest.raises(ValidationErrors) as caught:
        BlockScheme((ArmRatio("A"), ArmRatio("B")), (0, 2, 2))
    assert {e.field for e in caught.value.errors} == {"block_multipliers"}
    assert len(caught.value.errors) == 2
