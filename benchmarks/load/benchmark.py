"""One load run: a fresh prepared database, the server with its workers, the virtual users for a while, then
the checks (no randomization double-allocated, audit trail intact) and the figures as Markdown rows."""

from __future__ import annotations

import platform
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from typer.testing import CliRunner

from benchmarks.load.server import Server
from benchmarks.load.trial import prepare_trial
from benchmarks.load.workload import Summary, UserResult, drive, summarize
from mexards.api.app import build_container
from mexards.cli.main import app
from mexards.config import Settings


@dataclass(frozen=True)
class LoadResult:
    database: str
    scenario: str
    clients: int
    workers: int
    seconds: float
    rows: list[Summary]
    allocation_problems: list[str]
    audit_intact: bool | None

    def row(self, operation: str) -> Summary | None:
        return next((r for r in self.rows if r.operation == operation), None)


def allocation_problems(database_url: str, results: list[UserResult]) -> list[str]:
    """Double allocations: a slot used twice, a participant with two slots, a kit code the client was given
    that is not the one stored (RND-5; ICH E9 2.3.2)."""
    container = build_container(Settings(environment="test", database_url=database_url))
    try:
        with container.unit_of_work() as uow:
            uses = uow.allocation.used_slots()
    finally:
        container.close()
    problems = []
    slots = Counter((u.stratum, u.sequence_number) for u in uses)
    people = Counter(u.participant_id.value for u in uses)
    problems += [f"slot {slot} used {n} times" for slot, n in slots.items() if n > 1]
    problems += [f"participant {pid} holds {n} slots" for pid, n in people.items() if n > 1]
    kits = {u.participant_id.value: u.kit_code for u in uses}
    for result in results:
        for pid, kit in result.randomized:
            if kits.get(pid) != kit:
                problems.append(f"participant {pid}: told kit {kit}, stored {kits.get(pid)}")
    return problems


def run_load(
    database_url: str,
    database: str,
    scenario: str,
    clients: int,
    workers: int,
    seconds: float,
    log: Path,
    *,
    verify_audit: bool = True,
    processes: int = 2,
    enrolled_each: int = 2,
    slots_per_stratum: int = 1000,
    hasher_time_cost: int = 3,
) -> LoadResult:
    """Prepare ``database_url`` (empty), serve it with ``workers`` processes and load it."""
    prepared = prepare_trial(
        database_url,
        coordinators=clients,
        randomized_each=2,
        enrolled_each=enrolled_each,
        slots_per_stratum=slots_per_stratum,
        hasher_time_cost=hasher_time_cost,
    )
    server = Server(database_url, log, workers=workers)
    with server:
        results = drive(server.port, prepared, clients, scenario, seconds, processes=processes)
    audit = None
    if verify_audit:
        audit = CliRunner().invoke(app, ["audit", "verify", "--db", database_url]).exit_code == 0
    return LoadResult(
        database,
        scenario,
        clients,
        workers,
        seconds,
        summarize(results, seconds),
        allocation_problems(database_url, results),
        audit,
    )


def machine() -> str:
    return (
        f"{platform.node()}: {platform.machine()}, {_cpus()} CPUs, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}"
    )


def _cpus() -> int:
    import os

    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 0


def errors(summary: Summary) -> str:
    return f"{summary.errors} ({summary.error_statuses})" if summary.errors else "0"


def markdown(results: list[LoadResult]) -> str:
    """The summary table, then the per-operation table of each mixed run."""
    lines = [
        f"Load benchmark, {datetime.now(UTC):%Y-%m-%d}, {machine()}",
        "",
        "| database | scenario | clients | workers | s | requests/s | CRF saves/s | p50 ms | p95 ms | p99 ms "
        "| CRF save p99 ms | errors | double allocations | audit |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in results:
        total, crf = r.row("all"), r.row("crf save")
        if total is None:
            continue
        crf_rate = f"{crf.per_second:.0f}" if crf else "-"
        crf_p99 = f"{crf.p99_ms:.0f}" if crf else "-"
        audit = {True: "intact", False: "NOT intact", None: "not run"}[r.audit_intact]
        lines.append(
            f"| {r.database} | {r.scenario} | {r.clients} | {r.workers} | {r.seconds:.0f} "
            f"| {total.per_second:.0f} | {crf_rate} | {total.p50_ms:.0f} | {total.p95_ms:.0f} "
            f"| {total.p99_ms:.0f} | {crf_p99} "
            f"| {errors(total)} | {len(r.allocation_problems)} | {audit} |"
        )
    for r in results:
        if r.scenario != "mix":
            continue
        lines += [
            "",
            f"Mixed load on {r.database}, {r.clients} clients, {r.workers} workers, per operation:",
            "",
            "| operation | count | per s | p50 ms | p95 ms | p99 ms | errors |",
            "|---|---:|---:|---:|---:|---:|---:|",
        ]
        lines += [
            f"| {s.operation} | {s.count} | {s.per_second:.1f} | {s.p50_ms:.0f} | {s.p95_ms:.0f} "
            f"| {s.p99_ms:.0f} | {errors(s)} |"
            for s in r.rows
        ]
    return "\n".join(lines)
