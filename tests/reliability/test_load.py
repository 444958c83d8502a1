"""Load, short form (issue 8, item 1): uvicorn with two worker processes serving the app on 127.0.0.1, loaded
for a few seconds by virtual coordinators, on a SQLite file and on PostgreSQL (a private throwaway server).

``mix`` is a coordinator's working day (logins, screening, consent and enrolment, randomization, dosing, CRF
saves, participant lists and report pages); ``randomization`` has every user randomize all its enrolled
participants at once. Every request must succeed (no error, no 5xx), no slot may be used twice and no
participant may hold two (RND-5; ICH E9 2.3.2), every kit code a client was told must be the stored one, and
the audit trail must verify afterwards. Throughput and latency are printed; the targets are measured by the
full benchmark (``python -m benchmarks.load``), whose figures are in BENCHMARKS.md.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from benchmarks.load.benchmark import markdown, run_load
from benchmarks.load.postgres import PrivateCluster, postgres_bin

RUNS = [
    ("sqlite", "mix", 10, 2),
    ("private-postgres", "mix", 10, 2),
    ("private-postgres", "randomization", 12, 3),
]
"""(database, scenario, clients, enrolled participants per client). SQLite serializes writers with
``BEGIN IMMEDIATE``, so the concurrent randomization storm runs where allocations really race: PostgreSQL."""


@pytest.fixture
def load_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, str]]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'load.sqlite'}", "SQLite"
        return
    if postgres_bin() is None:
        pytest.skip("the PostgreSQL server programs are not installed")
    with PrivateCluster(database="load") as cluster:
        yield cluster.url("mexards-load-test"), "PostgreSQL"


@pytest.mark.parametrize(
    ("load_database", "scenario", "clients", "enrolled_each"), RUNS, indirect=["load_database"]
)
def test_a_short_load_gets_no_error_no_double_allocation_and_leaves_an_intact_trail(
    load_database: tuple[str, str], scenario: str, clients: int, enrolled_each: int, tmp_path: Path
) -> None:
    url, label = load_database
    result = run_load(
        url,
        label,
        scenario,
        clients,
        2,
        4.0,
        tmp_path / "server.log",
        enrolled_each=enrolled_each,
        slots_per_stratum=60,
        hasher_time_cost=1,
    )
    print("\n" + markdown([result]))
    total = result.row("all")
    assert total is not None and total.count >= clients  # every user worked
    assert total.errors == 0, [(r.operation, r.errors) for r in result.rows if r.errors]
    assert result.allocation_problems == []
    assert result.audit_intact is True
    if scenario == "randomization":
        randomized = result.row("randomization")
        assert randomized is not None and clients <= randomized.count <= clients * enrolled_each
