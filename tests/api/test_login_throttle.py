"""The login throttle counts in the database, so that every worker process (here: two application instances
on one database) shares one count: 20 attempts per client address, and per user id, in any 60 seconds.

Real SQLite files and the real PostgreSQL server (``db_url``).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from mexards import bootstrap
from mexards.api.app import build_container, create_app
from mexards.api.errors import TooManyRequestsError
from mexards.api.throttle import ATTEMPTS, WINDOW_SECONDS, LoginThrottle
from mexards.config import Settings
from mexards.persistence.database import Database
from tests.api.scenario import ScenarioClock, fast_hasher

WRONG = {"user_id": "nobody", "password": "Wrong-Horse-00!"}


def test_the_policy_is_twenty_attempts_a_minute() -> None:
    assert (ATTEMPTS, WINDOW_SECONDS) == (20, 60.0)
    throttle = LoginThrottle()
    assert (throttle.attempts, throttle.window_seconds) == (20, 60.0)


@pytest.fixture
def two_apps(db_url: str) -> Iterator[tuple[TestClient, TestClient, ScenarioClock]]:
    """Two application instances (as two worker processes) on one database, with one live clock."""
    clock = ScenarioClock(datetime.now(UTC))
    clock.go_live()
    settings = Settings(environment="test", database_url=db_url)
    first = build_container(settings, clock=clock, hasher=fast_hasher())
    second = build_container(settings, clock=clock, hasher=fast_hasher())
    with TestClient(create_app(container=first)) as a, TestClient(create_app(container=second)) as b:
        yield a, b, clock


def test_two_application_instances_share_one_count(two_apps: tuple[TestClient, TestClient, ScenarioClock]) -> None:
    a, b, clock = two_apps
    statuses = [(a if n % 2 else b).post("/api/auth/token", json=WRONG).status_code for n in range(ATTEMPTS)]
    assert statuses == [401] * ATTEMPTS
    for client in (a, b):
        refused = client.post("/api/auth/token", json=WRONG)
        assert refused.status_code == 429
        assert 1 <= int(refused.headers["retry-after"]) <= WINDOW_SECONDS
        assert refused.headers["content-type"].startswith("application/problem+json")
    clock.advance(seconds=3 * WINDOW_SECONDS)  # the live clock runs from the fixture's start
    assert b.post("/api/auth/token", json=WRONG).status_code == 401


def attempt_log(url: str) -> tuple[Database, LoginThrottle]:
    database = bootstrap.open_database(url)
    return database, LoginThrottle(log=bootstrap.login_attempt_log(database, "a secret key"))


@pytest.fixture
def two_throttles(db_url: str) -> Iterator[tuple[LoginThrottle, LoginThrottle, Database]]:
    first_db, first = attempt_log(db_url)
    second_db, second = attempt_log(db_url)
    yield first, second, first_db
    first_db.dispose()
    second_db.dispose()


def test_one_user_id_tried_from_many_addresses_is_throttled_across_instances(
    two_throttles: tuple[LoginThrottle, LoginThrottle, Database],
) -> None:
    first, second, _ = two_throttles
    for n in range(ATTEMPTS):
        (first if n % 2 else second).check(f"10.0.0.{n}", "mon1")
    with pytest.raises(TooManyRequestsError) as refused:
        first.check("10.0.1.1", "MON1 ")  # user ids are counted as typed, ignoring case and spaces
    assert 1 <= refused.value.retry_after_seconds <= WINDOW_SECONDS
    second.check("10.0.1.1", "stat1")  # another user from a new address is not held back


def test_the_table_holds_digests_not_addresses_or_user_ids(
    two_throttles: tuple[LoginThrottle, LoginThrottle, Database],
) -> None:
    first, _, database = two_throttles
    first.check("192.0.2.7", "Correct-Horse-Battery")  # a password typed into the user id field
    with database.engine.connect() as conn:
        subjects = [row[0] for row in conn.execute(text("SELECT subject FROM login_attempt"))]
    assert len(subjects) == 2 and all(re.fullmatch(r"[0-9a-f]{64}", s) for s in subjects)
    assert not [s for s in subjects if "192.0.2.7" in s or "Horse" in s]


def test_old_attempts_stop_counting_and_are_deleted(
    two_throttles: tuple[LoginThrottle, LoginThrottle, Database],
) -> None:
    first, second, database = two_throttles
    start = datetime.now(UTC)
    window = timedelta(seconds=WINDOW_SECONDS)
    for n in range(ATTEMPTS):
        assert first.log.attempt(["client:a"], start + timedelta(seconds=n), window, ATTEMPTS) is None
    assert second.log.attempt(["client:a"], start + timedelta(seconds=30), window, ATTEMPTS) == start
    assert second.log.attempt(["client:a"], start + window + timedelta(seconds=1), window, ATTEMPTS) is None
    second.log.attempt(["client:b"], start + 4 * window, window, ATTEMPTS)
    with database.engine.connect() as conn:
        left = conn.execute(text("SELECT count(*) FROM login_attempt")).scalar_one()
    assert left == 1  # only the attempt of client b is within twice the window


def test_concurrent_attempts_on_two_instances_never_pass_the_limit(
    two_throttles: tuple[LoginThrottle, LoginThrottle, Database],
) -> None:
    first, second, _ = two_throttles
    passed: list[int] = []
    refused: list[int] = []
    lock = threading.Lock()

    def attempts(throttle: LoginThrottle) -> None:
        for _ in range(5):
            try:
                throttle.check("203.0.113.9")
            except TooManyRequestsError:
                with lock:
                    refused.append(1)
            else:
                with lock:
                    passed.append(1)

    threads = [threading.Thread(target=attempts, args=(t,)) for t in (first, second) * 4]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert len(passed) == ATTEMPTS and len(refused) == 8 * 5 - ATTEMPTS
