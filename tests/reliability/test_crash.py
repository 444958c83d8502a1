"""Crash suite, short form (issue 8, item 2): during a write load of screenings, CRF saves and doses through the
REST API, 20 kills at random moments across this module: ``mexards serve`` SIGKILLed 14 times on a SQLite file,
and on PostgreSQL 3 times, besides 3 crashes of the database server itself (immediate stop, WAL recovery) and 3
rounds of terminated backends. During the run: after every fault each writer has a write acknowledged within
``PROGRESS_LIMIT`` seconds of the service being back, and no write fails (5xx or no answer) unless a fault
struck while it was in flight. After it: every acknowledged write is present with the values sent, no write is
present in part, refused writes are absent, ``mexards audit verify`` passes and SQLite's ``integrity_check``
is ``ok``. The full form (more faults, longer runs) is ``benchmarks/bench_crash.py``.

PostgreSQL runs on a private throwaway server (``benchmarks.load.postgres.PrivateCluster``) so that crashing
it cannot disturb the shared server other test runs use.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from benchmarks.load.crash import CrashReport, check_writes, postgres_faults, run_with_faults
from benchmarks.load.postgres import PrivateCluster, postgres_bin
from benchmarks.load.server import Server
from benchmarks.load.trial import PreparedTrial, prepare_trial
from typer.testing import CliRunner

from mexards.api.app import build_container
from mexards.cli.main import app
from mexards.config import Settings

SQLITE_KILLS = 14
POSTGRES_FAULTS = ("server", "database", "backends") * 3  # 3 more SIGKILLs besides those of SQLite
APPLICATION = "mexards-crash-suite"
WRITERS = 4
PROGRESS_LIMIT = 15.0
"""Seconds within which every writer must have a write acknowledged after the service is back from a fault
(a new server process answers its first writes in about a second on two busy cores)."""


def verify(prepared: PreparedTrial, report: CrashReport) -> None:
    container = build_container(Settings(environment="test", database_url=prepared.database_url))
    try:
        problems = check_writes(container, report.attempts)
    finally:
        container.close()
    assert problems == [], "\n".join(problems[:20])
    result = CliRunner().invoke(app, ["audit", "verify", "--db", prepared.database_url])
    assert result.exit_code == 0 and "audit trail intact" in result.output, result.output


def assert_progress_after_every_fault(report: CrashReport, kinds: tuple[str, ...]) -> None:
    """Every writer had a write acknowledged within PROGRESS_LIMIT seconds of the service being back after each
    fault, and no write failed (5xx or no answer) unless a fault struck while it was in flight."""
    per_interval = report.acknowledged_per_interval()
    after = ["the logins", *kinds]
    assert report.stalls == [], f"{report.stalls}; acknowledged after {list(zip(after, per_interval, strict=False))}"
    assert len(per_interval) == len(kinds) + 1
    assert min(per_interval) >= WRITERS, list(zip(after, per_interval, strict=True))
    failed = [
        f"{a.kind} {a.participant_id} {a.key}: HTTP {a.status}, {a.finished_at - report.began:.2f} s in"
        for a in report.failures_outside_faults()
    ]
    assert failed == [], failed


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
            server.port,
            prepared,
            restarter(server),
            SQLITE_KILLS,
            writers=WRITERS,
            seed=8,
            time_limit=150,
            login_limit=20,
            progress_limit=PROGRESS_LIMIT,
        )
    assert report.faults == SQLITE_KILLS
    assert_progress_after_every_fault(report, ("server",) * SQLITE_KILLS)
    assert report.unknown >= 1  # the kills struck requests in flight
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
    with Server(prepared.database_url, tmp_path / "server.log") as server:
        report = run_with_faults(
            server.port,
            prepared,
            postgres_faults(server, cluster, APPLICATION, POSTGRES_FAULTS, limit=30),
            len(POSTGRES_FAULTS),
            writers=WRITERS,
            seed=9,
            between=(0.2, 0.8),
            time_limit=70,  # the three server restarts take most of it (about 4 s each, 10-19 s on busy cores)
            login_limit=20,
            progress_limit=PROGRESS_LIMIT,
        )
    assert report.faults == len(POSTGRES_FAULTS)
    assert_progress_after_every_fault(report, POSTGRES_FAULTS)
    assert report.unknown >= 1
    verify(prepared, report)
