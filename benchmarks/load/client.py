"""A small keep-alive JSON client over ``http.client`` (the cheapest client the standard library has, so that
the load generator leaves the 2 cores to the server), one per virtual user.

Each virtual user sends ``X-Forwarded-For`` with an address of its own: uvicorn trusts that header from
127.0.0.1 only (its default ``forwarded_allow_ips``), so the server sees 50 users at 50 workstations behind a
local reverse proxy, as in a hospital, rather than one address that the login throttle would stop.

A connection left idle for longer than the server keeps it (uvicorn closes keep-alive connections after 5 s) is
replaced before the next request rather than reused: a request written into a connection the server has just
closed gets no answer, and its outcome would be unknown. A caller that does not read the body asks for
``parse=False``, which spares the client the decoding (its CPU time is the server's on a shared machine).
"""

from __future__ import annotations

import contextlib
import http.client
import json
import time
from dataclasses import dataclass
from typing import Any

from benchmarks.load.server import HOST


class NoAnswer(Exception):
    """The request got no response (connection refused, reset or timed out): its outcome is unknown."""


@dataclass(frozen=True)
class Reply:
    status: int
    body: Any
    seconds: float
    headers: dict[str, str]

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


class Client:
    """One virtual user: a persistent connection, a bearer token, a client address."""

    IDLE_LIMIT = 4.0
    """Seconds after which an idle connection is replaced (below the server's keep-alive timeout of 5 s)."""

    def __init__(self, port: int, address: str = "10.0.0.1", timeout: float = 30.0) -> None:
        self.port, self.address, self.timeout = port, address, timeout
        self.token: str | None = None
        self._conn: http.client.HTTPConnection | None = None
        self._last_used = 0.0

    def _connection(self) -> http.client.HTTPConnection:
        if self._conn is not None and time.perf_counter() - self._last_used > self.IDLE_LIMIT:
            self.close()
        if self._conn is None:
            self._conn = http.client.HTTPConnection(HOST, self.port, timeout=self.timeout)
        return self._conn

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        headers: dict[str, str] | None = None,
        *,
        parse: bool = True,
    ) -> Reply:
        """Send one request; :class:`NoAnswer` if no response came back. ``parse=False``: the body is left as
        the bytes received."""
        sent = {"X-Forwarded-For": self.address, "Accept": "application/json", **(headers or {})}
        data = None
        if body is not None:
            data = json.dumps(body).encode("utf-8") if not isinstance(body, bytes) else body
            sent.setdefault("Content-Type", "application/json")
        if self.token is not None:
            sent.setdefault("Authorization", f"Bearer {self.token}")
        began = time.perf_counter()
        try:
            conn = self._connection()
            conn.request(method, path, body=data, headers=sent)
            reply = conn.getresponse()
            raw = reply.read()
        except (OSError, http.client.HTTPException) as exc:
            self.close()
            raise NoAnswer(f"{method} {path}: {type(exc).__name__}") from None
        self._last_used = time.perf_counter()
        seconds = self._last_used - began
        received = {k.lower(): v for k, v in reply.getheaders()}
        if received.get("connection", "").lower() == "close":
            self.close()
        parsed: Any = raw
        if parse:
            parsed = raw.decode("utf-8", "replace")
            if "json" in received.get("content-type", ""):
                with contextlib.suppress(ValueError):
                    parsed = json.loads(raw)
        return Reply(reply.status, parsed, seconds, received)

    def login(self, user_id: str, password: str) -> Reply:
        reply = self.request("POST", "/api/auth/token", {"user_id": user_id, "password": password})
        if reply.ok:
            self.token = str(reply.body["access_token"])
        return reply
