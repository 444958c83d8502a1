"""Shared fixtures: one ``db_url`` parametrized over a real SQLite file and the real PostgreSQL server.

PostgreSQL tests run whenever a server answers on 127.0.0.1:5432 (override with ``MEXARDS_TEST_PG_URL``). If such
a server answers and a PostgreSQL test was nevertheless skipped, the session fails: CI must never pass with the
PostgreSQL half silently missing.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from functools import cache

import pytest

PG_URL = os.environ.get("MEXARDS_TEST_PG_URL", "postgresql+psycopg://@127.0.0.1:5432/test")


@cache
def postgres_answers() -> bool:
    try:
        import psycopg

        dsn = PG_URL.replace("postgresql+psycopg://", "postgresql://")
        with psycopg.connect(dsn, connect_timeout=3):
            return True
    except Exception:
        return False


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A fresh, empty database: a new SQLite file, or a new schema on the PostgreSQL server."""
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("db") / "trial.sqlite"
        yield f"sqlite:///{path}"
        return
    if not postgres_answers():
        pytest.skip("PostgreSQL server not reachable")
    import psycopg

    schema = f"t_{uuid.uuid4().hex[:12]}"
    dsn = PG_URL.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    sep = "&" if "?" in PG_URL else "?"
    yield f"{PG_URL}{sep}options=-csearch_path%3D{schema}"
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


_pg_skipped: list[str] = []


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.skipped and "postgresql" in report.nodeid:
        _pg_skipped.append(report.nodeid)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if _pg_skipped and postgres_answers():
        print(f"\nFAIL: {len(_pg_skipped)} PostgreSQL test(s) skipped although the server answers")
        session.exitstatus = 1
