"""Engine factory: SQLite (WAL, foreign keys, one writer at a time) or PostgreSQL from one URL."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, create_engine, event


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine for ``url``.

    SQLite gets WAL journaling, ``synchronous=FULL`` (an acknowledged commit survives a crash), foreign keys, a
    busy timeout, and ``BEGIN IMMEDIATE`` for every transaction so that concurrent writers queue instead of
    failing on lock upgrade. PostgreSQL connections are checked before use, and a connection attempt gives up
    after ``connect_timeout`` seconds (a host that drops packets would otherwise hold a request for minutes).
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
    return create_engine(url, pool_pre_ping=True, hide_parameters=True, connect_args=connect_args, **kwargs)
