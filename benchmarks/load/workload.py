"""Virtual users for the load benchmark, and the statistics of what they measured.

``mix``: a coordinator's working day in proportions (CRF entry dominates data capture; EDC usage studies put
form saves and list views first): CRF saves 40 %, participant list 14 %, dosing 12 %, screening 10 %, consent
and enrolment 8 %, randomization 6 %, report pages 8 % (CONSORT counts, screening log), and 2 % logins.
``crf``: every request is a CRF save (the throughput target of the issue). ``randomization``: every user
randomizes all its enrolled participants at once, then saves CRFs (the double-allocation check under load).
Every step is one request, so that a rate of steps is a rate of requests.

Two ways to load (a :class:`Phase`):

* closed loop (``rate`` 0): each user sends its next request as soon as the last one is answered. This finds
  the *capacity* (saturation throughput); its latencies are those of a saturated server, since by Little's law
  throughput = users / mean latency.
* open loop (``rate`` > 0, as k6's constant-arrival-rate executor or wrk2): ``rate`` requests per second are
  offered in total, each user on a fixed schedule of ``rate / users`` per second with a random phase. Latency is
  measured from the *scheduled* send time, not from when the request actually left: a user still waiting for a
  slow answer sends its overdue requests as soon as it can, and their wait counts (correcting "coordinated
  omission", Gil Tene, "How NOT to measure latency", 2015; wrk2). Requests still unsent when the window ends
  are counted as missed, with the time they had waited by then as a lower bound of their latency. A run whose
  requests sent fall short of those scheduled by more than :data:`KEPT_UP` did not sustain the offered rate.

Each user is one thread with its own connection and client address; several processes share the users so that
the client side is not held back by one interpreter lock. The CPU time of the client processes, of the
server's process group and of the whole machine is measured over each window (Linux ``/proc``), so that a
report shows how much of the machine the load generator itself took.
"""

from __future__ import annotations

import functools
import math
import multiprocessing
import os
import random
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.load import payload
from benchmarks.load.client import Client, NoAnswer, Reply
from benchmarks.load.trial import PreparedTrial

MIX = (
    ("crf save", 40),
    ("participant list", 14),
    ("dose", 12),
    ("screening", 10),
    ("consent and enrolment", 8),
    ("report page", 8),
    ("randomization", 6),
    ("login", 2),
)
SCENARIOS = ("mix", "crf", "randomization")
KEPT_UP = 0.02
"""The largest shortfall of requests sent against requests scheduled for an open-loop run to have kept up."""
Sample = tuple[str, int, float]
"""(operation, HTTP status or 0 for no answer, seconds from the intended send time to the answer)."""


@dataclass(frozen=True)
class Phase:
    """One measured window: ``scenario`` for ``seconds``, closed loop (``rate`` 0) or ``rate`` requests per
    second offered in total (open loop)."""

    scenario: str
    seconds: float
    rate: float = 0.0

    def __post_init__(self) -> None:
        if self.scenario not in SCENARIOS:
            raise ValueError(f"scenario: must be one of {', '.join(SCENARIOS)}, not {self.scenario!r}")
        if not self.seconds > 0:
            raise ValueError(f"seconds: must be > 0, not {self.seconds}")
        if not (self.rate >= 0 and math.isfinite(self.rate)):
            raise ValueError(f"rate: must be a finite number >= 0 (requests per second), not {self.rate}")

    @property
    def open_loop(self) -> bool:
        return self.rate > 0


@dataclass
class UserResult:
    samples: list[Sample] = field(default_factory=list)
    randomized: list[tuple[str, str]] = field(default_factory=list)
    """(participant, kit code) of every randomization acknowledged."""
    scheduled: int = 0
    """Open loop: requests whose scheduled send time fell inside the window."""
    sent: int = 0
    """Open loop: of those, requests sent before the window ended."""
    missed: list[float] = field(default_factory=list)
    """Open loop: for each scheduled request never sent, the seconds it had waited when the user stopped."""
    lags: list[float] = field(default_factory=list)
    """Open loop: how late the client itself sent each request (after its scheduled time and after the previous
    answer): the load generator's own delay, which should stay far below the latencies it reports."""


class VirtualUser:
    """One coordinator at their site, working through a scenario for a phase."""

    def __init__(self, port: int, prepared: PreparedTrial, coordinator: str, number: int, seed: int) -> None:
        self.client = Client(port, address=f"10.2.{number // 250}.{number % 250 + 1}")
        self.prepared, self.coordinator = prepared, coordinator
        self.site = prepared.coordinators[coordinator]
        self.rng = random.Random(seed)
        self.result = UserResult()
        self.randomized = list(prepared.randomized[coordinator])
        self.enrolled = list(prepared.enrolled[coordinator])
        self.eligible: list[str] = []
        self.consented: list[str] = []
        self.next_day = {pid: 1 for pid in self.randomized}
        self.sequence = 0
        self.intended: float | None = None
        """Open loop: when the next request should have been sent (``time.perf_counter``)."""
        self.ready_at = 0.0
        """Open loop: the later of the scheduled time and the previous answer (the client's lag starts here)."""

    def record(self, operation: str, call: Callable[[], Reply]) -> Reply | None:
        """Send one request; its latency runs from the scheduled time (open loop) or from now (closed loop)."""
        now = time.perf_counter()
        if self.intended is None:
            began = now
        else:
            began, self.intended = self.intended, None
            self.result.lags.append(max(0.0, now - self.ready_at))
        try:
            reply = call()
        except NoAnswer:
            self.result.samples.append((operation, 0, time.perf_counter() - began))
            return None
        self.result.samples.append((operation, reply.status, time.perf_counter() - began))
        return reply

    def login(self) -> None:
        """Log in before the first phase (set-up), unless the preparation issued a token already."""
        token = self.prepared.tokens.get(self.coordinator)
        if token is not None:
            self.client.token = token
            return
        reply = self.record("login", lambda: self.client.login(self.coordinator, self.prepared.password))
        if reply is None or not reply.ok:
            status = "no answer" if reply is None else f"HTTP {reply.status}: {reply.body}"
            raise RuntimeError(f"{self.coordinator} could not log in ({status})")

    def choose(self, scenario: str, names: Sequence[str], weights: Sequence[int]) -> str:
        if scenario == "mix":
            return self.rng.choices(names, weights)[0]
        return "randomization" if scenario == "randomization" and self.enrolled else "crf save"

    def run(self, phase: Phase, start: float, users: int) -> UserResult:
        """Work through ``phase`` from ``start`` (``time.perf_counter``); the user has logged in already."""
        self.client.close()  # the server drops connections idle for 5 s: start on a fresh one
        self.result = UserResult()
        names, weights = zip(*MIX, strict=True)
        end = start + phase.seconds
        if not phase.open_loop:
            while time.perf_counter() < end:
                self.step(self.choose(phase.scenario, names, weights))
            self.client.close()
            return self.result
        interval = users / phase.rate
        first = start + self.rng.uniform(0.0, interval)
        k, answered = 0, start
        while first + k * interval < end:
            due = first + k * interval
            now = time.perf_counter()
            if now >= end:
                break
            if due > now:
                time.sleep(due - now)
            self.intended, self.ready_at = due, max(due, answered)
            self.step(self.choose(phase.scenario, names, weights))
            self.intended = None
            answered = time.perf_counter()
            k += 1
        self.result.sent = k
        stopped = time.perf_counter()
        while first + k * interval < end:
            self.result.missed.append(stopped - (first + k * interval))
            k += 1
        self.result.scheduled = k
        self.client.close()
        return self.result

    def step(self, operation: str) -> None:
        """One request of ``operation`` (or of the step it needs first, such as a screening before a consent)."""
        self.sequence += 1
        n = self.sequence
        if operation == "crf save":
            pid = self.rng.choice(self.randomized)
            form_id, body = payload.crf(self.rng, "vital_signs" if self.rng.random() < 0.7 else "blood_gas")
            self.record(
                operation,
                lambda: self.client.request(
                    "PUT", f"/api/participants/{pid}/crfs/{form_id}/w{n:06d}", body, parse=False
                ),
            )
        elif operation == "participant list":
            offset = self.rng.choice((0, 0, 20))
            self.record(
                operation,
                lambda: self.client.request("GET", f"/api/participants?limit=20&offset={offset}", parse=False),
            )
        elif operation == "report page":
            path = self.rng.choice(("/api/reports/consort", "/api/screening-log?limit=50"))
            self.record(operation, lambda: self.client.request("GET", path, parse=False))
        elif operation == "login":
            # During a window a refused login is an error like any other, not the end of the user.
            self.record("login", lambda: self.client.login(self.coordinator, self.prepared.password))
        elif operation == "screening":
            pid = f"{self.coordinator.upper()}-L{n:06d}"
            reply = self.record(
                operation,
                lambda: self.client.request("POST", "/api/screenings", payload.screening(pid, self.site)),
            )
            if reply is not None and reply.ok and reply.body.get("verdict") == "ELIGIBLE":
                self.eligible.append(pid)
        elif operation == "consent and enrolment":
            # One request a step: enrol the participant consented at an earlier step, or consent the next one.
            if self.consented:
                pid = self.consented.pop()
                reply = self.record(
                    "enrolment",
                    lambda: self.client.request("POST", f"/api/participants/{pid}/enrolment", parse=False),
                )
                if reply is not None and reply.ok:
                    self.enrolled.append(pid)
                return None
            if not self.eligible:
                return self.step("screening")
            pid = self.eligible.pop()
            reply = self.record(
                "consent",
                lambda: self.client.request(
                    "POST", f"/api/participants/{pid}/consent", payload.consent(), parse=False
                ),
            )
            if reply is not None and reply.ok:
                self.consented.append(pid)
        elif operation == "randomization":
            if not self.enrolled:
                return self.step("consent and enrolment")
            pid = self.enrolled.pop()
            reply = self.record(
                operation, lambda: self.client.request("POST", f"/api/participants/{pid}/randomization", {})
            )
            if reply is not None and reply.ok:
                self.result.randomized.append((pid, str(reply.body["kit_code"])))
                self.randomized.append(pid)
                self.next_day[pid] = 1
        elif operation == "dose":
            open_ = [pid for pid, day in self.next_day.items() if day <= 7]
            if not open_:
                return self.step("randomization")
            pid = self.rng.choice(open_)
            day = self.next_day[pid]
            reply = self.record(
                operation,
                lambda: self.client.request(
                    "POST", f"/api/participants/{pid}/administrations", payload.dose(day, self.rng), parse=False
                ),
            )
            if reply is not None and reply.ok:
                self.next_day[pid] = day + 1
        return None


ProcessPhase = tuple[list[UserResult], float]
"""What one client process measured in one phase: its users' results and its CPU seconds."""


def run_users(
    port: int,
    prepared: PreparedTrial,
    coordinators: list[str],
    numbers: list[int],
    phases: list[Phase],
    users: int,
    ready: Any,
    seed: int,
) -> list[ProcessPhase]:
    """One client process: its users log in or take the tokens the preparation issued (set-up, not measured),
    then for each phase wait at ``ready`` (a barrier shared by every client process and the driver) and work, a
    thread per user; a last wait at ``ready`` marks the end of the last phase. ``users`` is the number of users
    in all processes."""
    try:
        group = [
            VirtualUser(port, prepared, c, n, seed * 10_000 + n)
            for c, n in zip(coordinators, numbers, strict=True)
        ]
        in_parallel(lambda user: user.login(), group)
        measured: list[ProcessPhase] = []
        for phase in phases:
            ready.wait(timeout=600)
            start, cpu = time.perf_counter(), time.process_time()
            results = in_parallel(functools.partial(VirtualUser.run, phase=phase, start=start, users=users), group)
            measured.append((results, time.process_time() - cpu))
        ready.wait(timeout=600)
        return measured
    except BaseException:
        ready.abort()  # let the other processes and the driver stop waiting for this one
        raise


def in_parallel(task: Callable[[VirtualUser], Any], users: list[VirtualUser]) -> list[Any]:
    """``task`` for every user, a thread each; the first exception is raised once all have finished."""
    results: list[Any] = [None] * len(users)
    errors: list[BaseException] = []

    def work(index: int) -> None:
        try:
            results[index] = task(users[index])
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(users))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return results


def cpus() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def group_cpu_seconds(group: int) -> float | None:
    """CPU seconds (user and system, with those of reaped children) of the processes in process group
    ``group``, from ``/proc/<pid>/stat`` (proc(5)); None where there is no ``/proc``."""
    proc = Path("/proc")
    if not (proc / "stat").exists():
        return None
    ticks = 0
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            text = (entry / "stat").read_text()
        except OSError:
            continue
        fields = text[text.rindex(")") + 2 :].split()  # from field 3 (state) on; the name may hold spaces
        if int(fields[2]) == group:  # field 5, pgrp
            ticks += sum(int(f) for f in fields[11:15])  # fields 14-17: utime, stime, cutime, cstime
    return ticks / os.sysconf("SC_CLK_TCK")


def machine_busy_seconds() -> float | None:
    """CPU seconds the whole machine has spent busy since boot (``/proc/stat``: all but idle and iowait)."""
    try:
        first = Path("/proc/stat").read_text().split("\n", 1)[0].split()
    except OSError:
        return None
    values = [int(v) for v in first[1:9]]  # user nice system idle iowait irq softirq steal
    return (sum(values) - values[3] - values[4]) / os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class CpuShare:
    """CPU seconds spent during a window of ``seconds`` on a machine of ``cpus``."""

    cpus: int
    seconds: float
    client: float
    server: float | None
    machine: float | None

    def percent(self, cpu_seconds: float | None) -> float | None:
        """``cpu_seconds`` as a percentage of the machine's capacity over the window."""
        if cpu_seconds is None or self.seconds <= 0:
            return None
        return 100 * cpu_seconds / (self.cpus * self.seconds)


@dataclass(frozen=True)
class PhaseRun:
    phase: Phase
    users: list[UserResult]
    cpu: CpuShare


def drive(
    port: int,
    prepared: PreparedTrial,
    users: int,
    phases: Sequence[Phase],
    processes: int = 2,
    seed: int = 1,
    server_group: int | None = None,
) -> list[PhaseRun]:
    """``users`` virtual users (one per coordinator) in ``processes`` client processes through ``phases`` in
    turn, each phase's clock starting once every process has finished the one before (the first once every
    user has logged in). ``server_group``: the server's process group, whose CPU time is measured."""
    phases = list(phases)
    coordinators = list(prepared.coordinators)[:users]
    if len(coordinators) < users:
        raise ValueError(f"clients: the prepared trial has {len(coordinators)} coordinators, not {users}")
    shares = [share for share in (list(range(p, users, processes)) for p in range(processes)) if share]
    with multiprocessing.Manager() as manager, ProcessPoolExecutor(len(shares)) as pool:
        ready = manager.Barrier(len(shares) + 1)
        futures = [
            pool.submit(
                run_users,
                port,
                prepared,
                [coordinators[i] for i in share],
                share,
                phases,
                users,
                ready,
                seed,
            )
            for share in shares
        ]
        marks = []
        try:
            for k in range(len(phases) + 1):
                ready.wait(timeout=600 + (phases[k - 1].seconds if k else 0))
                server = group_cpu_seconds(server_group) if server_group is not None else None
                marks.append((time.perf_counter(), server, machine_busy_seconds()))
        except threading.BrokenBarrierError:
            _raise_first(futures)
            raise
        measured = [future.result() for future in futures]
    runs = []
    for k, phase in enumerate(phases):
        (began, server0, machine0), (ended, server1, machine1) = marks[k], marks[k + 1]
        cpu = CpuShare(
            cpus(),
            ended - began,
            sum(process[k][1] for process in measured),
            None if server0 is None or server1 is None else server1 - server0,
            None if machine0 is None or machine1 is None else machine1 - machine0,
        )
        runs.append(PhaseRun(phase, [user for process in measured for user in process[k][0]], cpu))
    return runs


def _raise_first(futures: list[Future[Any]]) -> None:
    """Raise the error of the client process that failed first: the reason the barrier broke, rather than the
    broken barrier that the other processes saw."""
    failures = [error for future in futures if (error := future.exception(timeout=120)) is not None]
    failures.sort(key=lambda error: isinstance(error, threading.BrokenBarrierError))
    if failures:
        raise failures[0]


def percentile(values: list[float], fraction: float) -> float:
    """The nearest-rank percentile (Hyndman and Fan 1996, definition 1)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), int(-(-fraction * len(ordered) // 1))))
    return ordered[rank - 1]


@dataclass(frozen=True)
class Summary:
    operation: str
    count: int
    errors: int
    per_second: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    error_statuses: str = ""
    """The errors by HTTP status (0: no answer), e.g. ``0 x2, 500 x1``."""
    max_ms: float = float("nan")


@dataclass(frozen=True)
class Arrivals:
    """An open-loop window: the rate asked for, the requests scheduled inside the window and those sent."""

    rate: float
    seconds: float
    scheduled: int
    sent: int
    lag_p99_ms: float
    lag_max_ms: float

    @property
    def offered_per_second(self) -> float:
        return self.scheduled / self.seconds

    @property
    def achieved_per_second(self) -> float:
        return self.sent / self.seconds

    @property
    def shortfall(self) -> float:
        """The fraction of the scheduled requests not sent in the window."""
        return 1 - self.sent / self.scheduled if self.scheduled else 0.0

    @property
    def kept_up(self) -> bool:
        return self.scheduled > 0 and self.scheduled - self.sent <= KEPT_UP * self.scheduled + 1e-9


def arrivals(phase: Phase, results: list[UserResult]) -> Arrivals | None:
    """The open-loop accounting of a phase (None for the closed loop)."""
    if not phase.open_loop:
        return None
    lags = [lag for r in results for lag in r.lags]
    return Arrivals(
        phase.rate,
        phase.seconds,
        sum(r.scheduled for r in results),
        sum(r.sent for r in results),
        percentile(lags, 0.99) * 1000,
        max(lags, default=float("nan")) * 1000,
    )


def summarize(results: list[UserResult], seconds: float) -> list[Summary]:
    """Per operation and ``all``: count, errors (non-2xx or no answer), rate and latency percentiles of the
    answered requests. Open loop: ``all`` also counts the requests never sent (missed), each with the wait it
    had when the window closed as its latency (a lower bound), so that falling behind shows as latency."""
    by_operation: dict[str, list[Sample]] = defaultdict(list)
    for result in results:
        for sample in result.samples:
            by_operation[sample[0]].append(sample)
            by_operation["all"].append(sample)
    missed = [waited for result in results for waited in result.missed]
    rows = []
    for operation, samples in sorted(
        by_operation.items(), key=lambda item: (item[0] != "all", -len(item[1]))
    ):
        ok = [s[2] for s in samples if 200 <= s[1] < 300]
        failed = Counter(s[1] for s in samples if not 200 <= s[1] < 300)
        waits = ok + missed if operation == "all" else ok
        rows.append(
            Summary(
                operation,
                len(samples),
                len(samples) - len(ok),
                len(ok) / seconds,
                percentile(waits, 0.50) * 1000,
                percentile(waits, 0.95) * 1000,
                percentile(waits, 0.99) * 1000,
                ", ".join(f"{status} x{n}" for status, n in sorted(failed.items())),
                max(waits, default=float("nan")) * 1000,
            )
        )
    return rows
