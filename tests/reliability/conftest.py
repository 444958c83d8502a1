"""Fixtures of the reliability suite: a second, empty database of the same kind as ``db_url``, and the API on
a copy of the trial that the API tests build."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.api.conftest import Session, built_trial, open_session  # noqa: F401  (fixture re-exported)
from tests.api.scenario import Trial
from tests.conftest import PG_URL

ADMIN_DSN = PG_URL.replace("postgresql+psycopg://", "postgresql://")


@pytest.fixture
def empty_database_url(db_url: str, tmp_path: Path) -> Iterator[Callable[[], str]]:
    """A factory of further empty databases next to ``db_url``: new SQLite files, or new PostgreSQL schemas
    (dropped at the end)."""
    schemas: list[str] = []

    def make() -> str:
        if db_url.startswith("sqlite"):
            return f"sqlite:///{tmp_path / f'other-{uuid.uuid4().hex[:8]}.sqlite'}"
        import psycopg

        schema = f"t_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(ADMIN_DSN, autocommit=True) as conn:
            conn.execute(f'CREATE SCHEMA "{schema}"')
        schemas.append(schema)
        sep = "&" if "?" in PG_URL else "?"
        return f"{PG_URL}{sep}options=-csearch_path%3D{schema}"

    yield make
    if schemas:
        import psycopg

        with psycopg.connect(ADMIN_DSN, autocommit=True) as conn:
            for schema in schemas:
                conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@pytest.fixture(scope="module")
def api(
    built_trial: tuple[Path, Trial],  # noqa: F811
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Session]:
    """The API on a copy of the trial the API tests build through the use cases, one copy per module."""
    yield from open_session(built_trial, tmp_path_factory.mktemp("hostile") / "trial.sqlite")


@pytest.fixture
def fresh_api(
    built_trial: tuple[Path, Trial],  # noqa: F811
    tmp_path: Path,
) -> Iterator[Session]:
    """The API on a copy of the trial of its own (for tests that may lock the trial or log users out)."""
    yield from open_session(built_trial, tmp_path / "trial.sqlite")
