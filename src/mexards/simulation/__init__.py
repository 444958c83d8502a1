"""Simulation of dose-finding designs: exact and Monte Carlo operating characteristics.

- :func:`exact_operating_characteristics`: every cohort outcome path enumerated (no random numbers);
- :func:`simulate_operating_characteristics` / :func:`compare_designs`: Monte Carlo vectorised across trials,
  on common random numbers, chunked over an :class:`Executor` (serial, local process pool, or Dask via
  :mod:`mexards.simulation.dask_executor`);
- :func:`replay_operating_characteristics`: the same Monte Carlo by a plain per-trial loop over the live ``fit``
  (the reference and the benchmark baseline).

See ``docs/simulation.md``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mexards.lazy import lazy_names

if TYPE_CHECKING:
    from mexards.simulation.exact import exact_operating_characteristics
    from mexards.simulation.executor import Executor, LocalPoolExecutor, SerialExecutor, default_executor
    from mexards.simulation.montecarlo import compare_designs, simulate_operating_characteristics
    from mexards.simulation.replay import replay_operating_characteristics, replay_trial
    from mexards.simulation.result import OperatingCharacteristics
    from mexards.simulation.scenario import DoseFindingScenario, parse_probabilities

_HOME = {
    "exact_operating_characteristics": "exact",
    "Executor": "executor",
    "LocalPoolExecutor": "executor",
    "SerialExecutor": "executor",
    "default_executor": "executor",
    "compare_designs": "montecarlo",
    "simulate_operating_characteristics": "montecarlo",
    "replay_operating_characteristics": "replay",
    "replay_trial": "replay",
    "OperatingCharacteristics": "result",
    "DoseFindingScenario": "scenario",
    "parse_probabilities": "scenario",
}


__getattr__ = lazy_names(__name__, _HOME)


__all__ = [
    "DoseFindingScenario",
    "Executor",
    "LocalPoolExecutor",
    "OperatingCharacteristics",
    "SerialExecutor",
    "compare_designs",
    "default_executor",
    "exact_operating_characteristics",
    "parse_probabilities",
    "replay_operating_characteristics",
    "replay_trial",
    "simulate_operating_characteristics",
]
