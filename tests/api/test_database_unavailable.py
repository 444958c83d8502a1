"""A lost database answers 503 with ``Retry-After`` and a plain problem document (no stack trace, no connection
string), and the application recovers when the database is back.

The application reaches the real PostgreSQL server through a loopback TCP relay on a free port; closing the relay
loses the database (live connections cut, new ones refused: the port is closed) without stopping the server that
other tests use. Which driver errors mean "unavailable" is checked on real errors of SQLite and PostgreSQL.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError

from mexards import bootstrap
from mexards.api.app import build_container, create_app
from mexards.config import Settings
from mexards.services import account
from tests.api.scenario import PASSWORD, ScenarioClock, fast_hasher
from tests.conftest import PG_URL, postgres_answers

LEAKS = ("Traceback", "psycopg", "sqlalchemy", "postgresql", "127.0.0.1", "OperationalError", "connection to server")


class Relay:
    """A TCP relay from a loopback port to the PostgreSQL server, that can be cut and restored."""

    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream = upstream
        self.port = 0
        self._listener: socket.socket | None = None
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()

    def start(self) -> None:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(16)
        self.port = listener.getsockname()[1]
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                server = socket.create_connection(self.upstream, timeout=5)
            except OSError:
                client.close()
                continue
            server.settimeout(None)
            with self._lock:
                self._sockets += [client, server]
            for source, target in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(source, target), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, target: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                target.sendall(data)
        for end in (source, target):
            with contextlib.suppress(OSError):
                end.shutdown(socket.SHUT_RDWR)

    def cut(self) -> None:
        """Close the port and every relayed connection."""
        if self._listener is not None:
            with contextlib.suppress(OSError):
                self._listener.shutdown(socket.SHUT_RDWR)  # wakes the accepting thread (Linux)
            self._listener.close()
            self._listener = None
        with self._lock:
            sockets, self._sockets = self._sockets, []
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()


@pytest.fixture(params=[pytest.param("postgresql", marks=pytest.mark.postgres)])
def relayed_url(request: pytest.FixtureRequest) -> Iterator[tuple[str, Relay]]:
    """A new schema on the PostgreSQL server, and a URL that reaches it through a relay."""
    if not postgres_answers():
        pytest.skip("PostgreSQL server not reachable")
    import psycopg

    dsn = PG_URL.replace("postgresql+psycopg://", "postgresql://")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    target = urlsplit(PG_URL)
    relay = Relay((target.hostname or "127.0.0.1", target.port or 5432))
    relay.start()
    netloc = target.netloc.replace(f"{target.hostname}:{target.port or 5432}", f"127.0.0.1:{relay.port}")
    url = target._replace(netloc=netloc).geturl()
    sep = "&" if "?" in url else "?"
    yield f"{url}{sep}options=-csearch_path%3D{schema}", relay
    relay.cut()
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


def assert_plain_503(reply: object) -> None:
    assert reply.status_code == 503, reply.text  # type: ignore[attr-defined]
    assert reply.headers["retry-after"] == "5"  # type: ignore[attr-defined]
    assert reply.headers["content-type"].startswith("application/problem+json")  # type: ignore[attr-defined]
    body = reply.json()  # type: ignore[attr-defined]
    assert body["status"] == 503 and body["detail"] == "the database is unavailable: try again in a few seconds"
    for leak in LEAKS:
        assert leak not in reply.text, leak  # type: ignore[attr-defined]


def test_a_lost_database_answers_503_with_retry_after_and_recovers(relayed_url: tuple[str, Relay]) -> None:
    url, relay = relayed_url
    clock = ScenarioClock(datetime.now(UTC))
    clock.go_live()
    container = build_container(Settings(environment="test", database_url=url), clock=clock, hasher=fast_hasher())
    account.ensure_administrator(container.account_unit_of_work(), container.hasher, PASSWORD)
    with TestClient(create_app(container=container)) as client:
        login = {"user_id": "admin", "password": PASSWORD}
        token = client.post("/api/auth/token", json=login).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        assert client.get("/api/health").json()["database"] == "ok"
        assert client.get("/api/auth/me", headers=headers).status_code == 200

        relay.cut()  # the database is gone: live connections cut, the port closed
        assert_plain_503(client.get("/api/health"))
        assert_plain_503(client.get("/api/auth/me", headers=headers))
        assert_plain_503(client.get("/api/participants", headers=headers))
        assert_plain_503(client.post("/api/auth/token", json=login))
        client.cookies.set("mexards_session", "a-session-token")
        page = client.get("/", follow_redirects=False)
        client.cookies.clear()
        assert page.status_code == 503 and page.headers["retry-after"] == "5"
        assert page.headers["content-type"].startswith("text/html") and "try again in a few seconds" in page.text
        assert not [leak for leak in LEAKS if leak in page.text]

        relay.start()  # back on the same port
        assert client.get("/api/health").json()["status"] == "ok"
        assert client.get("/api/auth/me", headers=headers).status_code == 200


def test_a_server_that_starts_while_the_database_is_down_answers_503(relayed_url: tuple[str, Relay]) -> None:
    url, relay = relayed_url
    container = build_container(Settings(environment="test", database_url=url), hasher=fast_hasher())
    relay.cut()
    with TestClient(create_app(container=container)) as client:  # start-up does not fail
        assert_plain_503(client.get("/api/health"))
        login = client.post("/api/auth/token", json={"user_id": "admin", "password": PASSWORD})
        assert_plain_503(login)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def driver_error(url: str, statement: str) -> DBAPIError:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            conn.execute(text(statement))
    except DBAPIError as exc:
        return exc
    finally:
        engine.dispose()
    raise AssertionError(f"{statement} did not fail")


def test_only_errors_of_an_unavailable_database_count_as_unavailable(db_url: str) -> None:
    """A refused connection is unavailable (503); a broken statement is a defect (500), on either database."""
    refused = driver_error(f"postgresql+psycopg://@127.0.0.1:{free_port()}/test?connect_timeout=3", "SELECT 1")
    assert bootstrap.database_unavailable(refused)
    missing_table = driver_error(db_url, "SELECT * FROM no_such_table")
    assert not bootstrap.database_unavailable(missing_table)
    syntax = driver_error(db_url, "SELEC 1")
    assert not bootstrap.database_unavailable(syntax)
    assert not bootstrap.database_unavailable(ValueError("not a database error"))
