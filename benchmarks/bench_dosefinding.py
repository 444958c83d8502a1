"""Dose-finding operating characteristics: the vectorised simulator against a plain per-trial loop.

Both run the same virtual patients (same seed, same latent tolerances) and give identical numbers; the loop
calls the design's live ``fit`` after every cohort of every trial (as R's ``escalation::simulate_trials``), the
vectorised simulator advances all trials together with numpy. Exact enumeration is timed as well.

Scenarios are those of the reference notes (dosefinding.md section 2): B3/C3/A5 (BOIN), E3/E3b (CRM), the 3+3
V1 on B3's rates. Targets (dosefinding.md 0 and the project brief, on a 2-core machine): 10,000 BOIN trials of
B3 < 10 ms, 1,000,000 < 1 s; 10,000 CRM trials of E3 < 100 ms; exact B3 < 50 ms.

Run: ``python -m benchmarks dosefinding``. Wall times are medians of repeated runs; the machine is shared, so
compare the ratios measured in the same run.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

from mexards.dosefinding import BOIN, CRM, ThreePlusThree, getprior
from mexards.dosefinding.design import Design
from mexards.simulation import (
    DoseFindingScenario,
    LocalPoolExecutor,
    SerialExecutor,
    boin_rule,
    exact_operating_characteristics,
    replay_operating_characteristics,
    simulate_operating_characteristics,
)

B3 = DoseFindingScenario((0.10, 0.25, 0.40), 3, 6)
C3 = DoseFindingScenario((0.10, 0.25, 0.40), 3, 10)
A5 = DoseFindingScenario((0.05, 0.15, 0.30, 0.45, 0.60), 3, 10)
R_BASELINE_PER_10K = {"BOIN B3": 10.57, "BOIN C3": 8.75, "BOIN A5": 14.75, "CRM E3": 59.9, "CRM E3b": 135.8}
"""Wall seconds per 10,000 trials of BOIN::get.oc / dfcrm::crmsim (dosefinding.md section 4, another run)."""


@dataclass(frozen=True)
class Row:
    case: str
    method: str
    trials: int | None
    seconds: float
    target: str = ""
    loop_seconds_per_trial: float | None = None

    def cells(self) -> list[str]:
        rate = f"{self.trials / self.seconds:,.0f}" if self.trials else "-"
        ratio = "-"
        if self.loop_seconds_per_trial is not None and self.trials:
            ratio = f"{self.loop_seconds_per_trial * self.trials / self.seconds:,.0f}x"
        baseline = R_BASELINE_PER_10K.get(self.case)
        versus_r = f"{baseline / 10_000 * self.trials / self.seconds:,.0f}x" if baseline and self.trials else "-"
        wall = f"{self.seconds * 1000:,.1f} ms" if self.seconds < 10 else f"{self.seconds:,.1f} s"
        trials = f"{self.trials:,}" if self.trials else "exact"
        return [self.case, self.method, trials, wall, rate, ratio, versus_r, self.target]


def _median_seconds(run: Callable[[], object], repeat: int, before: Callable[[], None] | None = None) -> float:
    times = []
    for _ in range(repeat):
        if before is not None:
            before()
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _cold() -> None:
    """Forget every memoised BOIN selection so that each timed run pays for its select_mtd calls."""
    boin_rule._selected.cache_clear()


def _vectorised(design: Design, scenario: DoseFindingScenario, trials: int, repeat: int, cold: bool = True) -> float:
    return _median_seconds(
        lambda: simulate_operating_characteristics(design, scenario, trials=trials, seed=1, executor=SerialExecutor()),
        repeat,
        _cold if cold else None,
    )


def _loop_per_trial(design: Design, scenario: DoseFindingScenario, trials: int) -> float:
    seconds = _median_seconds(lambda: replay_operating_characteristics(design, scenario, trials=trials, seed=1), 1)
    return seconds / trials


def _exact(design: Design, scenario: DoseFindingScenario, repeat: int, live: bool = False) -> float:
    return _median_seconds(lambda: exact_operating_characteristics(design, scenario, live=live), repeat, _cold)


def measure() -> list[Row]:
    """Run every case once (with repeats for the fast ones) and return the rows of the table."""
    boin = BOIN(3, 0.25)
    boin5 = BOIN(5, 0.30)
    crm = CRM(getprior(0.05, 0.25, 2, 3), 0.25)
    three = ThreePlusThree(3)
    simulate_operating_characteristics(boin, B3, trials=1000, seed=0, executor=SerialExecutor())  # warm-up
    rows: list[Row] = []

    loop = _loop_per_trial(boin, B3, 1_000)
    rows.append(Row("BOIN B3", "per-trial loop over live fit", 1_000, loop * 1_000))
    rows.append(Row("BOIN B3", "vectorised", 10_000, _vectorised(boin, B3, 10_000, 9), "< 10 ms", loop))
    warm = _vectorised(boin, B3, 10_000, 9, cold=False)
    rows.append(Row("BOIN B3", "vectorised, warm selection memo", 10_000, warm, "", loop))
    rows.append(Row("BOIN B3", "vectorised", 1_000_000, _vectorised(boin, B3, 1_000_000, 3), "< 1 s", loop))
    pool = LocalPoolExecutor()
    pooled = _median_seconds(
        lambda: simulate_operating_characteristics(boin, B3, trials=1_000_000, seed=1, executor=pool), 3, _cold
    )
    rows.append(Row("BOIN B3", f"vectorised, local pool ({pool.workers} workers)", 1_000_000, pooled, "< 1 s", loop))

    loop = _loop_per_trial(boin, C3, 500)
    rows.append(Row("BOIN C3", "vectorised", 10_000, _vectorised(boin, C3, 10_000, 5), "", loop))
    loop = _loop_per_trial(boin5, A5, 500)
    rows.append(Row("BOIN A5", "vectorised", 10_000, _vectorised(boin5, A5, 10_000, 5), "", loop))

    loop = _loop_per_trial(crm, B3, 300)
    rows.append(Row("CRM E3", "per-trial loop over live fit", 300, loop * 300))
    rows.append(Row("CRM E3", "vectorised", 10_000, _vectorised(crm, B3, 10_000, 5), "< 100 ms", loop))
    rows.append(Row("CRM E3", "vectorised", 100_000, _vectorised(crm, B3, 100_000, 1), "", loop))
    loop = _loop_per_trial(crm, C3, 200)
    rows.append(Row("CRM E3b", "vectorised", 10_000, _vectorised(crm, C3, 10_000, 3), "", loop))

    loop = _loop_per_trial(three, B3, 1_000)
    rows.append(Row("3+3 V1", "vectorised (live fit per distinct state)", 10_000, _vectorised(three, B3, 10_000, 5),
                    "", loop))

    rows.append(Row("BOIN B3", "exact", None, _exact(boin, B3, 9), "< 50 ms"))
    rows.append(Row("BOIN B3", "exact, live fit per state", None, _exact(boin, B3, 3, live=True)))
    rows.append(Row("BOIN C3", "exact", None, _exact(boin, C3, 3)))
    rows.append(Row("BOIN A5", "exact", None, _exact(boin5, A5, 1)))
    rows.append(Row("CRM E3", "exact", None, _exact(crm, B3, 3)))
    rows.append(Row("CRM E3b", "exact", None, _exact(crm, C3, 1)))
    rows.append(Row("3+3 V1", "exact", None, _exact(three, B3, 5)))
    return rows


def markdown(rows: list[Row]) -> str:
    """The table to paste into BENCHMARKS.md."""
    header = ["scenario", "method", "trials", "wall", "trials/s", "vs loop", "vs R (section 4)", "target"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row.cells()) + " |" for row in rows]
    return "\n".join(lines)


def main() -> None:
    """Measure and print the Markdown table."""
    print(markdown(measure()))
    print()
    print(
        "vs loop: the per-trial Python loop calling the live fit after every cohort, same patients, measured in "
        "this run. vs R: BOIN::get.oc / dfcrm::crmsim wall time per 10,000 trials from dosefinding.md section 4 "
        "(another run on a machine of the same kind). Exact: full enumeration, no random numbers."
    )


if __name__ == "__main__":
    main()
