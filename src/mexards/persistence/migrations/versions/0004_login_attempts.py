"""Login attempts: the login throttle's recent attempts, shared by every worker process on the database (not
audited; subjects stored as keyed digests).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "login_attempt",
        sa.Column("attempt_id", sa.String(length=32), nullable=False),
        sa.Column("subject", sa.String(length=64), nullable=False),
        sa.Column("attempted_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("attempt_id", name=op.f("pk_login_attempt")),
    )
    op.create_index(op.f("ix_login_attempt_attempted_at"), "login_attempt", ["attempted_at"])
    op.create_index("ix_login_attempt_subject_attempted_at", "login_attempt", ["subject", "attempted_at"])


def downgrade() -> None:
    op.drop_index("ix_login_attempt_subject_attempted_at", table_name="login_attempt")
    op.drop_index(op.f("ix_login_attempt_attempted_at"), table_name="login_attempt")
    op.drop_table("login_attempt")
