"""Errors survive a trip through pickle (they cross process boundaries in simulation pools)."""

from __future__ import annotations

import pickle

from mexards.domain.errors import InvalidTransitionError, ValidationError, ValidationErrors


def test_a_validation_error_keeps_its_field_rule_and_value_through_pickle() -> None:
    err = pickle.loads(pickle.dumps(ValidationError("phase1.target", "must be between 0 and 1", 2)))
    assert (err.field, err.rule, err.value, str(err)) == ("phase1.target", "must be between 0 and 1", 2,
                                                          "phase1.target: must be between 0 and 1")


def test_collected_validation_errors_and_transition_errors_survive_pickle() -> None:
    many = ValidationErrors([ValidationError("a", "r1"), ValidationError("b", "r2")])
    back = pickle.loads(pickle.dumps(many))
    assert [(e.field, e.rule) for e in back.errors] == [("a", "r1"), ("b", "r2")]
    assert str(back) == "a: r1\nb: r2"
    moved = pickle.loads(pickle.dumps(InvalidTransitionError("screened", "randomize")))
    assert (moved.state, moved.action) == ("screened", "randomize")
