"""Fixtures of the API tests: the trial built once per session, a fresh copy per test module (or test), and a
client that logs in as any user of the scenario."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

warnings.filterwarnings("ignore", message=".*httpx.*", category=DeprecationWarning)
from fastapi.testclient import TestClient  # noqa: E402

from mexards.api.container import Container  # noqa: E402
from tests.api.scenario import PASSWORD, Trial, app_for, build_trial, copy_database  # noqa: E402


@pytest.fixture(scope="session")
def built_trial(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Trial]:
    path = tmp_path_factory.mktemp("trial") / "built.sqlite"
    return path, build_trial(path)


class Session:
    """A test client on a copy of the built trial, with one bearer token per user (logged in on demand)."""

    def __init__(self, client: TestClient, container: Container, trial: Trial) -> None:
        self.client, self.container, self.trial = client, container, trial
        self._tokens: dict[str, str] = {}

    def token(self, user_id: str) -> str:
        if user_id not in self._tokens:
            reply = self.client.post("/api/auth/token", json={"user_id": user_id, "password": PASSWORD})
            assert reply.status_code == 200, reply.text
            self._tokens[user_id] = reply.json()["access_token"]
        return self._tokens[user_id]

    def headers(self, user_id: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(user_id)}"}

    def get(self, user_id: str, url: str, **kwargs: object):  # type: ignore[no-untyped-def]
        return self.client.get(url, headers=self.headers(user_id), **kwargs)  # type: ignore[arg-type]

    def post(self, user_id: str, url: str, body: object = None, **kwargs: object):  # type: ignore[no-untyped-def]
        return self.client.post(url, json=body, headers=self.headers(user_id), **kwargs)  # type: ignore[arg-type]

    def call(self, user_id: str, method: str, url: str, body: object = None):  # type: ignore[no-untyped-def]
        return self.client.request(method, url, json=body, headers=self.headers(user_id))


def open_session(built: tuple[Path, Trial], target: Path) -> Iterator[Session]:
    source, trial = built
    copy_database(source, target)
    app, container = app_for(target)
    with TestClient(app) as client:
        yield Session(client, container, trial)


@pytest.fixture(scope="module")
def shared(built_trial: tuple[Path, Trial], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Session]:
    """One copy of the trial for a whole module (tests that only read, or whose writes do not interfere)."""
    yield from open_session(built_trial, tmp_path_factory.mktemp("shared") / "trial.sqlite")


@pytest.fixture
def fresh(built_trial: tuple[Path, Trial], tmp_path: Path) -> Iterator[Session]:
    """A copy of the trial for one test."""
    yield from open_session(built_trial, tmp_path / "trial.sqlite")
