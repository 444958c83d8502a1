"""Login throttling: a sliding window of attempts per client address and per user id.

Account lockout (:mod:`mexards.services.account`) stops guessing one account's password; this throttle stops
one client from trying many accounts quickly, and many clients from trying one user id quickly (OWASP
Authentication Cheat Sheet, "Protect against automated attacks"). Policy: at most 20 attempts per subject in
any 60 seconds.

The application counts in the database (:class:`mexards.persistence.account.SqlLoginAttempts`, wired by
:func:`mexards.api.app.build_container`), so that every worker process of ``mexards serve --workers N`` shares
one count; :class:`MemoryAttempts` counts in one process (tests, tools).
"""

from __future__ import annotations

import math
import threading
from collections import deque
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Protocol

from mexards.api.errors import TooManyRequestsError

ATTEMPTS = 20
WINDOW_SECONDS = 60.0


class AttemptLog(Protocol):
    def attempt(self, subjects: Iterable[str], now: datetime, window: timedelta, limit: int) -> datetime | None:
        """Record one attempt of every subject at ``now``, unless a subject already has ``limit`` attempts in
        the ``window`` before ``now``: then record nothing and return the time from which, one ``window``
        later, that subject may try again."""
        ...


class MemoryAttempts:
    """Attempts counted in this process only."""

    MAX_SUBJECTS = 10_000

    def __init__(self) -> None:
        self._seen: dict[str, deque[datetime]] = {}
        self._lock = threading.Lock()

    def attempt(self, subjects: Iterable[str], now: datetime, window: timedelta, limit: int) -> datetime | None:
        keys = sorted(set(subjects))
        with self._lock:
            for key in keys:
                seen = self._seen.setdefault(key, deque())
                while seen and seen[0] <= now - window:
                    seen.popleft()
                if len(seen) >= limit:
                    return seen[len(seen) - limit]
            for key in keys:
                self._seen[key].append(now)
            if len(self._seen) > self.MAX_SUBJECTS:
                self._seen = {k: v for k, v in self._seen.items() if v and v[-1] > now - window}
        return None


def _utc_now() -> datetime:
    return datetime.now(UTC)


class LoginThrottle:
    """At most ``attempts`` login attempts per client address, and per user id, in any ``window_seconds``."""

    def __init__(
        self,
        attempts: int = ATTEMPTS,
        window_seconds: float = WINDOW_SECONDS,
        log: AttemptLog | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.attempts = attempts
        self.window_seconds = window_seconds
        self.log: AttemptLog = log if log is not None else MemoryAttempts()
        self._now = clock or _utc_now

    def check(self, client: str, user_id: str | None = None) -> None:
        """Count an attempt of ``client`` (and of ``user_id`` when given); TooManyRequestsError, with the
        seconds to wait, if either is over the limit (a refused attempt is not counted)."""
        now = self._now()
        window = timedelta(seconds=self.window_seconds)
        subjects = [f"client:{client}"]
        if user_id:
            subjects.append(f"user:{user_id.strip().lower()}")
        oldest = self.log.attempt(subjects, now, window, self.attempts)
        if oldest is not None:
            raise TooManyRequestsError(max(1, math.ceil((oldest + window - now).total_seconds())))
