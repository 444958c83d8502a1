"""Alembic environment: migrations run on the connection handed in by ``mexards.persistence.migration``."""

from __future__ import annotations

from alembic import context

from mexards.persistence import tables  # noqa: F401  (registers every table on the metadata)
from mexards.persistence.rows import Base

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True, compare_type=True)
with context.begin_transaction():
    context.run_migrations()
