"""Blinded views carry the kit code and "study drug" only (RND-6, BLD-6; ICH E9 2.3.2 block length)."""

from __future__ import annotations

import dataclasses

import pytest

from mexards.domain.role import Role
from mexards.randomization.allocation_list import AllocationSlot, generate_allocation_list
from mexards.randomization.blinded import STUDY_DRUG, BlindedAllocation, blinded_view, view_for
from mexards.randomization.scheme import BlockScheme
from mexards.randomization.stratum import StratificationDesign

SLOT = generate_allocation_list(
    BlockScheme.parse_ratio(["QMTD", "MTD", "PBO"], "1:1:1"), StratificationDesign(), 3, seed=5
).all_slots()[0]


def test_the_blinded_view_has_only_the_kit_code_and_study_drug() -> None:
    view = blinded_view(SLOT)
    assert view.as_dict() == {"kit_code": SLOT.kit_code, "treatment": STUDY_DRUG}
    assert {f.name for f in dataclasses.fields(BlindedAllocation)} == {"kit_code", "treatment"}


@pytest.mark.parametrize("role", [r for r in Role if r.is_blinded])
def test_blinded_roles_get_the_blinded_view(role: Role) -> None:
    assert isinstance(view_for(role, SLOT), BlindedAllocation)


@pytest.mark.parametrize("role", [r for r in Role if not r.is_blinded])
def test_unblinded_roles_get_the_slot(role: Role) -> None:
    assert isinstance(view_for(role, SLOT), AllocationSlot)
