"""Unit tests of the modifiers (escalation's stop_at_n, dont_skip_doses, stop_when_too_toxic semantics)."""

from __future__ import annotations

import pytest

from mexards.domain.errors import ValidationError
from mexards.dosefinding import BOIN, CRM, DontSkipDoses, StopAtN, StopWhenTooToxic, ThreePlusThree

SKELETON = (0.05, 0.1, 0.25, 0.4, 0.6)


def test_stop_at_n_continues_below_n_and_stops_at_n_with_the_mtd() -> None:
    design = StopAtN(BOIN(3, 0.25), 9)
    assert design.fit("1NNN 2NNN").should_continue
    decision = design.fit("1NNN 2NNN 3NNT")
    assert not decision.should_continue
    assert decision.recommended_dose == decision.mtd
    assert "sample size reached" in (decision.stop_reason or "")


def test_stop_at_n_leaves_an_already_stopped_trial_alone() -> None:
    decision = StopAtN(ThreePlusThree(3), 3).fit("1TTT")
    assert decision.recommended_dose is None
    assert decision.stop_reason == "dose 1 exceeds the MTD"


def test_stop_at_n_needs_a_positive_n_and_a_design() -> None:
    with pytest.raises(ValidationError) as info:
        StopAtN(BOIN(3, 0.25), 0)
    assert info.value.field == "n"
    with pytest.raises(ValidationError) as info:
        StopAtN("boin", 6)  # type: ignore[arg-type]
    assert info.value.field == "parent"


def test_dont_skip_doses_caps_escalation_at_the_last_dose_plus_one() -> None:
    design = DontSkipDoses(CRM(SKELETON, 0.25, restrict=False))
    decision = design.fit("1NNN")
    assert decision.recommended_dose == 2
    assert "escalate to dose 2 only" in decision.reason


def test_dont_skip_doses_keeps_the_start_dose_without_patients() -> None:
    assert DontSkipDoses(CRM(SKELETON, 0.25, start_dose=3)).fit("").recommended_dose == 3


def test_stop_when_too_toxic_caps_the_recommendation_below_a_toxic_dose() -> None:
    # 3/3 at dose 3: P(p > 0.3 | Beta(4, 1)) = 1 - 0.3^4 = 0.9919 > 0.9
    design = StopWhenTooToxic(CRM(SKELETON, 0.25, restrict=False), "any", 0.3, 0.9)
    decision = design.fit("1NNN 2NNN 3TTT 2NNN 2NNN 2NNN 2NNN")
    assert decision.admissible_doses == (1, 2)
    assert decision.recommended_dose is not None and decision.recommended_dose <= 2
    assert decision.details["prob_too_toxic"][3] == pytest.approx(1 - 0.3**4)  # type: ignore[index]


def test_stop_when_too_toxic_at_a_named_dose_ignores_other_doses() -> None:
    design = StopWhenTooToxic(BOIN(3, 0.25), 1, 0.3, 0.9)
    decision = design.fit("1NNN 2TTT")
    assert decision.should_continue and decision.admissible_doses == (1,)  # BOIN eliminated dose 2 itself


def test_stop_when_too_toxic_rejects_bad_parameters() -> None:
    with pytest.raises(ValidationError) as info:
        StopWhenTooToxic(BOIN(3, 0.25), 4, 0.3, 0.9)
    assert info.value.field == "dose"
    with pytest.raises(ValidationError) as info:
        StopWhenTooToxic(BOIN(3, 0.25), 1, 1.3, 0.9)
    assert info.value.field == "tox_threshold"
    with pytest.raises(ValidationError) as info:
        StopWhenTooToxic(BOIN(3, 0.25), 1, 0.3, 0.0)
    assert info.value.field == "confidence"


def test_modifier_names_chain_the_parent_name() -> None:
    design = StopAtN(DontSkipDoses(BOIN(3, 0.25)), 18)
    assert design.name == "BOIN(target=0.25) + dont_skip_doses + stop_at_n(18)"
    assert design.num_doses == 3
