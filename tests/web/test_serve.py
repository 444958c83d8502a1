"""``mexards serve``: the first start creates the administrator (password from the environment or generated
and printed once), ``--protocol`` starts the trial, and production refuses unsafe settings."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from mexards.cli import serve as serve_module
from mexards.cli.main import app

runner = CliRunner()


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Calls to uvicorn (the server is not started in tests)."""
    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(
        serve_module.uvicorn, "run", lambda app, **kwargs: calls.append({"app": app, **kwargs})
    )
    monkeypatch.delenv("MEXARDS_ADMIN_PASSWORD", raising=False)
    monkeypatch.delenv("MEXARDS_ENVIRONMENT", raising=False)
    return calls


def test_the_first_start_creates_the_administrator_and_prints_a_generated_password_once(
    served: list[dict[str, Any]], tmp_path: Path
) -> None:
    db = str(tmp_path / "trial.sqlite")
    first = runner.invoke(app, ["serve", "--db", db, "--port", "8123", "--protocol", "NCT04602104"])
    assert first.exit_code == 0, first.output
    password = re.search(r"shown once, change it after logging in\): (\S+)", first.output).group(1)  # type: ignore[union-attr]
    assert "started trial NCT04602104" in first.output
    assert served[0]["host"] == "127.0.0.1" and served[0]["port"] == 8123
    second = runner.invoke(app, ["serve", "--db", db, "--protocol", "NCT04602104"])
    assert second.exit_code == 0 and "password" not in second.output and "started trial" not in second.output
    from fastapi.testclient import TestClient

    with TestClient(served[1]["app"]) as client:
        token = client.post("/api/auth/token", json={"user_id": "admin", "password": password})
        assert token.status_code == 200
        trial = client.get("/api/trial", headers={"Authorization": f"Bearer {token.json()['access_token']}"})
        assert trial.json()["protocol_id"] == "NCT04602104"


def test_the_administrator_password_comes_from_the_environment(
    served: list[dict[str, Any]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MEXARDS_ADMIN_PASSWORD", "Chosen-Horse-77!")
    result = runner.invoke(app, ["serve", "--db", str(tmp_path / "t.sqlite")])
    assert result.exit_code == 0 and "created the administrator" in result.output
    assert "Chosen-Horse-77!" not in result.output


def test_production_refuses_the_default_secret(
    served: list[dict[str, Any]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MEXARDS_ENVIRONMENT", "production")
    monkeypatch.setenv("MEXARDS_ADMIN_PASSWORD", "Chosen-Horse-77!")
    result = runner.invoke(app, ["serve", "--db", str(tmp_path / "t.sqlite")])
    assert result.exit_code == 2
    assert "secret_key" in result.output and not served


@pytest.mark.parametrize("threads", ["0", "many"])
def test_a_worker_thread_count_that_is_not_a_positive_number_is_refused_naming_the_setting(
    threads: str, served: list[dict[str, Any]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MEXARDS_WORKER_THREADS", threads)
    result = runner.invoke(app, ["serve", "--db", str(tmp_path / "t.sqlite")])
    assert result.exit_code == 2
    assert "worker_threads" in result.output and not served
