"""Migrations build the same schema as the row classes, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from mexards.persistence.engine import make_engine
from mexards.persistence.migration import current_revision, head_revision, schema_differences, upgrade


def test_upgrade_to_head_leaves_no_difference_from_the_row_classes(db_url: str) -> None:
    engine = make_engine(db_url)
    upgrade(engine)
    assert current_revision(engine) == head_revision()
    assert schema_differences(engine) == []
    upgrade(engine)  # idempotent
    assert current_revision(engine) == head_revision()
    engine.dispose()


def test_the_migrated_audit_table_is_append_only(db_url: str) -> None:
    engine = make_engine(db_url)
    upgrade(engine)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO audit_log (seq, recorded_at, actor_id, actor_role, action, entity, entity_id, changes,"
                " software_version, prev_hash, row_hash) VALUES (1, 't', 'a', 'r', 'event', 'e', '1', '{}', 'v',"
                " 'p', 'h')"
            )
        )
    with pytest.raises(DBAPIError), engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_log"))
    engine.dispose()


def test_a_database_server_connection_attempt_has_a_time_limit(db_url: str) -> None:
    """A database host that drops packets must not hold a request until the operating system gives up."""
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            if conn.dialect.name != "postgresql":
                pytest.skip("SQLite opens a local file")
            assert conn.connection.driver_connection.info.get_parameters()["connect_timeout"] == "10"
    finally:
        engine.dispose()
