"""Unit tests of building designs by name."""

from __future__ import annotations

import pytest

from mexards.domain.errors import ValidationError
from mexards.dosefinding import (
    BOIN,
    CRM,
    DesignOptions,
    DontSkipDoses,
    StopAtN,
    StopWhenTooToxic,
    ThreePlusThree,
)
from mexards.dosefinding.catalog import build_design, parse_skeleton


def test_each_name_builds_its_design() -> None:
    assert isinstance(build_design(DesignOptions("BOIN", target=0.25, num_doses=3)), BOIN)
    assert isinstance(build_design(DesignOptions("crm", target=0.25, num_doses=3)), CRM)
    v1 = build_design(DesignOptions("3+3", num_doses=3))
    v2 = build_design(DesignOptions("3+3-deescalate", num_doses=3))
    assert isinstance(v1, ThreePlusThree) and not v1.allow_deescalate
    assert isinstance(v2, ThreePlusThree) and v2.allow_deescalate


def test_modifiers_wrap_in_a_fixed_order() -> None:
    design = build_design(
        DesignOptions(
            "boin",
            target=0.25,
            num_doses=3,
            max_n=18,
            dont_skip=True,
            stop_tox_threshold=0.35,
            stop_confidence=0.8,
        )
    )
    assert isinstance(design, StopAtN)
    assert isinstance(design.parent, DontSkipDoses)
    assert isinstance(design.parent.parent, StopWhenTooToxic)


def test_a_crm_skeleton_must_match_the_number_of_doses() -> None:
    with pytest.raises(ValidationError) as info:
        build_design(DesignOptions("crm", target=0.25, num_doses=4, skeleton=(0.1, 0.2, 0.3)))
    assert info.value.field == "skeleton"


def test_the_toxicity_stop_needs_both_threshold_and_confidence() -> None:
    with pytest.raises(ValidationError) as info:
        build_design(DesignOptions("boin", target=0.25, num_doses=3, stop_tox_threshold=0.35))
    assert info.value.field == "stop_confidence"


def test_skeleton_text_must_be_numbers() -> None:
    assert parse_skeleton("0.1, 0.2,0.3") == (0.1, 0.2, 0.3)
    with pytest.raises(ValidationError) as info:
        parse_skeleton("0.1,x")
    assert info.value.field == "skeleton[1]"
