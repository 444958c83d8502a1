"""PostgreSQL chains audit entries as the transaction commits, inside the server: a transaction hands its entries
to ``audit_pending`` and a deferred trigger moves them into ``audit_log`` with their sequence number and hash.
The chain's lock is then held only while the database commits, not across the application's round trips,
which made every writer wait for the one appending (the throughput ceiling of concurrent CRF saves).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from mexards.persistence.audit import CHAIN_AT_COMMIT_SQL

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_pending",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("recorded_at", sa.String(length=40), nullable=False),
        sa.Column("actor_id", sa.String(length=64), nullable=False),
        sa.Column("actor_role", sa.String(length=40), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("entity", sa.String(length=64), nullable=False),
        sa.Column("entity_id", sa.String(length=700), nullable=False),
        sa.Column("changes", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("software_version", sa.String(length=40), nullable=False),
        sa.Column("hash_head", sa.Text(), nullable=False),
        sa.Column("hash_middle", sa.Text(), nullable=False),
        sa.Column("hash_tail", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_pending")),
    )
    for statement in CHAIN_AT_COMMIT_SQL.get(op.get_bind().dialect.name, []):
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS mexards_audit_chain() CASCADE")
    op.drop_table("audit_pending")
