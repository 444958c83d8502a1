"""Imports every row module so that ``Base.metadata`` knows all tables (for migrations and verification)."""

from mexards.persistence import (  # noqa: F401
    account,
    administration,
    adverse_event,
    allocation,
    audit,
    cohort,
    mtd,
    participant,
    query,
    trial,
    unblinding,
    visit,
)
