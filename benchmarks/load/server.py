"""Start, kill and restart ``mexards serve`` on a loopback port, as a separate process (group) of its own.

Only 127.0.0.1 is ever used. Each start waits (bounded) until ``GET /api/health`` answers; the server's output
goes to a log file that the security checks read afterwards (secrets and arms must never appear in it).
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

HOST = "127.0.0.1"


def free_port() -> int:
    """A TCP port that is free on the loopback interface right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def mexards_command() -> list[str]:
    """The ``mexards`` console script of this interpreter's environment."""
    script = Path(sys.executable).with_name("mexards")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from mexards.cli.main import app; app()"]


def health(port: int, timeout: float = 2.0) -> dict[str, Any] | None:
    """The health document, or None when the server does not answer (yet)."""
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        conn.request("GET", "/api/health")
        reply = conn.getresponse()
        body = reply.read()
        if reply.status != 200:
            return None
        document: dict[str, Any] = json.loads(body)
        return document
    except (OSError, http.client.HTTPException, ValueError):
        return None
    finally:
        conn.close()


@dataclass
class Server:
    """One ``mexards serve --workers N`` on ``database_url`` at ``port``."""

    database_url: str
    log_path: Path
    port: int = field(default_factory=free_port)
    workers: int = 1
    environment: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen[bytes] | None = None
    starts: int = 0
    _log: IO[bytes] | None = None

    def command(self) -> list[str]:
        command = [
            *mexards_command(),
            "serve",
            "--db",
            self.database_url,
            "--host",
            HOST,
            "--port",
            str(self.port),
            "--workers",
            str(self.workers),
        ]
        if self.workers > 1:  # as the load figures were taken: no line per request in the log
            command += ["--log-level", "warning", "--no-access-log"]
        return command

    def start(self, timeout: float = 90.0) -> float:
        """Start the server and wait until it answers; returns the seconds it took."""
        if self.process is not None and self.process.poll() is None:
            raise RuntimeError("the server is already running")
        began = time.monotonic()
        env = {**os.environ, "MEXARDS_DATABASE_URL": self.database_url, **self.environment}
        if self._log is None:
            self._log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            self.command(), stdout=self._log, stderr=subprocess.STDOUT, env=env, start_new_session=True
        )
        self.starts += 1
        while time.monotonic() - began < timeout:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"the server exited with code {self.process.returncode}; see {self.log_path}"
                )
            if health(self.port) is not None:
                return time.monotonic() - began
            time.sleep(0.05)
        self.stop()
        raise TimeoutError(f"the server did not answer within {timeout} s; see {self.log_path}")

    def kill(self) -> None:
        """SIGKILL the server's process group (the server and any worker it started), and reap it."""
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self, timeout: float = 30.0) -> None:
        """Stop gracefully (SIGTERM), or kill after ``timeout`` seconds."""
        if self.process is None or self.process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()

    def close(self) -> None:
        self.stop()
        if self._log is not None:
            self._log.close()
            self._log = None

    def __enter__(self) -> Server:
        self.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()
