"""Simulation of dose-finding designs: exact and Monte Carlo operating characteristics.

- :func:`exact_operating_characteristics`: every cohort outcome path enumerated (no random numbers);
- :func:`simulate_operating_characteristics` / :func:`compare_designs`: Monte Carlo vectorised across trials,
  on common random numbers, chunked over an :class:`Executor` (serial, local process pool, or Dask via
  :mod:`mexards.simulation.dask_executor`);
- :func:`replay_operating_characteristics`: the same Monte Carlo by a plain per-trial loop over the live ``fit``
  (the reference and the benchmark baseline).

See ``docs/simulation.md``.
"""

from mexards.simulation.exact import exact_operating_characteristics
from mexards.simulation.executor import Executor, LocalPoolExecutor, SerialExecutor, default_executor
from mexards.simulation.montecarlo import compare_designs, simulate_operating_characteristics
from mexards.simulation.replay import replay_operating_characteristics, replay_trial
from mexards.simulation.result import OperatingCharacteristics
from mexards.simulation.scenario import DoseFindingScenario, parse_probabilities

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
