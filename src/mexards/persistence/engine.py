"""Engine factory: SQLite (WAL, foreign keys, one writer at a time) or PostgreSQL from one URL."""

from __future__ import annotations

import select
from typing import Any

from sqlalchemy import Engine, create_engine, event, exc


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine for ``url``.

    SQLite gets WAL journaling, ``synchronous=FULL`` (an acknowledged commit survives a crash), foreign keys, a
    busy timeout, and ``BEGIN IMMEDIATE`` for every transaction so that concurrent writers queue instead of
    failing on lock upgrade.
    PostgreSQL connections are checked before use (:func:`_check_alive`), and a connection attempt gives up after
    ``connect_timeout`` seconds (a host that drops packets would otherwise hold a request for minutes).
    """
    if is_sqlite(url):
        engine = create_engine(
            url, connect_args={"timeout": 60, "check_same_thread": False}, hide_parameters=True, **kwargs
        )

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=FULL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=60000")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _on_begin(connection: Any) -> None:
            connection.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    connect_args = {"connect_timeout": 10, **kwargs.pop("connect_args", {})}
    engine = create_engine(url, hide_parameters=True, connect_args=connect_args, **kwargs)

    @event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
        _check_alive(engine, dbapi_connection)

    return engine


def _check_alive(engine: Engine, dbapi_connection: Any) -> None:
    """Refuse a pooled PostgreSQL connection that the server has closed (the pool then opens a new one).

    An idle connection receives nothing unless the server ended it (its backend terminated, the server shut
    down or crashed: a FATAL message, then the end of the stream) or, rarely, reports a setting. So the socket is
    polled without waiting, and only a connection with something to read is pinged: a round trip for the
    connections that need one instead of for every check-out (two per request before)."""
    if dbapi_connection.closed or dbapi_connection.broken:
        raise exc.DisconnectionError("the connection is closed")
    poller = select.poll()  # not select.select: a server process may hold descriptors above its 1024 limit
    poller.register(dbapi_connection.fileno(), select.POLLIN)
    if not poller.poll(0):
        return
    try:
        engine.dialect.do_ping(dbapi_connection)
    except Exception as error:
        raise exc.DisconnectionError("the database server closed the connection") from error
