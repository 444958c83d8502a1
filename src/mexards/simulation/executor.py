"""Executors: where the chunks of a simulation run.

An :class:`Executor` maps a picklable function over a sequence of chunks and returns the results **in chunk
order**. Every chunk carries its own spawned seed (see :mod:`mexards.simulation.patient`), so the combined result
depends only on the master seed and the number of trials, never on which executor ran the chunks or how many
workers it had.

- :class:`SerialExecutor` runs the chunks one after the other in this process (tests, small jobs).
- :class:`LocalPoolExecutor` runs them on a local ``concurrent.futures.ProcessPoolExecutor`` sized to the CPUs
  (the default).
- :class:`mexards.simulation.dask_executor.DaskExecutor` sends them to a Dask scheduler (optional extra).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Protocol, TypeVar

from mexards.domain.errors import ValidationError

ChunkT = TypeVar("ChunkT")
ResultT = TypeVar("ResultT")


class Executor(Protocol):
    """Anything that maps ``fn`` over ``chunks`` and returns the results in the order of ``chunks``."""

    def map(self, fn: Callable[[ChunkT], ResultT], chunks: Sequence[ChunkT]) -> list[ResultT]:
        """Apply ``fn`` to every chunk; the i-th result belongs to the i-th chunk."""
        ...


class SerialExecutor:
    """Run every chunk in the calling process, in order."""

    name = "serial"

    def map(self, fn: Callable[[ChunkT], ResultT], chunks: Sequence[ChunkT]) -> list[ResultT]:
        """Apply ``fn`` to each chunk in turn."""
        return [fn(chunk) for chunk in chunks]


def available_cpus() -> int:
    """The CPUs this process may use (the scheduler affinity where the platform reports it)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - platforms without sched_getaffinity
        return max(1, os.cpu_count() or 1)


class LocalPoolExecutor:
    """Run chunks on a local process pool (``concurrent.futures.ProcessPoolExecutor``).

    ``workers`` defaults to the number of CPUs available to this process. A pool is started for each ``map``
    call and shut down after it; a single chunk (or ``workers == 1``) runs in-process, which avoids paying for
    worker start-up when there is nothing to parallelise.
    """

    name = "local"

    def __init__(self, workers: int | None = None) -> None:
        if workers is not None and workers < 1:
            raise ValidationError("workers", "must be at least 1", workers)
        self.workers = workers if workers is not None else available_cpus()

    def map(self, fn: Callable[[ChunkT], ResultT], chunks: Sequence[ChunkT]) -> list[ResultT]:
        """Apply ``fn`` to every chunk on the pool; results come back in chunk order."""
        if len(chunks) <= 1 or self.workers == 1:
            return [fn(chunk) for chunk in chunks]
        with ProcessPoolExecutor(max_workers=min(self.workers, len(chunks))) as pool:
            return list(pool.map(fn, chunks))


def default_executor(workers: int | None = None) -> Executor:
    """The executor used when none is given: a local process pool sized to the CPUs."""
    return LocalPoolExecutor(workers)
