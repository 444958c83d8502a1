"""PostgreSQL connections from the pool: a connection the server has ended is replaced before use without a
failed request, a live one is used without a round trip first, and a look-up outside a transaction runs alone
in autocommit (no BEGIN/ROLLBACK) while one inside sees the transaction's own changes (the session look-up of
every request, on both databases)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest
from sqlalchemy import Engine, text

from mexards.domain.identifier import SiteId, UserId
from mexards.domain.role import Role
from mexards.persistence.account import account_unit_of_work_factory
from mexards.persistence.database import Database
from mexards.persistence.engine import make_engine
from mexards.persistence.repository import read_outside_transaction
from mexards.services.account import AuthSession, SessionKind, User

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


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """An engine on the test database whose pool keeps one connection."""
    made = make_engine(db_url, pool_size=1)
    yield made
    made.dispose()


@ONLY_POSTGRES
def test_a_live_pooled_connection_is_reused_without_a_ping(engine: Engine) -> None:
    pings = counted_pings(engine)
    first = backend_pid(engine)
    assert [backend_pid(engine) for _ in range(5)] == [first] * 5
    assert pings == []


@ONLY_POSTGRES
def test_a_pooled_connection_whose_server_process_ended_is_replaced_before_use(engine: Engine) -> None:
    pings = counted_pings(engine)
    first = backend_pid(engine)
    terminate(first)
    second = backend_pid(engine)  # no error: the dead connection never reaches the caller
    assert second != first
    assert len(pings) == 1  # the dead connection had something to read (the server's farewell): pinged once
    assert backend_pid(engine) == second and len(pings) == 1


@ONLY_POSTGRES
def test_a_read_outside_a_transaction_runs_alone_in_autocommit(engine: Engine) -> None:
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE probe (n integer)"))
        connection.execute(text("INSERT INTO probe VALUES (1)"))
    probe = text("SELECT count(*), now() = statement_timestamp() FROM probe")
    ((rows, alone),) = read_outside_transaction(engine, probe)
    assert rows == 1 and alone  # outside a transaction block now() is the statement's own time
    with engine.connect() as connection:  # the pooled connection went back to transactions
        connection.execute(text("SELECT 1"))
        assert connection.exec_driver_sql("SELECT now() = statement_timestamp()").scalar_one() is False


def test_the_session_look_up_opens_no_session_unless_its_unit_of_work_has_begun_one(db_url: str) -> None:
    """Every authenticated request reads its session: alone (no ORM session, no transaction) when nothing has
    begun, and inside the unit of work's transaction when something has, where it sees what was not committed."""
    database = Database(db_url)
    database.create_schema()
    try:
        now = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
        user = User(UserId("coord9"), "Coordinator", Role.COORDINATOR, frozenset({SiteId("S01")}), now)
        session = AuthSession("a" * 64, user.user_id, SessionKind.API, "csrf", now, now + timedelta(hours=1), now)
        with account_unit_of_work_factory(database)() as uow:
            uow.users.add(user)
            uow.sessions.add(session)
            assert uow.in_transaction()
            found = uow.sessions.find_with_user(session.token_sha256)  # not committed: seen inside only
            assert found is not None and found[1].user_id == user.user_id
            uow.commit()
        with account_unit_of_work_factory(database)() as uow:
            found = uow.sessions.find_with_user(session.token_sha256)
            assert found is not None and found[0].kind is SessionKind.API and found[1].role is Role.COORDINATOR
            assert uow.sessions.find_with_user("b" * 64) is None
            on_postgresql = db_url.startswith("postgresql")
            assert uow.in_transaction() is not on_postgresql  # SQLite reads in a transaction
            assert (uow._session is None) is on_postgresql
    finally:
        database.dispose()
