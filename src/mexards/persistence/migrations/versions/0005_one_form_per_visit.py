"""One CRF record per participant, form and visit, enforced by the database: two first saves of the same form
at the same visit (two browser tabs, two coordinators) cannot both be stored, and the record is found by its
natural key through the constraint's index.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    duplicates = op.get_bind().execute(
        sa.text(
            "SELECT participant_id, form_id, visit_code, COUNT(*) FROM crf_record"
            " GROUP BY participant_id, form_id, visit_code HAVING COUNT(*) > 1"
        )
    ).fetchall()
    if duplicates:
        shown = "; ".join(f"{p} {f} at {v} ({n} records)" for p, f, v, n in duplicates[:10])
        raise RuntimeError(
            f"crf_record: a participant has more than one record of the same form at the same visit ({shown});"
            " resolve them (keep one, audited) before upgrading"
        )
    with op.batch_alter_table("crf_record") as batch_op:
        batch_op.create_unique_constraint(
            op.f("uq_crf_record_participant_id"), ["participant_id", "form_id", "visit_code"]
        )


def downgrade() -> None:
    with op.batch_alter_table("crf_record") as batch_op:
        batch_op.drop_constraint(op.f("uq_crf_record_participant_id"), type_="unique")
