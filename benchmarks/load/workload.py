"""Virtual users for the load benchmark, and the statistics of what they measured.

``mix``: a coordinator's working day in proportions (CRF entry dominates data capture; EDC usage studies put
form saves and list views first): CRF saves 40 %, participant list 14 %, dosing 12 %, screening 10 %, consent
and enrolment 8 %, randomization 6 %, report pages 8 % (CONSORT counts, screening log), and 2 % logins.
``crf``: every request is a CRF save (the throughput target of the issue). ``randomization``: every user
randomizes all its enrolled participants at once, then saves CRFs (the double-allocation check under load).
Each user is one thread with its own connection and client address; several processes share the users so that
the client side is not held back by one interpreter lock.
"""

from __future__ import annotations

import multiprocessing
import random
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
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
Sample = tuple[str, int, float]
"""(operation, HTTP status or 0 for no answer, seconds)."""


@dataclass
class UserResult:
    samples: list[Sample] = field(default_factory=list)
    randomized: list[tuple[str, str]] = field(default_factory=list)
    """(participant, kit code) of every randomization acknowledged."""


class VirtualUser:
    """One coordinator at their site, working through ``scenario`` until ``until`` (monotonic seconds)."""

    def __init__(self, port: int, prepared: PreparedTrial, coordinator: str, number: int, seed: int) -> None:
        self.client = Client(port, address=f"10.2.{number // 250}.{number % 250 + 1}")
        self.prepared, self.coordinator = prepared, coordinator
        self.site = prepared.coordinators[coordinator]
        self.rng = random.Random(seed)
        self.result = UserResult()
        self.randomized = list(prepared.randomized[coordinator])
        self.enrolled = list(prepared.enrolled[coordinator])
        self.eligible: list[str] = []
        self.next_day = {pid: 1 for pid in self.randomized}
        self.sequence = 0

    def record(self, operation: str, call: Callable[[], Reply]) -> Reply | None:
        try:
            reply = call()
        except NoAnswer:
            self.result.samples.append((operation, 0, 0.0))
            return None
        self.result.samples.append((operation, reply.status, reply.seconds))
        return reply

    def login(self) -> None:
        reply = self.record("login", lambda: self.client.login(self.coordinator, self.prepared.password))
        if reply is None or not reply.ok:
            raise RuntimeError(f"{self.coordinator} could not log in")

    def run(self, scenario: str, until: float) -> UserResult:
        """Work until ``until`` (epoch seconds); the user has logged in already."""
        self.client.close()  # the server drops connections idle for 5 s: start on a fresh one
        names, weights = zip(*MIX, strict=True)
        while time.time() < until:
            if scenario == "mix":
                operation = self.rng.choices(names, weights)[0]
            else:
                operation = "randomization" if scenario == "randomization" and self.enrolled else "crf save"
            self.step(operation)
        self.client.close()
        return self.result

    def step(self, operation: str) -> None:
        self.sequence += 1
        n = self.sequence
        if operation == "crf save":
            pid = self.rng.choice(self.randomized)
            form_id, body = payload.crf(self.rng, "vital_signs" if self.rng.random() < 0.7 else "blood_gas")
            self.record(
                operation,
                lambda: self.client.request("PUT", f"/api/participants/{pid}/crfs/{form_id}/w{n:06d}", body),
            )
        elif operation == "participant list":
            offset = self.rng.choice((0, 0, 20))
            self.record(
                operation, lambda: self.client.request("GET", f"/api/participants?limit=20&offset={offset}")
            )
        elif operation == "report page":
            path = self.rng.choice(("/api/reports/consort", "/api/screening-log?limit=50"))
            self.record(operation, lambda: self.client.request("GET", path))
        elif operation == "login":
            self.login()
        elif operation == "screening":
            pid = f"{self.coordinator.upper()}-L{n:06d}"
            reply = self.record(
                operation,
                lambda: self.client.request("POST", "/api/screenings", payload.screening(pid, self.site)),
            )
            if reply is not None and reply.ok and reply.body.get("verdict") == "ELIGIBLE":
                self.eligible.append(pid)
        elif operation == "consent and enrolment":
            if not self.eligible:
                return self.step("screening")
            pid = self.eligible.pop()
            reply = self.record(
                "consent",
                lambda: self.client.request("POST", f"/api/participants/{pid}/consent", payload.consent()),
            )
            if reply is not None and reply.ok:
                reply = self.record(
                    "enrolment", lambda: self.client.request("POST", f"/api/participants/{pid}/enrolment")
                )
                if reply is not None and reply.ok:
                    self.enrolled.append(pid)
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
                    "POST", f"/api/participants/{pid}/administrations", payload.dose(day, self.rng)
                ),
            )
            if reply is not None and reply.ok:
                self.next_day[pid] = day + 1
        return None


def run_users(
    port: int,
    prepared: PreparedTrial,
    coordinators: list[str],
    numbers: list[int],
    scenario: str,
    ready: Any,
    seconds: float,
    seed: int,
) -> list[UserResult]:
    """One client process: its users log in (set-up, not measured), wait at ``ready`` (a barrier shared by
    every client process), then work for ``seconds``, a thread per user."""
    users = [
        VirtualUser(port, prepared, c, n, seed * 10_000 + n)
        for c, n in zip(coordinators, numbers, strict=True)
    ]
    in_parallel(lambda user: user.login(), users)
    for user in users:
        user.result.samples.clear()
    ready.wait(timeout=600)
    until = time.time() + seconds
    return in_parallel(lambda user: user.run(scenario, until), users)


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


def drive(
    port: int,
    prepared: PreparedTrial,
    users: int,
    scenario: str,
    seconds: float,
    processes: int = 2,
    seed: int = 1,
) -> list[UserResult]:
    """``users`` virtual users (one per coordinator) in ``processes`` client processes for ``seconds``, the
    clock starting once every user has logged in."""
    coordinators = list(prepared.coordinators)[:users]
    if len(coordinators) < users:
        raise ValueError(f"the prepared trial has {len(coordinators)} coordinators, not {users}")
    shares = [share for share in (list(range(p, users, processes)) for p in range(processes)) if share]
    with multiprocessing.Manager() as manager, ProcessPoolExecutor(len(shares)) as pool:
        ready = manager.Barrier(len(shares))
        futures = [
            pool.submit(
                run_users,
                port,
                prepared,
                [coordinators[i] for i in share],
                share,
                scenario,
                ready,
                seconds,
                seed,
            )
            for share in shares
        ]
        return [result for future in futures for result in future.result()]


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


def summarize(results: list[UserResult], seconds: float) -> list[Summary]:
    """Per operation and ``all``: count, errors (non-2xx or no answer), rate and latency percentiles."""
    by_operation: dict[str, list[Sample]] = defaultdict(list)
    for result in results:
        for sample in result.samples:
            by_operation[sample[0]].append(sample)
            by_operation["all"].append(sample)
    rows = []
    for operation, samples in sorted(
        by_operation.items(), key=lambda item: (item[0] != "all", -len(item[1]))
    ):
        ok = [s[2] for s in samples if 200 <= s[1] < 300]
        failed = Counter(s[1] for s in samples if not 200 <= s[1] < 300)
        rows.append(
            Summary(
                operation,
                len(samples),
                len(samples) - len(ok),
                len(ok) / seconds,
                percentile(ok, 0.50) * 1000,
                percentile(ok, 0.95) * 1000,
                percentile(ok, 0.99) * 1000,
                ", ".join(f"{status} x{n}" for status, n in sorted(failed.items())),
            )
        )
    return rows
