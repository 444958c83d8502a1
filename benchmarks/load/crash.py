"""The crash suite: writers drive screenings, CRF saves and doses through the REST API while a fault strikes
at random moments (the server SIGKILLed and restarted, PostgreSQL backends terminated, or the database server
itself stopped in immediate mode and restarted). Afterwards every write is checked against what the client
saw:

- acknowledged (2xx seen): present, complete, with exactly the values sent;
- refused (4xx seen): absent;
- unknown (no response, or a 5xx during a fault): present completely or absent completely, never in part;
- and ``mexards audit verify`` passes (chain intact, tables equal to the replayed trail), SQLite's
  ``integrity_check`` is ``ok``.

Durability rests on SQLite WAL with ``synchronous=FULL`` and on PostgreSQL's WAL (fsync on commit): a commit
is acknowledged only after it is on disk (21 CFR 11.10(c); SQLite "Atomic Commit" and "WAL" documents;
PostgreSQL manual, chapter 30 "Reliability and the Write-Ahead Log").
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from benchmarks.load import payload
from benchmarks.load.client import Client, NoAnswer, Reply
from benchmarks.load.postgres import PrivateCluster
from benchmarks.load.server import Server, health
from benchmarks.load.trial import PreparedTrial

ACKNOWLEDGED, REFUSED, UNKNOWN = "acknowledged", "refused", "unknown"


@dataclass
class Attempt:
    """One write as the client saw it."""

    kind: str
    participant_id: str
    key: str
    body: dict[str, Any]
    outcome: str = UNKNOWN
    status: int | None = None
    sent_at: float = 0.0
    """``time.monotonic()`` when the request was sent,"""
    finished_at: float = 0.0
    """and when it ended, with an answer (``status``) or without one."""


@dataclass
class CrashReport:
    faults: int = 0
    seconds: float = 0.0
    restart_seconds: list[float] = field(default_factory=list)
    progress_seconds: list[float] = field(default_factory=list)
    """For each fault: seconds from the service being back until every writer had a write acknowledged."""
    windows: list[tuple[float, float]] = field(default_factory=list)
    """(struck, back) ``time.monotonic()`` of each fault."""
    began: float = 0.0
    """When every writer had logged in and the first span began (``time.monotonic()``),"""
    ended: float = 0.0
    """and when the last span ended."""
    attempts: list[Attempt] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    stalls: list[str] = field(default_factory=list)
    """Writers without progress after a fault (see ``run_with_faults``)."""
    server_errors: int = 0

    def counts(self) -> Counter[tuple[str, str]]:
        return Counter((a.kind, a.outcome) for a in self.attempts)

    @property
    def acknowledged(self) -> int:
        return sum(1 for a in self.attempts if a.outcome == ACKNOWLEDGED)

    @property
    def unknown(self) -> int:
        return sum(1 for a in self.attempts if a.outcome == UNKNOWN)

    def intervals(self) -> list[tuple[float, float]]:
        """The spans when the service was up: from the start (or a fault's end) to the next fault (or the end)."""
        starts = [self.began, *(back for _struck, back in self.windows)]
        ends = [*(struck for struck, _back in self.windows), self.ended]
        return list(zip(starts, ends, strict=True))

    def acknowledged_per_interval(self) -> list[int]:
        """Writes acknowledged in each span the service was up (answered within it)."""
        answered = [a.finished_at for a in self.attempts if a.outcome == ACKNOWLEDGED]
        return [sum(1 for t in answered if start <= t < end) for start, end in self.intervals()]

    def failures_outside_faults(self) -> list[Attempt]:
        """Writes without an answer or with a 5xx although no fault struck while they were in flight."""
        return [
            a
            for a in self.attempts
            if (a.status is None or a.status >= 500)
            and not any(a.sent_at <= back and struck <= a.finished_at for struck, back in self.windows)
        ]


class Writer(threading.Thread):
    """A coordinator writing as fast as the server lets it: new screenings, CRF saves, the next dose."""

    def __init__(
        self,
        port: int,
        prepared: PreparedTrial,
        coordinator: str,
        number: int,
        up: threading.Event,
        stop: threading.Event,
        seed: int,
        kinds: tuple[str, ...] = ("screening", "crf", "dose"),
    ) -> None:
        super().__init__(daemon=True, name=f"writer-{coordinator}")
        self.client = Client(port, address=f"10.1.0.{number}", timeout=20)
        self.prepared, self.coordinator = prepared, coordinator
        self.site = prepared.coordinators[coordinator]
        self.up, self.stop = up, stop
        self.rng = random.Random(seed)
        self.kinds = kinds
        self.attempts: list[Attempt] = []
        self.next_day = {pid: 1 for pid in prepared.randomized[coordinator]}
        self.resync: set[str] = set()
        self.sequence = 0
        self.logged_in = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            if not self.up.is_set():
                # The server may be a new process when it is back: start on a new connection.
                self.client.close()
                self.up.wait(timeout=0.2)
                continue
            try:
                self.step()
            except NoAnswer:
                time.sleep(0.01)

    def acknowledged_since(self, moment: float) -> bool:
        """Whether a write of this writer ended acknowledged at ``moment`` or later (``time.monotonic()``)."""
        for attempt in reversed(self.attempts):  # in the order sent, one at a time
            if attempt.outcome == ACKNOWLEDGED and attempt.finished_at >= moment:
                return True
            if 0.0 < attempt.finished_at < moment:
                return False
        return False

    def request(self, method: str, path: str, body: Any = None) -> Reply:
        reply = self.client.request(method, path, body)
        if reply.status >= 500:
            # uvicorn closes the connection after an unhandled exception (it has sent the 500 already), and
            # the next request on it would fail without reaching the server: reconnect instead.
            self.client.close()
        return reply

    def ensure_login(self) -> None:
        """Log in if needed. A login that fails while the database is down is retried after a pause, so that
        the login throttle (20 a minute per client) is not spent on the outage."""
        if self.client.token is None:
            try:
                reply = self.client.login(self.coordinator, self.prepared.password)
            except NoAnswer:
                time.sleep(0.2)
                raise
            if not reply.ok:
                retry = reply.headers.get("retry-after", "")
                time.sleep(min(float(retry), 5.0) if retry.isdigit() else 0.5)
                raise NoAnswer(f"login refused with {reply.status}")
            self.logged_in.set()

    def send(self, attempt: Attempt, method: str, path: str) -> None:
        self.attempts.append(attempt)
        attempt.sent_at = time.monotonic()
        try:
            reply = self.request(method, path, attempt.body)  # NoAnswer leaves the outcome unknown
        finally:
            attempt.finished_at = time.monotonic()
        attempt.status = reply.status
        if reply.status == 401:
            self.client.token = None
            attempt.outcome = REFUSED
        elif reply.ok:
            attempt.outcome = ACKNOWLEDGED
        elif reply.status < 500:
            attempt.outcome = REFUSED

    def step(self) -> None:
        self.ensure_login()
        dosing_left = any(day <= 7 for day in self.next_day.values())
        kind = self.rng.choice([k for k in self.kinds if k != "dose" or dosing_left] or ["crf"])
        self.sequence += 1
        if kind == "screening":
            pid = f"{self.coordinator.upper()}-N{self.sequence:05d}"
            self.send(
                Attempt("screening", pid, pid, payload.screening(pid, self.site)), "POST", "/api/screenings"
            )
        elif kind == "crf":
            pid = self.rng.choice(self.prepared.randomized[self.coordinator])
            form_id, body = payload.crf(self.rng)
            visit = f"v{self.sequence:05d}"
            attempt = Attempt("crf", pid, f"{form_id}/{visit}", body)
            self.send(attempt, "PUT", f"/api/participants/{pid}/crfs/{form_id}/{visit}")
        else:
            pid = self.rng.choice([pid for pid, day in self.next_day.items() if day <= 7])
            if pid in self.resync:
                reply = self.request("GET", f"/api/participants/{pid}/administrations")
                if not reply.ok:
                    return
                days = [item["study_day"] for item in reply.body]
                self.next_day[pid] = max(days, default=0) + 1
                self.resync.discard(pid)
                if self.next_day[pid] > 7:
                    return
            day = self.next_day[pid]
            attempt = Attempt("dose", pid, str(day), payload.dose(day, self.rng))
            try:
                self.send(attempt, "POST", f"/api/participants/{pid}/administrations")
            finally:
                if attempt.outcome == ACKNOWLEDGED:
                    self.next_day[pid] = day + 1
                else:
                    self.resync.add(pid)


def run_with_faults(
    port: int,
    prepared: PreparedTrial,
    fault: Callable[[], float],
    faults: int,
    *,
    writers: int = 4,
    seed: int = 1,
    between: tuple[float, float] = (0.3, 1.2),
    time_limit: float = 600.0,
    login_limit: float = 60.0,
    progress_limit: float = 30.0,
) -> CrashReport:
    """Run ``writers`` writers and strike ``fault`` (which returns the seconds until the service is back)
    ``faults`` times at random moments, within ``time_limit`` seconds.

    The writers log in first (within ``login_limit`` seconds). After each fault the next one strikes a random
    ``between`` seconds after the service is back, but not before every writer has had a write acknowledged
    since: a fault that strikes again while a new server process or new database connections are still warming
    up would show no progress although nothing is wrong. A writer still without progress after
    ``progress_limit`` seconds is a stall, named in ``report.stalls``, and the run goes on.
    """
    rng = random.Random(seed)
    up, stop = threading.Event(), threading.Event()
    up.set()
    coordinators = list(prepared.coordinators)
    threads = [
        Writer(port, prepared, coordinators[n % len(coordinators)], n + 1, up, stop, seed * 1000 + n)
        for n in range(writers)
    ]
    report = CrashReport()
    began = time.monotonic()
    for thread in threads:
        thread.start()

    def wait_for_progress(after: str) -> float:
        since, delay = report.windows[-1][1] if report.windows else report.began, rng.uniform(*between)
        while True:
            now = time.monotonic()
            behind = [thread for thread in threads if not thread.acknowledged_since(since)]
            if not behind:
                break
            if now - since >= progress_limit:
                names = ", ".join(thread.name for thread in behind)
                report.stalls.append(f"after {after}: no write acknowledged in {progress_limit:.0f} s for {names}")
                break
            time.sleep(0.02)
        time.sleep(max(0.0, since + delay - time.monotonic()))
        return now - since

    try:
        # A login costs a password hash (Argon2id: a few hundred milliseconds of CPU each, seconds with several
        # at once on two cores), longer than the gap between faults, and a fault kills a login in flight (its
        # transaction is open while the hash is checked). Writers that log in between faults may never get in.
        for thread in threads:
            if not thread.logged_in.wait(timeout=max(0.1, login_limit - (time.monotonic() - began))):
                raise TimeoutError(f"{thread.name} could not log in within {login_limit:.0f} s")
        report.began = time.monotonic()
        wait_for_progress("the logins")
        for number in range(1, faults + 1):
            if time.monotonic() - began > time_limit:
                break
            up.clear()
            struck = time.monotonic()
            report.restart_seconds.append(fault())
            report.windows.append((struck, time.monotonic()))
            report.faults += 1
            up.set()
            report.progress_seconds.append(wait_for_progress(f"fault {number}"))
        report.ended = time.monotonic()
    finally:
        stop.set()
        up.set()
        for thread in threads:
            thread.join(timeout=60)
            thread.client.close()
    report.seconds = time.monotonic() - began
    report.attempts = [a for t in threads for a in t.attempts]
    report.server_errors = sum(1 for a in report.attempts if a.status is not None and a.status >= 500)
    return report


def postgres_faults(
    server: Server, cluster: PrivateCluster, application: str, kinds: Iterable[str], limit: float = 60.0
) -> Callable[[], float]:
    """A fault for ``run_with_faults`` that takes the next of ``kinds`` in turn: ``server`` (SIGKILL and
    restart), ``database`` (crash restart of the private cluster) or ``backends`` (every connection of
    ``application`` terminated). It returns once the service answers with the database reachable, within
    ``limit`` seconds (TimeoutError otherwise)."""
    turn = iter(kinds)

    def fault() -> float:
        began, kind = time.monotonic(), next(turn)
        if kind == "server":
            server.kill()
            server.start(timeout=limit)
        elif kind == "database":
            cluster.crash_restart()
        elif kind == "backends":
            cluster.terminate_backends(application)
        else:
            raise ValueError(f"kinds: {kind!r} is not server, database or backends")
        while (document := health(server.port)) is None or document.get("database") != "ok":
            if time.monotonic() - began > limit:
                raise TimeoutError(f"the service was not back within {limit:.0f} s of a {kind} fault")
            time.sleep(0.05)
        return time.monotonic() - began

    return fault


def _same(sent: Any, stored: Any) -> bool:
    if sent == stored or str(sent) == str(stored):
        return True
    try:
        return Decimal(str(sent)) == Decimal(str(stored))
    except InvalidOperation:
        return False


def check_writes(container: Any, attempts: list[Attempt]) -> list[str]:
    """Every difference between the store and what the client saw (see the module docstring)."""
    from mexards.domain.identifier import ParticipantId

    problems: list[str] = []
    with container.unit_of_work() as uow:
        for a in attempts:
            pid = ParticipantId(a.participant_id)
            if a.kind == "screening":
                participant, logged = uow.participants.find(pid), uow.screening_log.find(pid)
                present, complete = participant is not None, (participant is None) == (logged is None)
                exact = True
            elif a.kind == "crf":
                form_id, visit = a.key.split("/")
                record = uow.crf_records.find(pid, form_id, visit)
                present, complete = record is not None, True
                values = a.body["values"]
                exact = record is None or (
                    set(record.values) == set(values)
                    and all(_same(values[k], record.values[k]) for k in values)
                )
            else:
                day = int(a.key)
                given = [x for x in uow.administrations.list(pid) if x.study_day.value == day]
                dosed = day in uow.participants.get(pid).dosed_days
                present, complete, exact = bool(given), bool(given) == dosed, len(given) <= 1
            where = f"{a.kind} {a.participant_id} {a.key} ({a.outcome}, HTTP {a.status})"
            if not complete or not exact:
                problems.append(f"{where}: stored in part or with other values")
            if a.outcome == ACKNOWLEDGED and not present:
                problems.append(f"{where}: acknowledged but lost")
            if a.outcome == REFUSED and present and a.status != 409:
                problems.append(f"{where}: refused but stored")
    return problems
