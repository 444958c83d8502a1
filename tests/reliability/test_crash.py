"""Crash suite, short form (issue 8, item 2): ``mexards serve`` is SIGKILLed at random moments during a write
load of screenings, CRF saves and doses through the REST API, 20 times in all across this module (14 on a
SQLite file, 6 on PostgreSQL), and on PostgreSQL the database server itself is crashed (immediate stop, WAL
recovery) and its backends terminated. After each run: every acknowledged write is present with the values
sent, no write is present in part, refused writes are absent, ``mexards audit verify`` passes and SQLite's
``integrity_check`` is ``ok``. The full form (more faults, longer runs) is ``benchmarks/bench_crash.py``.

PostgreSQL runs on a private throwaway server (``benchmarks.load.postgres.PrivateCluster``) so that crashing
it cannot disturb the shared server other test runs use.
"""

from __future__ import annotations

import itertools
import sqlite3
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from benchmarks.load.crash import CrashReport, check_writes, run_with_faults
from benchmarks.load.postgres import PrivateCluster, postgres_bin
from benchmarks.load.server import Server, health
from benchmarks.load.trial import PreparedTrial, prepare_trial
from typer.testing import CliRunner

from mexards.api.app import build_container
from mexards.cli.main import app
from mexards.config import Settings

SQLITE_KILLS = 14
POSTGRES_FAULTS = (
    "server",
    "database",
    "backends",
) * 3  # 6 more SIGKILLs besides those of SQLite (20 in all)
APPLICATION = "mexards-crash-suite"


def verify(prepared: PreparedTrial, report: CrashReport) -> None:
    container = build_container(Settings(environment="test", database_url=prepared.database_url))
    try:
        problems = check_writes(container, report.attempts)
    finally:
        container.close()
    assert problems == [], "\n".join(problems[:20])
    result = CliRunner().invoke(app, ["audit", "verify", "--db", prepared.database_url])
    assert result.exit_code == 0 and "audit trail intact" in result.output, result.output


def restarter(server: Server) -> Callable[[], float]:
    def fault() -> float:
        server.kill()
        return server.start()

    return fault


def test_sigkill_of_the_server_during_writes_loses_no_acknowledged_write_on_sqlite(tmp_path: Path) -> None:
    path = tmp_path / "trial.sqlite"
    prepared = prepare_trial(
        f"sqlite:///{path}", coordinators=4, randomized_each=3, hasher_time_cost=1, slots_per_stratum=40
    )
    with Server(prepared.database_url, tmp_path / "server.log") as server:
        report = run_with_faults(
            server.port, prepared, restarter(server), SQLITE_KILLS, writers=4, seed=8, time_limit=150
        )
    assert report.faults == SQLITE_KILLS
    assert report.acknowledged >= SQLITE_KILLS  # writes went through between the kills
    assert report.unknown >= 1  # and the kills struck requests in flight
    assert report.server_errors == 0
    verify(prepared, report)
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)


@pytest.fixture
def cluster() -> Iterator[PrivateCluster]:
    if postgres_bin() is None:
        pytest.skip("the PostgreSQL server programs are not installed")
    with PrivateCluster() as private:
        yield private


def test_server_kills_database_crashes_and_terminated_backends_lose_no_acknowledged_write_on_pg(
    cluster: PrivateCluster, tmp_path: Path
) -> None:
    prepared = prepare_trial(
        cluster.url(APPLICATION), coordinators=4, randomized_each=3, hasher_time_cost=1, slots_per_stratum=40
    )
    kinds = itertools.cycle(POSTGRES_FAULTS)
    with Server(prepared.database_url, tmp_path / "server.log") as server:

        def fault() -> float:
            began, kind = time.monotonic(), next(kinds)
            if kind == "server":
                server.kill()
                server.start()
            elif kind == "database":
                cluster.crash_restart()
            else:
                cluster.terminate_backends(APPLICATION)
            while health(server.port) is None and time.monotonic() - began < 60:
                time.sleep(0.05)
            return time.monotonic() - began

        report = run_with_faults(
            server.port, prepared, fault, len(POSTGRES_FAULTS), writers=4, seed=9, time_limit=150
        )
    assert report.faults == len(POSTGRES_FAULTS)
    assert report.acknowledged >= 1  # progress varies with the faults; what counts is below
    assert report.unknown >= 1
    verify(prepared, report)
