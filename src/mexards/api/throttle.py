"""Login throttling per client address: a sliding window of attempts (in memory, per process).

Account lockout (:mod:`mexards.services.account`) stops guessing one account's password; this throttle stops
one client from trying many accounts quickly (OWASP Authentication Cheat Sheet, "Protect against automated
attacks").
"""

from __future__ import annotations

import math
import threading
from collections import deque
from collections.abc import Callable

from mexards.api.errors import TooManyRequestsError


class LoginThrottle:
    """At most ``attempts`` login attempts per client in any ``window_seconds``."""

    def __init__(
        self, attempts: int = 20, window_seconds: float = 60.0, now: Callable[[], float] | None = None
    ):
        import time

        self.attempts = attempts
        self.window_seconds = window_seconds
        self._now = now or time.monotonic
        self._seen: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def check(self, client: str) -> None:
        """Count an attempt of ``client``; TooManyRequestsError if it is over the limit."""
        now = self._now()
        with self._lock:
            seen = self._seen.setdefault(client, deque())
            while seen and seen[0] <= now - self.window_seconds:
                seen.popleft()
            if len(seen) >= self.attempts:
                raise TooManyRequestsError(max(1, math.ceil(seen[0] + self.window_seconds - now)))
            seen.append(now)
            if len(self._seen) > 10_000:
                self._seen = {k: v for k, v in self._seen.items() if v and v[-1] > now - self.window_seconds}
