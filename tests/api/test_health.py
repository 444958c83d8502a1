"""``GET /api/health`` is cheap (no slot of the sealed list read; a few small queries), and re-verifies the
sealed list only when the stored seal is one this process has not verified."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine, event

from mexards.services.allocation import VERIFIED_LISTS
from tests.api.conftest import Session


def selects(action: Callable[[], Any]) -> list[str]:
    """The SELECT statements any engine runs while ``action`` runs."""
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            seen.append(" ".join(statement.split()))

    event.listen(Engine, "before_cursor_execute", record)
    try:
        action()
    finally:
        event.remove(Engine, "before_cursor_execute", record)
    return seen


def database_path(session: Session) -> str:
    return session.container.settings.database_url.removeprefix("sqlite:///")


def test_the_health_check_reads_no_slot_and_runs_two_small_queries(fresh: Session) -> None:
    assert fresh.client.get("/api/health").json()["allocation_list"] == "verified"
    for _ in range(3):
        statements = selects(lambda: fresh.client.get("/api/health"))
        assert not [s for s in statements if "allocation_slot" in s], statements
        assert len(statements) == 2, statements  # the migration revision; the list's id and seal


def test_a_new_seal_in_the_header_is_verified_again_and_the_old_one_is_remembered(fresh: Session) -> None:
    with sqlite3.connect(database_path(fresh)) as db:
        (sealed,) = db.execute("SELECT sha256 FROM allocation_list").fetchone()
        db.execute("UPDATE allocation_list SET sha256 = ?", ("0" * 64,))
    reply = fresh.client.get("/api/health")
    assert reply.status_code == 200
    assert reply.json()["status"] == "degraded" and reply.json()["allocation_list"] == "seal broken"
    again = selects(lambda: fresh.client.get("/api/health"))
    assert not [s for s in again if "allocation_slot" in s]  # a broken seal is remembered, not re-read
    with sqlite3.connect(database_path(fresh)) as db:
        db.execute("UPDATE allocation_list SET sha256 = ?", (sealed,))
    restored = selects(lambda: fresh.client.get("/api/health"))
    assert not [s for s in restored if "allocation_slot" in s]  # verified before: no re-read
    assert fresh.client.get("/api/health").json()["allocation_list"] == "verified"


def test_a_process_that_has_not_verified_the_list_does_it_once(fresh: Session) -> None:
    VERIFIED_LISTS.clear()  # as a worker that has forgotten it, or another list id
    first = selects(lambda: fresh.client.get("/api/health"))
    assert [s for s in first if "allocation_slot" in s]
    second = selects(lambda: fresh.client.get("/api/health"))
    assert not [s for s in second if "allocation_slot" in s]
    assert fresh.client.get("/api/health").json()["allocation_list"] == "verified"
