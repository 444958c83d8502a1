"""Virtual patients: chunks of fixed size, one spawned seed each, tolerances drawn row by row."""

from __future__ import annotations

import numpy as np
import pytest

from mexards.domain.errors import ValidationError
from mexards.simulation import patient
from mexards.simulation.patient import CHUNK_TRIALS, chunk_seeds, chunk_sizes, tolerances


def test_trials_are_cut_into_full_chunks_and_one_partial_chunk() -> None:
    assert chunk_sizes(1) == [1]
    assert chunk_sizes(CHUNK_TRIALS) == [CHUNK_TRIALS]
    assert chunk_sizes(2 * CHUNK_TRIALS + 7) == [CHUNK_TRIALS, CHUNK_TRIALS, 7]


def test_chunk_seeds_do_not_depend_on_how_many_chunks_are_spawned() -> None:
    few = chunk_seeds(11, 2)
    many = chunk_seeds(11, 5)
    for a, b in zip(few, many, strict=False):
        assert np.array_equal(tolerances(a, 4, 3), tolerances(b, 4, 3))


def test_a_trial_has_the_same_patients_whatever_the_number_of_trials() -> None:
    seed = chunk_seeds(3, 1)[0]
    assert np.array_equal(tolerances(seed, 10, 6)[:4], tolerances(seed, 4, 6))


def test_tolerances_are_uniform_on_the_unit_interval() -> None:
    u = tolerances(chunk_seeds(5, 1)[0], 2000, 5)
    assert u.shape == (2000, 5)
    assert u.min() >= 0.0 and u.max() < 1.0
    assert abs(u.mean() - 0.5) < 0.01


def test_chunk_size_is_read_when_splitting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(patient, "CHUNK_TRIALS", 4)
    assert chunk_sizes(10) == [4, 4, 2]


@pytest.mark.parametrize(("trials", "seed", "field"), [(0, 1, "trials"), (-5, 1, "trials")])
def test_a_non_positive_number_of_trials_is_rejected(trials: int, seed: int, field: str) -> None:
    with pytest.raises(ValidationError) as info:
        chunk_sizes(trials)
    assert info.value.field == field


def test_a_negative_seed_is_rejected() -> None:
    with pytest.raises(ValidationError) as info:
        chunk_seeds(-1, 2)
    assert info.value.field == "seed"
