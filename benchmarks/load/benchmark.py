"""One load run: a fresh prepared database, the server with its workers, the virtual users through one or more
phases (closed or open loop), then the checks (no randomization double-allocated, audit trail intact) and the
figures as Markdown rows: "capacity" from the closed loop, "latency at a rate" from the open loop."""

from __future__ import annotations

import math
import platform
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from typer.testing import CliRunner

from benchmarks.load.server import Server
from benchmarks.load.trial import prepare_trial
from benchmarks.load.workload import (
    KEPT_UP,
    Arrivals,
    CpuShare,
    Phase,
    Summary,
    UserResult,
    arrivals,
    cpus,
    drive,
    summarize,
)
from mexards.api.app import build_container
from mexards.cli.main import app
from mexards.config import Settings

TARGET_RATE = 300.0
TARGET_P99_MS = 100.0
TARGET_CLIENTS = 50
"""Issue 8 on PostgreSQL: >= 300 CRF saves/s with p99 < 100 ms at 50 concurrent clients, zero errors."""
SERVER_START_SECONDS = 300.0
"""How long the server may take to answer its first health check (its workers import the whole application,
which takes minutes rather than seconds on a machine other jobs keep busy)."""


WARM_UP = Phase("crf", 3.0, 40.0)
"""An unmeasured window before the first measured one (CRF saves at a gentle rate), so that the figures are
those of a server in service rather than of its first requests (each worker's first statements, connections)."""


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
    rate: float = 0.0
    """Requests per second offered in total (open loop); 0 for the closed loop."""
    arrivals: Arrivals | None = None
    cpu: CpuShare | None = None

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
    rate: float = 0.0,
    verify_audit: bool = True,
    processes: int = 2,
    enrolled_each: int = 2,
    slots_per_stratum: int = 1000,
    hasher_time_cost: int = 3,
) -> LoadResult:
    """Prepare ``database_url`` (empty), serve it with ``workers`` processes and load it for ``seconds``:
    closed loop (``rate`` 0) or ``rate`` requests per second offered (open loop)."""
    return run_phases(
        database_url,
        database,
        [Phase(scenario, seconds, rate)],
        clients,
        workers,
        log,
        verify_audit=verify_audit,
        processes=processes,
        enrolled_each=enrolled_each,
        slots_per_stratum=slots_per_stratum,
        hasher_time_cost=hasher_time_cost,
    )[0]


def run_phases(
    database_url: str,
    database: str,
    phases: Sequence[Phase],
    clients: int,
    workers: int,
    log: Path,
    *,
    verify_audit: bool = True,
    processes: int = 2,
    enrolled_each: int = 2,
    slots_per_stratum: int = 1000,
    hasher_time_cost: int = 3,
) -> list[LoadResult]:
    """Prepare ``database_url`` (empty), serve it and load it through ``phases`` in turn with the same users;
    the checks run once at the end and are reported with every phase."""
    if clients < 1:
        raise ValueError(f"clients: must be at least 1, not {clients}")
    prepared = prepare_trial(
        database_url,
        coordinators=clients,
        randomized_each=2,
        enrolled_each=enrolled_each,
        slots_per_stratum=slots_per_stratum,
        hasher_time_cost=hasher_time_cost,
        issue_tokens=True,
    )
    server = Server(database_url, log, workers=workers)
    try:
        server.start(timeout=SERVER_START_SECONDS)
        group = server.process.pid if server.process is not None else None
        runs = drive(server.port, prepared, clients, [WARM_UP, *phases], processes=processes, server_group=group)
        runs = runs[1:]
    finally:
        server.close()
    audit = None
    if verify_audit:
        audit = CliRunner().invoke(app, ["audit", "verify", "--db", database_url]).exit_code == 0
    problems = allocation_problems(database_url, [user for run in runs for user in run.users])
    return [
        LoadResult(
            database,
            run.phase.scenario,
            clients,
            workers,
            run.phase.seconds,
            summarize(run.users, run.phase.seconds),
            problems,
            audit,
            run.phase.rate,
            arrivals(run.phase, run.users),
            run.cpu,
        )
        for run in runs
    ]


def machine() -> str:
    return (
        f"{platform.node()}: {platform.machine()}, {cpus()} CPUs, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}"
    )


def errors(summary: Summary) -> str:
    return f"{summary.errors} ({summary.error_statuses})" if summary.errors else "0"


def ms(value: float) -> str:
    return "-" if math.isnan(value) else f"{value:,.0f}"


def cpu_text(cpu: CpuShare | None) -> str:
    """Client / server / whole machine, in % of the machine's CPU capacity over the window."""
    if cpu is None:
        return "-"
    shares = (cpu.percent(cpu.client), cpu.percent(cpu.server), cpu.percent(cpu.machine))
    return " / ".join("?" if share is None else f"{share:.0f}" for share in shares)


def kept_up_text(arrived: Arrivals) -> str:
    if arrived.kept_up:
        return "yes"
    return f"NO ({arrived.shortfall:.1%} unsent)"


def audit_text(result: LoadResult) -> str:
    return {True: "intact", False: "NOT intact", None: "not run"}[result.audit_intact]


CLOSED_HEADER = (
    "| database | scenario | clients | workers | s | requests/s | CRF saves/s | p50 ms | p95 ms | p99 ms "
    "| max ms | CRF save p99 ms | errors | double allocations | audit | CPU % client / server / machine |\n"
    "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|"
)
OPEN_HEADER = (
    "| database | scenario | clients | workers | s | offered/s | achieved/s | kept up | p50 ms | p95 ms | p99 ms "
    "| max ms | CRF save p99 ms | errors | double allocations | audit | client lag p99 ms "
    "| CPU % client / server / machine |\n"
    "|---|---|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---|---:|---|"
)


def row(r: LoadResult) -> str:
    """The result's line in its table (closed or open loop)."""
    total, crf = r.row("all"), r.row("crf save")
    if total is None:
        return f"| {r.database} | {r.scenario} | {r.clients} | {r.workers} | {r.seconds:.0f} | no requests |"
    crf_p99 = ms(crf.p99_ms) if crf else "-"
    head = f"| {r.database} | {r.scenario} | {r.clients} | {r.workers} | {r.seconds:.0f} "
    latency = f"| {ms(total.p50_ms)} | {ms(total.p95_ms)} | {ms(total.p99_ms)} | {ms(total.max_ms)} | {crf_p99} "
    checks = f"| {errors(total)} | {len(r.allocation_problems)} | {audit_text(r)} "
    if r.arrivals is None:
        crf_rate = f"{crf.per_second:.0f}" if crf else "-"
        return f"{head}| {total.per_second:.0f} | {crf_rate} {latency}{checks}| {cpu_text(r.cpu)} |"
    a = r.arrivals
    return (
        f"{head}| {a.offered_per_second:.0f} | {a.achieved_per_second:.0f} | {kept_up_text(a)} {latency}{checks}"
        f"| {ms(a.lag_p99_ms)} | {cpu_text(r.cpu)} |"
    )


def target_verdict(r: LoadResult) -> str | None:
    """Whether an open-loop CRF run on PostgreSQL meets issue 8's target (None for any other run)."""
    if r.arrivals is None or r.database != "PostgreSQL" or r.scenario != "crf":
        return None
    total = r.row("all")
    misses = []
    if r.rate < TARGET_RATE:
        misses.append(f"offered {r.rate:.0f}/s, below {TARGET_RATE:.0f}/s")
    if r.clients < TARGET_CLIENTS:
        misses.append(f"{r.clients} clients, not {TARGET_CLIENTS}")
    if not r.arrivals.kept_up:
        misses.append(f"fell behind the offered rate by {r.arrivals.shortfall:.1%} (more than {KEPT_UP:.0%})")
    if total is None or not total.p99_ms < TARGET_P99_MS:
        misses.append(f"p99 {ms(total.p99_ms) if total else '-'} ms, not under {TARGET_P99_MS:.0f} ms")
    if total is None or total.errors:
        misses.append(f"errors {errors(total) if total else 'no requests'}")
    if r.allocation_problems:
        misses.append(f"{len(r.allocation_problems)} double allocations")
    verdict = "met" if not misses else "NOT met: " + "; ".join(misses)
    return f"Issue 8 target on PostgreSQL, CRF saves at {r.rate:.0f}/s offered, {r.clients} clients: {verdict}."


def per_operation(r: LoadResult) -> list[str]:
    mode = f"{r.rate:.0f}/s offered (open loop)" if r.arrivals is not None else "closed loop"
    lines = [
        "",
        f"Mixed load on {r.database}, {r.clients} clients, {r.workers} workers, {mode}, per operation:",
        "",
        "| operation | count | per s | p50 ms | p95 ms | p99 ms | max ms | errors |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    lines += [
        f"| {s.operation} | {s.count} | {s.per_second:.1f} | {ms(s.p50_ms)} | {ms(s.p95_ms)} | {ms(s.p99_ms)} "
        f"| {ms(s.max_ms)} | {errors(s)} |"
        for s in r.rows
    ]
    return lines


def markdown(results: list[LoadResult]) -> str:
    """The capacity table (closed loop) and the latency-at-a-rate table (open loop), the target verdicts,
    then the per-operation table of each mixed run."""
    lines = [f"Load benchmark, {datetime.now(UTC):%Y-%m-%d}, {machine()}"]
    closed = [r for r in results if r.arrivals is None]
    opened = [r for r in results if r.arrivals is not None]
    if closed:
        lines += ["", "Capacity (closed loop: each client sends again as soon as it is answered):", ""]
        lines += [CLOSED_HEADER, *(row(r) for r in closed)]
    if opened:
        lines += [
            "",
            "Latency at an offered rate (open loop; latency from the scheduled send time):",
            "",
            OPEN_HEADER,
            *(row(r) for r in opened),
        ]
        verdicts = [v for v in (target_verdict(r) for r in opened) if v]
        if verdicts:
            lines += ["", *verdicts]
    for r in results:
        if r.scenario == "mix":
            lines += per_operation(r)
    return "\n".join(lines)
