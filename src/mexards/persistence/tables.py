"""Imports every row module so that ``Base.metadata`` knows all tables (for migrations and verification)."""

from mexards.persistence import audit  # noqa: F401
