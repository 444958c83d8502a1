"""PostgreSQL connections from the pool: a connection the server has ended is replaced before use without a
failed request, a live one is used without a round trip first, and a look-up outside a transaction runs alone
in autocommit (no BEGIN/ROLLBACK) while one inside sees the transaction's own changes."""

from __future__ import annotations

import time
from typing import Any

import psycopg
import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from mexards.persistence.engine import make_engine
from mexards.persistence.repository import read_outside_transaction

ONLY_POSTGRES = pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)


def counted_pings(engine: Engine) -> list[int]:
    """Count the engine's pings (the dialect's own ping still runs; only the count is added)."""
    calls: list[int] = []
    ping = engine.dialect.do_ping

    def counting(dbapi_connection: Any) -> bool:
        calls.append(1)
        return ping(dbapi_connection)

    engine.dialect.do_ping = counting  # type: ignore[method-assign]
    return calls


def backend_pid(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(text("SELECT pg_backend_pid()")).scalar_one())


def terminate(pid: int) -> None:
    """End one server process from outside (what a database restart or an administrator does to each)."""
    with psycopg.connect("postgresql://@127.0.0.1:5432/test", autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
        for _ in range(200):
            if admin.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", (pid,)).fetchone() == (0,):
                return
            time.sleep(0.01)
    raise AssertionError(f"backend {pid} did not end")


@ONLY_POSTGRES
def test_a_live_pooled_connection_is_reused_without_a_ping(db_url: str) -> None:
    engine = make_engine(db_url, pool_size=1)
    try:
        pings = counted_pings(engine)
        first = backend_pid(engine)
        assert [backend_pid(engine) for _ in range(5)] == [first] * 5
        assert pings == []
    finally:
        engine.dispose()


@ONLY_POSTGRES
def test_a_pooled_connection_whose_server_process_ended_is_replaced_before_use(db_url: str) -> None:
    engine = make_engine(db_url, pool_size=1)
    try:
        pings = counted_pings(engine)
        first = backend_pid(engine)
        terminate(first)
        second = backend_pid(engine)  # no error: the dead connection never reaches the caller
        assert second != first
        assert len(pings) == 1  # the dead connection had something to read (the server's farewell): pinged once
        assert backend_pid(engine) == second and len(pings) == 1
    finally:
        engine.dispose()


@ONLY_POSTGRES
def test_a_read_outside_a_transaction_runs_in_autocommit_and_one_inside_sees_its_changes(db_url: str) -> None:
    engine = make_engine(db_url, pool_size=2)
    try:
        with engine.begin() as connection:
            connection.execute(text("CREATE TABLE probe (n integer)"))
            connection.execute(text("INSERT INTO probe VALUES (1)"))
        count = text("SELECT count(*), now() = statement_timestamp() FROM probe")
        with Session(engine) as session:
            (rows, alone), = read_outside_transaction(session, count)
            assert rows == 1 and alone  # outside a transaction block now() is the statement's own time
            assert not session.in_transaction()  # nothing begun, nothing to roll back
            session.execute(text("INSERT INTO probe VALUES (2)"))
            time.sleep(0.01)
            (rows, alone), = read_outside_transaction(session, count)
            assert rows == 2 and not alone  # in the session's transaction: its own insert is seen
            session.rollback()
        with Session(engine) as session:
            assert read_outside_transaction(session, text("SELECT count(*) FROM probe"))[0][0] == 1
    finally:
        engine.dispose()
