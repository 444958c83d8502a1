"""``mexards serve --workers 2``: two uvicorn worker processes on one loopback port, sharing the login throttle's
count through the database (20 attempts a minute per client address, whichever worker answers).

Real SQLite file and real PostgreSQL (``db_url``); the server runs as a process group of its own on 127.0.0.1 and
a free port, and is stopped at the end.
"""

from __future__ import annotations

import http.client
import json
from pathlib import Path

from benchmarks.load.server import HOST, Server, health

from mexards.api.throttle import ATTEMPTS


def worker_processes(parent: int) -> list[int]:
    """The uvicorn workers started by ``parent`` (multiprocessing's spawned children)."""
    found = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(line.split(":\t", 1) for line in status.read_text().splitlines() if ":\t" in line)
            command = (status.parent / "cmdline").read_bytes().replace(b"\0", b" ")
        except OSError:
            continue
        if fields.get("PPid", "").strip() == str(parent) and b"spawn_main" in command:
            found.append(int(status.parent.name))
    return found


def login_status(port: int) -> int:
    conn = http.client.HTTPConnection(HOST, port, timeout=30)
    try:
        body = json.dumps({"user_id": "nobody", "password": "Wrong-Horse-00!"})
        conn.request("POST", "/api/auth/token", body, {"Content-Type": "application/json"})
        reply = conn.getresponse()
        reply.read()
        return reply.status
    finally:
        conn.close()


def test_two_workers_serve_one_port_and_share_the_login_throttle(db_url: str, tmp_path: Path) -> None:
    server = Server(db_url, tmp_path / "server.log", workers=2)
    try:
        server.start(timeout=180)
        assert server.process is not None
        assert len(worker_processes(server.process.pid)) == 2
        document = health(server.port)
        assert document is not None and document["status"] == "ok" and document["revision"]
        statuses = [login_status(server.port) for _ in range(ATTEMPTS + 1)]
        assert statuses == [401] * ATTEMPTS + [429]
    finally:
        server.close()
    log = (tmp_path / "server.log").read_text()
    assert "with 2 workers" in log and "Traceback" not in log
