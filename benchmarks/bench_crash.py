"""Crash suite, full form: ``mexards serve`` SIGKILLed 50 times during a write load on SQLite, and 30 faults
on a private PostgreSQL server (10 server SIGKILLs, 10 database crash restarts, 10 rounds of terminated
backends), 8 writers each. Prints a Markdown table for BENCHMARKS.md: faults, writes acknowledged, the fewest
acknowledged between two faults, writes in flight at a fault (unknown outcome), writes that failed although no
fault struck while they were in flight (must be 0), stalls (a writer without an acknowledged write 30 s after
the service was back; must be 0), lost acknowledged writes (must be 0), writes present in part (must be 0),
audit verification, the mean time back to service and the longest wait until every writer had written again.
``tests/reliability/test_crash.py`` is the short form in CI.

Run: ``python -m benchmarks crash`` (or ``python -m benchmarks.bench_crash [sqlite_kills pg_faults]``).
"""

from __future__ import annotations

import itertools
import platform
import sqlite3
import statistics
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from typer.testing import CliRunner

from benchmarks.load.crash import CrashReport, check_writes, postgres_faults, run_with_faults
from benchmarks.load.postgres import PrivateCluster, postgres_bin
from benchmarks.load.server import Server
from benchmarks.load.trial import PreparedTrial, prepare_trial
from mexards.api.app import build_container
from mexards.cli.main import app
from mexards.config import Settings

WRITERS = 8
APPLICATION = "mexards-bench-crash"


def outcome(prepared: PreparedTrial, report: CrashReport) -> tuple[int, int, str]:
    """(lost acknowledged writes, writes present in part or altered, audit verification)."""
    container = build_container(Settings(environment="test", database_url=prepared.database_url))
    try:
        problems = check_writes(container, report.attempts)
    finally:
        container.close()
    for problem in problems[:10]:
        print("  problem:", problem)
    lost = sum("acknowledged but lost" in p for p in problems)
    result = CliRunner().invoke(app, ["audit", "verify", "--db", prepared.database_url])
    return lost, len(problems) - lost, "intact" if result.exit_code == 0 else "NOT intact"


def sqlite_run(kills: int, folder: Path) -> tuple[str, CrashReport, tuple[int, int, str]]:
    path = folder / "crash.sqlite"
    prepared = prepare_trial(
        f"sqlite:///{path}",
        coordinators=WRITERS,
        randomized_each=4,
        hasher_time_cost=1,
        slots_per_stratum=100,
    )
    with Server(prepared.database_url, folder / "sqlite-server.log") as server:

        def fault() -> float:
            server.kill()
            return server.start()

        report = run_with_faults(
            server.port, prepared, fault, kills, writers=WRITERS, seed=50, between=(0.5, 2.5), time_limit=1200
        )
    result = outcome(prepared, report)
    with sqlite3.connect(path) as conn:
        if conn.execute("PRAGMA integrity_check").fetchone() != ("ok",):
            result = (result[0], result[1] + 1, result[2])
    return "SQLite (WAL, synchronous=FULL): server SIGKILL", report, result


def postgres_run(faults: int, folder: Path) -> tuple[str, CrashReport, tuple[int, int, str]]:
    with PrivateCluster() as cluster:
        prepared = prepare_trial(
            cluster.url(APPLICATION),
            coordinators=WRITERS,
            randomized_each=4,
            hasher_time_cost=1,
            slots_per_stratum=100,
        )
        kinds = itertools.cycle(("server", "database", "backends"))
        with Server(prepared.database_url, folder / "pg-server.log") as server:
            report = run_with_faults(
                server.port,
                prepared,
                postgres_faults(server, cluster, APPLICATION, kinds),
                faults,
                writers=WRITERS,
                seed=51,
                between=(0.5, 2.5),
                time_limit=1200,
            )
        result = outcome(prepared, report)
    label = "PostgreSQL 15: server SIGKILL / database crash restart / backends terminated, in turn"
    return label, report, result


def main(argv: list[str] | None = None) -> None:
    args = [int(a) for a in argv or []] or [50, 30]
    sqlite_kills, pg_faults = [*args, 30][:2]
    rows = []
    with tempfile.TemporaryDirectory(prefix="mexards-crash-") as work:
        rows.append(sqlite_run(sqlite_kills, Path(work)))
        if postgres_bin() is not None:
            rows.append(postgres_run(pg_faults, Path(work)))
    machine = f"{platform.node()} ({platform.machine()}, Python {platform.python_version()})"
    print(f"\nCrash suite, {datetime.now(UTC):%Y-%m-%d}, {machine}, {WRITERS} writers\n")
    print(
        "| run | faults | writes acknowledged | fewest acknowledged between faults | in flight at a fault "
        "| 5xx during faults | failed outside faults | stalls | lost acknowledged | present in part | audit verify "
        "| mean s back to service | max s to every writer's next write |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|")
    for label, report, (lost, partial, audit) in rows:
        back = statistics.mean(report.restart_seconds) if report.restart_seconds else 0.0
        progress = max(report.progress_seconds, default=0.0)
        print(
            f"| {label} | {report.faults} | {report.acknowledged} | {min(report.acknowledged_per_interval())} "
            f"| {report.unknown} | {report.server_errors} | {len(report.failures_outside_faults())} "
            f"| {len(report.stalls)} | {lost} | {partial} | {audit} | {back:.1f} | {progress:.1f} |"
        )
        for stall in report.stalls[:10]:
            print("  stall:", stall)


if __name__ == "__main__":
    main(sys.argv[1:])
