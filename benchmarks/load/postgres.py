"""A throwaway PostgreSQL server of our own (``initdb`` in a temporary folder, a free loopback port), so
that the crash suite can crash and restart *the database server* without touching the shared one that other
test runs use. ``stop("immediate")`` is PostgreSQL's crash stop: no shutdown checkpoint, WAL replay on the
next start (PostgreSQL manual, ``pg_ctl`` and chapter 30 "Reliability and the Write-Ahead Log").
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.load.server import HOST, free_port

USER = "mexards"


def postgres_bin() -> Path | None:
    """The folder of ``initdb``/``pg_ctl`` (Debian keeps them under /usr/lib/postgresql/<major>/bin)."""
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), reverse=True)
    return candidates[0].parent if candidates else None


class PrivateCluster:
    """A PostgreSQL cluster in a temporary folder, listening on 127.0.0.1 only, trust authentication."""

    def __init__(self, database: str = "trial") -> None:
        folder = postgres_bin()
        if folder is None:
            raise RuntimeError("the PostgreSQL server programs (initdb, pg_ctl) are not installed")
        self.bin = folder
        self.database = database
        self.port = free_port()
        self.root = Path(tempfile.mkdtemp(prefix="mexards-pg-"))
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        self._as_postgres = os.geteuid() == 0  # the server refuses to run as root
        if self._as_postgres:
            shutil.chown(self.root, "postgres")

    def _run(self, *args: str, timeout: float = 120) -> None:
        command = [str(self.bin / args[0]), *args[1:]]
        if self._as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=timeout)

    def url(self, application_name: str = "mexards") -> str:
        return f"postgresql+psycopg://{USER}@{HOST}:{self.port}/{self.database}?application_name={application_name}"

    def dsn(self) -> str:
        return f"postgresql://{USER}@{HOST}:{self.port}/{self.database}"

    def init(self) -> None:
        self._run("initdb", "-D", str(self.data), "--auth=trust", f"--username={USER}", "-E", "UTF8")
        self.start()
        import psycopg

        with psycopg.connect(f"postgresql://{USER}@{HOST}:{self.port}/postgres", autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{self.database}"')

    def start(self) -> float:
        began = time.monotonic()
        options = (
            f"-p {self.port} -c listen_addresses={HOST} -c unix_socket_directories={self.root} -c fsync=on"
        )
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "start")
        return time.monotonic() - began

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    def crash_restart(self) -> float:
        """Stop in immediate mode (a crash) and start again (WAL recovery); seconds until it accepts."""
        began = time.monotonic()
        self.stop("immediate")
        self.start()
        return time.monotonic() - began

    def terminate_backends(self, application_name: str) -> int:
        """Terminate every connection of ``application_name`` (their open transactions roll back)."""
        import psycopg

        with psycopg.connect(self.dsn(), autocommit=True) as conn:
            rows = conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = %s",
                (application_name,),
            ).fetchall()
        return len(rows)

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> PrivateCluster:
        self.init()
        return self

    def __exit__(self, *_exc: Any) -> None:
        self.close()
