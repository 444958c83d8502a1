"""Fixtures of the web tests: the built trial (shared with the API tests) and browser-like clients that log in
through the login form and send the session's CSRF token with each POST."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import Session, built_trial, open_session  # noqa: F401  (fixture re-exported)
from tests.api.scenario import PASSWORD, Trial

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


class Browser:
    """One logged-in user's cookie session on the application."""

    def __init__(self, client: TestClient, user_id: str) -> None:
        self.client, self.user_id = client, user_id
        page = client.get("/login")
        token = CSRF.search(page.text).group(1)  # type: ignore[union-attr]
        reply = client.post(
            "/login",
            data={"user_id": user_id, "password": PASSWORD, "csrf_token": token, "next": "/"},
            follow_redirects=False,
        )
        assert reply.status_code == 303, reply.text
        self.csrf = CSRF.search(client.get("/").text).group(1)  # type: ignore[union-attr]

    def get(self, url: str, **kwargs: object):  # type: ignore[no-untyped-def]
        return self.client.get(url, **kwargs)  # type: ignore[arg-type]

    def post(self, url: str, data: dict[str, object] | None = None, **kwargs: object):  # type: ignore[no-untyped-def]
        return self.client.post(
            url, data={**(data or {}), "csrf_token": self.csrf}, follow_redirects=False, **kwargs
        )  # type: ignore[arg-type]


class Site:
    """Fresh test clients (one per user, each with its own cookie jar) on one copy of the trial."""

    def __init__(self, session: Session) -> None:
        self.session, self.trial = session, session.trial
        self._browsers: dict[str, Browser] = {}

    def browser(self, user_id: str) -> Browser:
        if user_id not in self._browsers:
            client = TestClient(self.session.client.app)
            self._browsers[user_id] = Browser(client, user_id)
        return self._browsers[user_id]


@pytest.fixture(scope="module")
def site(built_trial: tuple[Path, Trial], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:  # noqa: F811
    for session in open_session(built_trial, tmp_path_factory.mktemp("web") / "trial.sqlite"):
        yield Site(session)


@pytest.fixture
def fresh_site(built_trial: tuple[Path, Trial], tmp_path: Path) -> Iterator[Site]:  # noqa: F811
    for session in open_session(built_trial, tmp_path / "trial.sqlite"):
        yield Site(session)
