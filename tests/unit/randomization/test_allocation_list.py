"""Sealed allocation lists: generation, canonical serialization, SHA-256 seal, integrity checks."""

from __future__ import annotations

import hashlib
import json
from collections import Counter

import pytest

from mexards.domain.errors import ValidationError, ValidationErrors
from mexards.randomization.allocation_list import (
    AllocationList,
    generate_allocation_list,
    integrity_errors,
    verify,
)
from mexards.randomization.scheme import BlockScheme
from mexards.randomization.stratum import StratificationDesign

SCHEME = BlockScheme.parse_ratio(["QMTD", "MTD", "PBO"], "1:1:1")
DESIGN = StratificationDesign.of({"berlin_severity": ["mild", "moderate", "severe"], "site": ["S01", "S02"]})


def sealed(seed: int = 20250301, per_stratum: int = 12) -> AllocationList:
    return generate_allocation_list(SCHEME, DESIGN, per_stratum, seed=seed)


def test_each_stratum_holds_whole_blocks_covering_at_least_the_requested_slots() -> None:
    allocation_list = sealed(per_stratum=10)
    assert allocation_list.strata == tuple(s.key for s in DESIGN.strata())
    for key in allocation_list.strata:
        slots = allocation_list.slots(key)
        assert 10 <= len(slots) <= 10 + 6 - 1
        assert [s.sequence_number for s in slots] == list(range(1, len(slots) + 1))
        assert len(slots) % 3 == 0
        counts = Counter(s.arm_code for s in slots)
        assert counts["QMTD"] == counts["MTD"] == counts["PBO"]


def test_the_seed_is_recorded_and_regenerates_the_same_list() -> None:
    allocation_list = sealed(seed=42)
    assert allocation_list.seed_entropy == 42
    again = generate_allocation_list(SCHEME, DESIGN, 12, seed=allocation_list.seed_entropy)
    assert again.canonical_json() == allocation_list.canonical_json()


def test_without_a_seed_fresh_entropy_is_drawn_and_recorded() -> None:
    allocation_list = generate_allocation_list(SCHEME, DESIGN, 3)
    assert allocation_list.seed_entropy > 2**64
    replay = generate_allocation_list(SCHEME, DESIGN, 3, seed=allocation_list.seed_entropy)
    assert replay.sha256 == allocation_list.sha256


def test_the_seal_is_the_sha256_of_the_canonical_json() -> None:
    allocation_list = sealed()
    text = allocation_list.canonical_json()
    assert allocation_list.sha256 == hashlib.sha256(text.encode("utf-8")).hexdigest()
    assert text == json.dumps(json.loads(text), sort_keys=True, separators=(",", ":"))
    assert verify(allocation_list, allocation_list.sha256)
    assert verify(allocation_list, allocation_list.sha256.upper())
    assert not verify(allocation_list, "0" * 64)


def test_a_list_round_trips_through_its_json_with_the_same_seal() -> None:
    allocation_list = sealed()
    loaded = AllocationList.from_json(allocation_list.canonical_json())
    assert loaded.sha256 == allocation_list.sha256
    assert loaded.all_slots() == allocation_list.all_slots()


def test_a_tampered_list_fails_verification_and_its_integrity_check() -> None:
    allocation_list = sealed()
    data = json.loads(allocation_list.canonical_json())
    first, second = data["strata"][0]["slots"][0], data["strata"][0]["slots"][1]
    if first["arm_code"] == second["arm_code"]:
        second = data["strata"][0]["slots"][2]
    first["arm_code"] = second["arm_code"]
    with pytest.raises(ValidationError, match="balanced"):
        AllocationList.from_json(json.dumps(data))


def test_a_duplicated_kit_code_is_found_by_the_integrity_check() -> None:
    data = json.loads(sealed().canonical_json())
    data["strata"][1]["slots"][0]["kit_code"] = data["strata"][0]["slots"][0]["kit_code"]
    with pytest.raises(ValidationError) as caught:
        AllocationList.from_json(json.dumps(data))
    fields = [e.field for e in caught.value.errors] if isinstance(caught.value, ValidationErrors) else []
    assert caught.value.field == "kit_code" or "kit_code" in fields


def test_a_sound_list_has_no_integrity_errors() -> None:
    assert integrity_errors(sealed()) == []


def test_the_repr_of_a_list_or_slot_never_shows_an_arm() -> None:
    allocation_list = sealed()
    slot = allocation_list.all_slots()[0]
    for text in (repr(allocation_list), repr(slot)):
        assert "arm" not in text and "QMTD" not in text and "PBO" not in text


def test_per_stratum_capacities_can_differ_but_must_cover_every_stratum() -> None:
    capacities = {s.key: 3 for s in DESIGN.strata()}
    capacities["berlin_severity=severe|site=S01"] = 9
    allocation_list = generate_allocation_list(SCHEME, DESIGN, capacities, seed=1)
    assert len(allocation_list.slots("berlin_severity=severe|site=S01")) >= 9
    del capacities["berlin_severity=mild|site=S01"]
    with pytest.raises(ValidationError, match="slots_per_stratum"):
        generate_allocation_list(SCHEME, DESIGN, capacities, seed=1)


@pytest.mark.parametrize("bad", [0, -3, True, 10**9])
def test_an_impossible_number_of_slots_is_refused(bad: int) -> None:
    with pytest.raises(ValidationError, match="slots_per_stratum"):
        generate_allocation_list(SCHEME, DESIGN, bad, seed=1)


def test_a_negative_seed_is_refused() -> None:
    with pytest.raises(ValidationError, match="seed"):
        generate_allocation_list(SCHEME, DESIGN, 3, seed=-1)


def test_json_that_is_not_an_allocation_list_is_refused() -> None:
    with pytest.raises(ValidationError, match="allocation_list"):
        AllocationList.from_json('{"format": "something else"}')
