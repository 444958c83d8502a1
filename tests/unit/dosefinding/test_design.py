"""Unit tests of the Decision value and the Design protocol."""

from __future__ import annotations

import json

from mexards.dosefinding import BOIN, CRM, Design, StopAtN, ThreePlusThree


def test_every_design_and_modifier_satisfies_the_design_protocol() -> None:
    for design in (BOIN(3, 0.25), CRM((0.1, 0.2, 0.3), 0.2), ThreePlusThree(3), StopAtN(BOIN(3, 0.25), 6)):
        assert isinstance(design, Design)


def test_decision_as_dict_is_json_ready() -> None:
    decision = BOIN(3, 0.25).fit("1NNN 2NTN")
    data = decision.as_dict()
    text = json.dumps(data)
    assert json.loads(text)["n_at_dose"] == [3, 3, 0]
    assert decision.num_patients == 6 and decision.num_doses == 3


def test_empiric_rates_are_none_for_untreated_doses() -> None:
    assert ThreePlusThree(3).fit("1NNT").empiric_tox_rate == (1 / 3, None, None)
