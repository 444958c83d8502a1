"""A small keep-alive JSON client speaking HTTP/1.1 on a plain socket, one per virtual user.

The load generator shares the machine's 2 cores with the server it measures, so its client is made cheap: each
request is written with one ``sendall`` (headers and body together: one packet, one read for the server, where
``http.client`` writes the headers and the body separately) and the response is read with a few buffered
``readline`` calls instead of ``http.client``'s e-mail header parser. On loopback this costs about a quarter of
the CPU time of ``http.client`` per request. Responses may carry ``Content-Length``, chunked transfer coding, or a
body up to the connection's end (RFC 9112, section 6.3).

Each virtual user sends ``X-Forwarded-For`` with an address of its own: uvicorn trusts that header from
127.0.0.1 only (its default ``forwarded_allow_ips``), so the server sees 50 users at 50 workstations behind a
local reverse proxy, as in a hospital, rather than one address that the login throttle would stop.

A connection left idle for longer than the server keeps it (uvicorn closes keep-alive connections after 5 s) is
replaced before the next request rather than reused: a request written into a connection the server has just
closed gets no answer, and its outcome would be unknown. A caller that does not read the body asks for
``parse=False``, which spares the client the decoding.
"""

from __future__ import annotations

import contextlib
import json
import socket
import time
from dataclasses import dataclass
from typing import IO, Any

from benchmarks.load.server import HOST

NO_BODY_STATUSES = frozenset({204, 304})
MAX_LINE = 65_536


class NoAnswer(Exception):
    """The request got no response (connection refused, reset or timed out): its outcome is unknown."""


class BadResponse(Exception):
    """The bytes received are not an HTTP/1.1 response."""


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
        self._sock: socket.socket | None = None
        self._reader: IO[bytes] | None = None
        self._last_used = 0.0

    def _connection(self) -> tuple[socket.socket, IO[bytes]]:
        if self._sock is not None and time.perf_counter() - self._last_used > self.IDLE_LIMIT:
            self.close()
        if self._sock is None or self._reader is None:
            sock = socket.create_connection((HOST, self.port), timeout=self.timeout)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self._sock, self._reader = sock, sock.makefile("rb")
        return self._sock, self._reader

    def close(self) -> None:
        if self._reader is not None:
            with contextlib.suppress(OSError):
                self._reader.close()
            self._reader = None
        if self._sock is not None:
            with contextlib.suppress(OSError):
                self._sock.close()
            self._sock = None

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
        data = b""
        if body is not None:
            data = json.dumps(body).encode("utf-8") if not isinstance(body, bytes) else body
            sent.setdefault("Content-Type", "application/json")
        if body is not None or method in ("POST", "PUT", "PATCH"):
            sent["Content-Length"] = str(len(data))
        if self.token is not None:
            sent.setdefault("Authorization", f"Bearer {self.token}")
        lines = [f"{method} {path} HTTP/1.1", f"Host: {HOST}:{self.port}"]
        lines += [f"{name}: {value}" for name, value in sent.items()]
        message = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + data
        began = time.perf_counter()
        try:
            sock, reader = self._connection()
            sock.sendall(message)
            status, received, raw, reusable = self._read_response(reader, method)
        except (OSError, BadResponse, ValueError) as exc:
            self.close()
            raise NoAnswer(f"{method} {path}: {type(exc).__name__}") from None
        self._last_used = time.perf_counter()
        seconds = self._last_used - began
        if not reusable or received.get("connection", "").lower() == "close":
            self.close()
        parsed: Any = raw
        if parse:
            parsed = raw.decode("utf-8", "replace")
            if "json" in received.get("content-type", ""):
                with contextlib.suppress(ValueError):
                    parsed = json.loads(raw)
        return Reply(status, parsed, seconds, received)

    def _read_response(self, reader: IO[bytes], method: str) -> tuple[int, dict[str, str], bytes, bool]:
        """Status, headers (lower-case names; a repeated header keeps its last value), body, and whether the
        connection can carry another request."""
        status_line = self._line(reader)
        version, _, rest = status_line.partition(" ")
        if not version.startswith("HTTP/1."):
            raise BadResponse(f"status line {status_line[:80]!r}")
        status = int(rest[:3])
        received = self._headers(reader)
        if method == "HEAD" or 100 <= status < 200 or status in NO_BODY_STATUSES:
            return status, received, b"", True
        if "chunked" in received.get("transfer-encoding", "").lower():
            return status, received, self._chunked(reader), True
        if "content-length" in received:
            length = int(received["content-length"])
            raw = reader.read(length)
            if len(raw) != length:
                raise BadResponse(f"body cut at {len(raw)} of {length} bytes")
            return status, received, raw, True
        return status, received, reader.read(), False  # delimited by the end of the connection

    @staticmethod
    def _line(reader: IO[bytes]) -> str:
        line = reader.readline(MAX_LINE)
        if not line.endswith(b"\n"):
            raise BadResponse("connection closed" if not line else "line too long")
        return line.decode("latin-1").rstrip("\r\n")

    def _headers(self, reader: IO[bytes]) -> dict[str, str]:
        received: dict[str, str] = {}
        while line := self._line(reader):
            name, colon, value = line.partition(":")
            if not colon:
                raise BadResponse(f"header line {line[:80]!r}")
            received[name.strip().lower()] = value.strip()
        return received

    def _chunked(self, reader: IO[bytes]) -> bytes:
        chunks = []
        while size := int(self._line(reader).partition(";")[0].strip(), 16):
            chunk = reader.read(size + 2)
            if len(chunk) != size + 2:
                raise BadResponse("chunk cut short")
            chunks.append(chunk[:size])
        self._headers(reader)  # trailer fields, up to the blank line
        return b"".join(chunks)

    def login(self, user_id: str, password: str) -> Reply:
        reply = self.request("POST", "/api/auth/token", {"user_id": user_id, "password": password})
        if reply.ok:
            self.token = str(reply.body["access_token"])
        return reply
