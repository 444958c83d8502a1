"""Executors return results in chunk order, wherever the chunks ran."""

from __future__ import annotations

import pytest

from mexards.domain.errors import ValidationError
from mexards.simulation.executor import LocalPoolExecutor, SerialExecutor, available_cpus, default_executor


def _square(x: int) -> int:
    return x * x


def test_serial_executor_maps_in_chunk_order() -> None:
    assert SerialExecutor().map(_square, [3, 1, 2]) == [9, 1, 4]


def test_local_pool_returns_results_in_chunk_order_with_several_workers() -> None:
    assert LocalPoolExecutor(workers=2).map(_square, list(range(7))) == [x * x for x in range(7)]


def test_local_pool_runs_a_single_chunk_in_process() -> None:
    # a lambda cannot be pickled: it only works because one chunk never leaves the process
    assert LocalPoolExecutor(workers=2).map(lambda x: x + 1, [41]) == [42]


def test_local_pool_is_sized_to_the_cpus_by_default() -> None:
    pool = LocalPoolExecutor()
    assert pool.workers == available_cpus() >= 1


def test_default_executor_is_a_local_pool() -> None:
    assert isinstance(default_executor(), LocalPoolExecutor)


def test_zero_workers_is_rejected_naming_the_field() -> None:
    with pytest.raises(ValidationError) as info:
        LocalPoolExecutor(workers=0)
    assert info.value.field == "workers"


def test_an_empty_list_of_chunks_gives_no_results() -> None:
    assert SerialExecutor().map(_square, []) == []
    assert LocalPoolExecutor(workers=2).map(_square, []) == []
