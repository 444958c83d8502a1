"""``python -m benchmarks.load``: the full load benchmark, printed as Markdown for BENCHMARKS.md.

For each database (a SQLite file; PostgreSQL on a private throwaway server, or ``--pg-url`` for an existing
empty database), each scenario (``mix``, ``crf``, ``randomization``) and each ``--rate``, a fresh trial is
prepared, served by uvicorn with ``--workers`` processes on 127.0.0.1 and loaded by ``--clients`` virtual users
for ``--seconds``. Rate 0 is the closed loop (every client sends again as soon as it is answered: the capacity);
a positive rate is the open loop (that many requests per second offered in total, latency measured from the
scheduled send time: the latency at that load; see ``benchmarks/load/workload.py``). Targets of issue 8 on
PostgreSQL: at least 300 CRF saves/s with p99 under 100 ms at 50 clients, zero errors, no double allocation;
``--scenarios crf --rate 0,300`` measures both the capacity and the latency at 300/s.
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from benchmarks.load.benchmark import LoadResult, markdown, row, run_load
from benchmarks.load.postgres import PrivateCluster
from benchmarks.load.workload import SCENARIOS

DATABASES = ("sqlite", "postgresql")


def rates(text: str) -> list[float]:
    """``--rate``: comma-separated requests per second, each a finite number >= 0."""
    values = []
    for part in text.split(","):
        try:
            value = float(part)
        except ValueError:
            value = math.nan
        if not (value >= 0 and math.isfinite(value)):
            raise argparse.ArgumentTypeError(
                f"each rate must be a number >= 0 (requests per second), not {part!r}"
            )
        values.append(value)
    return values


def positive(kind: Callable[[str], float]) -> Callable[[str], float]:
    """An argument that must be a number > 0 of ``kind`` (``int`` or ``float``)."""

    def parse(text: str) -> float:
        try:
            value = kind(text)
        except ValueError:
            value = math.nan
        if not (value > 0 and math.isfinite(value)):
            raise argparse.ArgumentTypeError(f"must be a number > 0, not {text!r}")
        return value

    return parse


def choices(allowed: tuple[str, ...]) -> Callable[[str], list[str]]:
    """A comma-separated list of names out of ``allowed``."""

    def parse(text: str) -> list[str]:
        names = [name for name in text.split(",") if name]
        if not names or any(name not in allowed for name in names):
            raise argparse.ArgumentTypeError(f"choose from {', '.join(allowed)}, not {text!r}")
        return names

    return parse


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.load", description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=positive(int), default=50)
    parser.add_argument(
        "--workers", type=positive(int), default=2, help="worker processes of mexards serve --workers"
    )
    parser.add_argument("--seconds", type=positive(float), default=60.0)
    parser.add_argument(
        "--rate",
        type=rates,
        default=[0.0],
        help="requests/s offered in total (open loop), comma-separated for one run each; 0 (the default): "
        "closed loop, the capacity",
    )
    parser.add_argument(
        "--client-processes", type=positive(int), default=2, help="client processes sharing the virtual users"
    )
    parser.add_argument("--databases", type=choices(DATABASES), default=list(DATABASES))
    parser.add_argument("--scenarios", type=choices(SCENARIOS), default=list(SCENARIOS))
    parser.add_argument("--pg-url", default=None, help="an existing, empty PostgreSQL database (one run)")
    args = parser.parse_args(argv)
    runs = [(s, r) for s in args.scenarios for r in args.rate]
    if args.pg_url and "postgresql" in args.databases and len(runs) > 1:
        parser.error("--pg-url: an existing database holds one run; give one scenario and one rate")
    results: list[LoadResult] = []
    with tempfile.TemporaryDirectory(prefix="mexards-load-") as work:
        folder = Path(work)
        for database in args.databases:
            for n, (scenario, rate) in enumerate(runs):
                log = folder / f"{database}-{n}.log"

                def load(
                    url: str, label: str, scenario: str = scenario, rate: float = rate, log: Path = log
                ) -> LoadResult:
                    return run_load(
                        url,
                        label,
                        scenario,
                        int(args.clients),
                        int(args.workers),
                        args.seconds,
                        log,
                        rate=rate,
                        processes=int(args.client_processes),
                        enrolled_each=10 if scenario == "randomization" else 2,
                    )

                if database == "sqlite":
                    results.append(load(f"sqlite:///{folder / f'load-{n}.sqlite'}", "SQLite"))
                elif args.pg_url:
                    results.append(load(args.pg_url, "PostgreSQL"))
                else:
                    with PrivateCluster(database=f"load_{n}") as cluster:
                        results.append(load(cluster.url("mexards-load"), "PostgreSQL"))
                print(row(results[-1]), file=sys.stderr, flush=True)
    print(markdown(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
