"""``python -m benchmarks.load``: the full load benchmark, printed as Markdown for BENCHMARKS.md.

For each database (a SQLite file; PostgreSQL on a private throwaway server, or ``--pg-url`` for an existing
empty database) and each scenario (``mix``, ``crf``, ``randomization``), a fresh trial is prepared, served by
uvicorn with ``--workers`` processes on 127.0.0.1 and loaded by ``--clients`` virtual users for ``--seconds``.
Targets of issue 8 on PostgreSQL: at least 300 CRF saves/s with p99 under 100 ms at 50 clients, zero errors,
no double allocation.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from benchmarks.load.benchmark import LoadResult, markdown, run_load
from benchmarks.load.postgres import PrivateCluster

SCENARIOS = ("mix", "crf", "randomization")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.load", description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--workers", type=int, default=2, help="uvicorn worker processes (1: mexards serve)")
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--scenarios", default=",".join(SCENARIOS))
    parser.add_argument(
        "--pg-url", default=None, help="an existing, empty PostgreSQL database (one scenario)"
    )
    args = parser.parse_args(argv)
    scenarios = [s for s in args.scenarios.split(",") if s]
    if any(s not in SCENARIOS for s in scenarios):
        parser.error(f"--scenarios: choose from {', '.join(SCENARIOS)}")
    results: list[LoadResult] = []
    with tempfile.TemporaryDirectory(prefix="mexards-load-") as work:
        folder = Path(work)
        for database in args.databases.split(","):
            for scenario in scenarios:
                log = folder / f"{database}-{scenario}.log"

                def load(url: str, label: str, scenario: str = scenario, log: Path = log) -> LoadResult:
                    enrolled = 10 if scenario == "randomization" else 2
                    return run_load(
                        url,
                        label,
                        scenario,
                        args.clients,
                        args.workers,
                        args.seconds,
                        log,
                        enrolled_each=enrolled,
                    )

                if database == "sqlite":
                    results.append(load(f"sqlite:///{folder / f'{scenario}.sqlite'}", "SQLite"))
                elif args.pg_url:
                    results.append(load(args.pg_url, "PostgreSQL"))
                    break
                else:
                    with PrivateCluster(database=f"load_{scenario}") as cluster:
                        results.append(load(cluster.url("mexards-load"), "PostgreSQL"))
                print(markdown(results[-1:]).splitlines()[4], file=sys.stderr, flush=True)
    print(markdown(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
