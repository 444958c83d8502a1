"""Trial operations: trial, participants and screening log, Phase 1 cohorts, dose decisions, DLT
adjudications, MTD declarations and signatures, the sealed allocation list with its slots and slot uses,
visits, CRF records, administrations, adverse events, data queries, unblindings and notifications.

Also widens ``audit_log.entity_id`` to hold composite keys (list, stratum, sequence number). On SQLite the
audit table is rebuilt for that, so its append-only triggers are installed again afterwards.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from mexards.persistence.audit import IMMUTABLE_AUDIT_SQL

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "allocation_list",
        sa.Column("list_id", sa.String(length=64), nullable=False),
        sa.Column("protocol_id", sa.String(length=100), nullable=False),
        sa.Column("protocol_version", sa.String(length=40), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("seed_entropy", sa.String(length=80), nullable=False),
        sa.Column("scheme", sa.Text(), nullable=False),
        sa.Column("factors", sa.Text(), nullable=False),
        sa.Column("generated_by", sa.String(length=64), nullable=False),
        sa.Column("generated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("list_id", name=op.f("pk_allocation_list")),
    )
    op.create_table(
        "cohort",
        sa.Column("cohort_number", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("dose_level_index", sa.Integer(), nullable=False),
        sa.Column("dose_particles", sa.BigInteger(), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=True),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("dlt_window_ends_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("evaluable_participants", sa.Integer(), nullable=True),
        sa.Column("dlt_participants", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("cohort_number", name=op.f("pk_cohort")),
    )
    op.create_table(
        "mtd_declaration",
        sa.Column("declaration_id", sa.String(length=64), nullable=False),
        sa.Column("protocol_id", sa.String(length=100), nullable=False),
        sa.Column("protocol_version", sa.String(length=40), nullable=False),
        sa.Column("mtd_index", sa.Integer(), nullable=True),
        sa.Column("mtd_dose_particles", sa.BigInteger(), nullable=True),
        sa.Column("design", sa.String(length=200), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=False),
        sa.Column("rationale", sa.Text(), nullable=False),
        sa.Column("declared_by", sa.String(length=64), nullable=False),
        sa.Column("declared_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("declaration_id", name=op.f("pk_mtd_declaration")),
    )
    op.create_table(
        "participant",
        sa.Column("participant_id", sa.String(length=64), nullable=False),
        sa.Column("site_id", sa.String(length=64), nullable=False),
        sa.Column("screened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state", sa.String(length=30), nullable=False),
        sa.Column("state_changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("screen_failure_reasons", sa.Text(), nullable=False),
        sa.Column("consent_signed_by", sa.String(length=40), nullable=True),
        sa.Column("consent_version", sa.String(length=40), nullable=True),
        sa.Column("consented_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("consent_representative_relationship", sa.String(length=100), nullable=True),
        sa.Column("enrolled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cohort_number", sa.Integer(), nullable=True),
        sa.Column("dose_level_index", sa.Integer(), nullable=True),
        sa.Column("dose_level_particles", sa.BigInteger(), nullable=True),
        sa.Column("randomization_stratum", sa.String(length=500), nullable=True),
        sa.Column("randomization_sequence_number", sa.Integer(), nullable=True),
        sa.Column("randomization_kit_code", sa.String(length=40), nullable=True),
        sa.Column("randomized_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("dosed_days", sa.Text(), nullable=False),
        sa.Column("first_dose_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("end_reason", sa.Text(), nullable=True),
        sa.Column("died_on", sa.Date(), nullable=True),
        sa.Column("unblinded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("dosing_days", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("participant_id", name=op.f("pk_participant")),
        sa.UniqueConstraint("randomization_kit_code", name=op.f("uq_participant_randomization_kit_code")),
    )
    with op.batch_alter_table("participant", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_participant_site_id"), ["site_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_participant_state"), ["state"], unique=False)

    op.create_table(
        "trial",
        sa.Column("protocol_id", sa.String(length=100), nullable=False),
        sa.Column("protocol_version", sa.String(length=40), nullable=False),
        sa.Column("phase", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=40), nullable=False),
        sa.Column("lock_state", sa.String(length=20), nullable=False),
        sa.Column("mtd_dose_particles", sa.BigInteger(), nullable=True),
        sa.Column("mtd_declaration_id", sa.String(length=64), nullable=True),
        sa.Column("status_changed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("locked_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("protocol_id", name=op.f("pk_trial")),
    )
    op.create_table(
        "administration",
        sa.Column("administration_id", sa.String(length=64), nullable=False),
        sa.Column("participant_id", sa.String(length=64), nullable=False),
        sa.Column("study_day", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("dose_particles", sa.BigInteger(), nullable=True),
        sa.Column("kit_code", sa.String(length=40), nullable=True),
        sa.Column("volume_ml", sa.String(length=40), nullable=True),
        sa.Column("device", sa.String(length=100), nullable=True),
        sa.Column("spo2_pre_percent", sa.Integer(), nullable=True),
        sa.Column("spo2_post_percent", sa.Integer(), nullable=True),
        sa.Column("tolerance", sa.String(length=40), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("deviation", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participant.participant_id"],
            name=op.f("fk_administration_participant_id_participant"),
        ),
        sa.PrimaryKeyConstraint("administration_id", name=op.f("pk_administration")),
        sa.UniqueConstraint("participant_id", "study_day", name=op.f("uq_administration_participant_id")),
    )
    with op.batch_alter_table("administration", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_administration_participant_id"), ["participant_id"], unique=False)

    op.create_table(
        "adverse_event",
        sa.Column("adverse_event_id", sa.String(length=64), nullable=False),
        sa.Column("participant_id", sa.String(length=64), nullable=False),
        sa.Column("term", sa.String(length=200), nullable=False),
        sa.Column("ctcae_grade", sa.Integer(), nullable=False),
        sa.Column("onset_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("investigator_aware_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("relatedness", sa.String(length=20), nullable=False),
        sa.Column("expectedness", sa.String(length=20), nullable=False),
        sa.Column("seriousness", sa.Text(), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sponsor_received_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sponsor_reported_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("regulatory_reported_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["participant_id"], ["participant.participant_id"], name=op.f("fk_adverse_event_participant_id_participant")
        ),
        sa.PrimaryKeyConstraint("adverse_event_id", name=op.f("pk_adverse_event")),
    )
    with op.batch_alter_table("adverse_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_adverse_event_participant_id"), ["participant_id"], unique=False)

    op.create_table(
        "allocation_slot",
        sa.Column("list_id", sa.String(length=64), nullable=False),
        sa.Column("stratum", sa.String(length=500), nullable=False),
        sa.Column("sequence_number", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("block_number", sa.Integer(), nullable=False),
        sa.Column("block_size", sa.Integer(), nullable=False),
        sa.Column("arm_code", sa.String(length=20), nullable=False),
        sa.Column("kit_code", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["list_id"], ["allocation_list.list_id"], name=op.f("fk_allocation_slot_list_id_allocation_list")
        ),
        sa.PrimaryKeyConstraint("list_id", "stratum", "sequence_number", name=op.f("pk_allocation_slot")),
        sa.UniqueConstraint("kit_code", name=op.f("uq_allocation_slot_kit_code")),
    )
    op.create_table(
        "cohort_member",
        sa.Column("cohort_number", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("participant_id", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["cohort_number"], ["cohort.cohort_number"], name=op.f("fk_cohort_member_cohort_number_cohort")
        ),
        sa.ForeignKeyConstraint(
            ["participant_id"], ["participant.participant_id"], name=op.f("fk_cohort_member_participant_id_participant")
        ),
        sa.PrimaryKeyConstraint("cohort_number", "position", name=op.f("pk_cohort_member")),
        sa.UniqueConstraint("participant_id", name=op.f("uq_cohort_member_participant_id")),
    )
    op.create_table(
        "crf_record",
        sa.Column("record_id", sa.String(length=64), nullable=False),
        sa.Column("participant_id", sa.String(length=64), nullable=False),
        sa.Column("form_id", sa.String(length=64), nullable=False),
        sa.Column("form_version", sa.String(length=40), nullable=False),
        sa.Column("visit_code", sa.String(length=64), nullable=False),
        sa.Column("values", sa.Text(), nullable=False),
        sa.Column("units", sa.Text(), nullable=False),
        sa.Column("derived", sa.Text(), nullable=False),
        sa.Column("entered_by", sa.String(length=64), nullable=False),
        sa.Column("entered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("changed_by", sa.String(length=64), nullable=True),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("change_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["participant_id"], ["participant.participant_id"], name=op.f("fk_crf_record_participant_id_participant")
        ),
        sa.PrimaryKeyConstraint("record_id", name=op.f("pk_crf_record")),
    )
    with op.batch_alter_table("crf_record", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_crf_record_participant_id"), ["participant_id"], unique=False)

    op.create_table(
        "data_query",
        sa.Column("query_id", sa.String(length=64), nullable=False),
        sa.Column("participant_id", sa.String(length=64), nullable=False),
        sa.Column("site_id", sa.String(length=64), nullable=False),
        sa.Column("field_path", sa.String(length=200), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("raised_by", sa.String(length=64), nullable=False),
        sa.Column("raised_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("state_changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["participant_id"], ["participant.participant_id"], name=op.f("fk_data_query_participant_id_participant")
        ),
        sa.PrimaryKeyConstraint("query_id", name=op.f("pk_data_query")),
    )
    with op.batch_alter_table("data_query", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_data_query_participant_id"), ["participant_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_data_query_site_id"), ["site_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_data_query_state"), ["state"], unique=False)

    op.create_table(
        "dlt_adjudication",
        sa.Column("adjudication_id", sa.String(length=64), nullable=False),
        sa.Column("participant_id", sa.String(length=64), nullable=False),
        sa.Column("cohort_number", sa.Integer(), nullable=False),
        sa.Column("proposed_is_dlt", sa.Boolean(), nullable=False),
        sa.Column("rule", sa.Text(), nullable=False),
        sa.Column("proposed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("adverse_event_ids", sa.Text(), nullable=False),
        sa.Column("is_dlt", sa.Boolean(), nullable=True),
        sa.Column("evaluable", sa.Boolean(), nullable=True),
        sa.Column("confirmed_by", sa.String(length=64), nullable=True),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("override_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participant.participant_id"],
            name=op.f("fk_dlt_adjudication_participant_id_participant"),
        ),
        sa.PrimaryKeyConstraint("adjudication_id", name=op.f("pk_dlt_adjudication")),
    )
    with op.batch_alter_table("dlt_adjudication", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_dlt_adjudication_cohort_number"), ["cohort_number"], unique=False)
        batch_op.create_index(batch_op.f("ix_dlt_adjudication_participant_id"), ["participant_id"], unique=False)

    op.create_table(
        "dose_decision",
        sa.Column("cohort_number", sa.Integer(), nullable=False),
        sa.Column("dose_level_index", sa.Integer(), nullable=False),
        sa.Column("recommended_dose_index", sa.Integer(), nullable=True),
        sa.Column("design", sa.String(length=200), nullable=False),
        sa.Column("design_reason", sa.Text(), nullable=False),
        sa.Column("decided_by", sa.String(length=64), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("override_reason", sa.Text(), nullable=True),
        sa.Column("window_override_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["cohort_number"], ["cohort.cohort_number"], name=op.f("fk_dose_decision_cohort_number_cohort")
        ),
        sa.PrimaryKeyConstraint("cohort_number", name=op.f("pk_dose_decision")),
    )
    op.create_table(
        "mtd_signature",
        sa.Column("declaration_id", sa.String(length=64), nullable=False),
        sa.Column("position", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("signer", sa.String(length=64), nullable=False),
        sa.Column("printed_name", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=40), nullable=False),
        sa.Column("meaning", sa.String(length=40), nullable=False),
        sa.Column("signed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("content_sha256", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["declaration_id"],
            ["mtd_declaration.declaration_id"],
            name=op.f("fk_mtd_signature_declaration_id_mtd_declaration"),
        ),
        sa.PrimaryKeyConstraint("declaration_id", "position", name=op.f("pk_mtd_signature")),
        sa.UniqueConstraint("declaration_id", "signer", "meaning", name=op.f("uq_mtd_signature_declaration_id")),
    )
    op.create_table(
        "notification",
        sa.Column("notification_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("recipient_roles", sa.Text(), nullable=False),
        sa.Column("participant_id", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["participant_id"], ["participant.participant_id"], name=op.f("fk_notification_participant_id_participant")
        ),
        sa.PrimaryKeyConstraint("notification_id", name=op.f("pk_notification")),
    )
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_notification_kind"), ["kind"], unique=False)
        batch_op.create_index(batch_op.f("ix_notification_participant_id"), ["participant_id"], unique=False)

    op.create_table(
        "screening_log",
        sa.Column("participant_id", sa.String(length=64), nullable=False),
        sa.Column("site_id", sa.String(length=64), nullable=False),
        sa.Column("screened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("screened_by", sa.String(length=64), nullable=False),
        sa.Column("protocol_id", sa.String(length=100), nullable=False),
        sa.Column("protocol_version", sa.String(length=40), nullable=False),
        sa.Column("verdict", sa.String(length=20), nullable=False),
        sa.Column("criteria", sa.Text(), nullable=False),
        sa.Column("stratification", sa.Text(), nullable=False),
        sa.Column("warnings", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["participant_id"], ["participant.participant_id"], name=op.f("fk_screening_log_participant_id_participant")
        ),
        sa.PrimaryKeyConstraint("participant_id", name=op.f("pk_screening_log")),
    )
    with op.batch_alter_table("screening_log", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_screening_log_site_id"), ["site_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_screening_log_verdict"), ["verdict"], unique=False)

    op.create_table(
        "unblinding",
        sa.Column("unblinding_id", sa.String(length=64), nullable=False),
        sa.Column("participant_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("actor_user_id", sa.String(length=64), nullable=False),
        sa.Column("actor_role", sa.String(length=40), nullable=False),
        sa.Column("actor_site_ids", sa.Text(), nullable=False),
        sa.Column("unblinded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["participant_id"], ["participant.participant_id"], name=op.f("fk_unblinding_participant_id_participant")
        ),
        sa.PrimaryKeyConstraint("unblinding_id", name=op.f("pk_unblinding")),
    )
    with op.batch_alter_table("unblinding", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_unblinding_participant_id"), ["participant_id"], unique=False)

    op.create_table(
        "visit",
        sa.Column("visit_id", sa.String(length=64), nullable=False),
        sa.Column("participant_id", sa.String(length=64), nullable=False),
        sa.Column("visit_code", sa.String(length=64), nullable=False),
        sa.Column("planned_day", sa.Integer(), nullable=False),
        sa.Column("window_days_before", sa.Integer(), nullable=False),
        sa.Column("window_days_after", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("actual_date", sa.Date(), nullable=True),
        sa.Column("within_window", sa.Boolean(), nullable=True),
        sa.Column("missed_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["participant_id"], ["participant.participant_id"], name=op.f("fk_visit_participant_id_participant")
        ),
        sa.PrimaryKeyConstraint("visit_id", name=op.f("pk_visit")),
        sa.UniqueConstraint("participant_id", "visit_code", name=op.f("uq_visit_participant_id")),
    )
    with op.batch_alter_table("visit", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_visit_participant_id"), ["participant_id"], unique=False)

    op.create_table(
        "data_query_message",
        sa.Column("query_id", sa.String(length=64), nullable=False),
        sa.Column("position", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("author", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=40), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["query_id"], ["data_query.query_id"], name=op.f("fk_data_query_message_query_id_data_query")
        ),
        sa.PrimaryKeyConstraint("query_id", "position", name=op.f("pk_data_query_message")),
    )
    op.create_table(
        "slot_use",
        sa.Column("list_id", sa.String(length=64), nullable=False),
        sa.Column("stratum", sa.String(length=500), nullable=False),
        sa.Column("sequence_number", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("participant_id", sa.String(length=64), nullable=False),
        sa.Column("kit_code", sa.String(length=40), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_by", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["list_id", "stratum", "sequence_number"],
            ["allocation_slot.list_id", "allocation_slot.stratum", "allocation_slot.sequence_number"],
            name="fk_slot_use_slot_allocation_slot",
        ),
        sa.ForeignKeyConstraint(
            ["participant_id"], ["participant.participant_id"], name=op.f("fk_slot_use_participant_id_participant")
        ),
        sa.PrimaryKeyConstraint("list_id", "stratum", "sequence_number", name=op.f("pk_slot_use")),
        sa.UniqueConstraint("kit_code", name=op.f("uq_slot_use_kit_code")),
        sa.UniqueConstraint("participant_id", name=op.f("uq_slot_use_participant_id")),
    )
    _audit_entity_id_length(128, 700)


def downgrade() -> None:
    _audit_entity_id_length(700, 128)
    op.drop_table("slot_use")
    op.drop_table("data_query_message")
    with op.batch_alter_table("visit", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_visit_participant_id"))

    op.drop_table("visit")
    with op.batch_alter_table("unblinding", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_unblinding_participant_id"))

    op.drop_table("unblinding")
    with op.batch_alter_table("screening_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_screening_log_verdict"))
        batch_op.drop_index(batch_op.f("ix_screening_log_site_id"))

    op.drop_table("screening_log")
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notification_participant_id"))
        batch_op.drop_index(batch_op.f("ix_notification_kind"))

    op.drop_table("notification")
    op.drop_table("mtd_signature")
    op.drop_table("dose_decision")
    with op.batch_alter_table("dlt_adjudication", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dlt_adjudication_participant_id"))
        batch_op.drop_index(batch_op.f("ix_dlt_adjudication_cohort_number"))

    op.drop_table("dlt_adjudication")
    with op.batch_alter_table("data_query", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_data_query_state"))
        batch_op.drop_index(batch_op.f("ix_data_query_site_id"))
        batch_op.drop_index(batch_op.f("ix_data_query_participant_id"))

    op.drop_table("data_query")
    with op.batch_alter_table("crf_record", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_crf_record_participant_id"))

    op.drop_table("crf_record")
    op.drop_table("cohort_member")
    op.drop_table("allocation_slot")
    with op.batch_alter_table("adverse_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_adverse_event_participant_id"))

    op.drop_table("adverse_event")
    with op.batch_alter_table("administration", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_administration_participant_id"))

    op.drop_table("administration")
    op.drop_table("trial")
    with op.batch_alter_table("participant", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_participant_state"))
        batch_op.drop_index(batch_op.f("ix_participant_site_id"))

    op.drop_table("participant")
    op.drop_table("mtd_declaration")
    op.drop_table("cohort")
    op.drop_table("allocation_list")


def _audit_entity_id_length(old: int, new: int) -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        with op.batch_alter_table("audit_log", recreate="always") as batch_op:
            batch_op.alter_column(
                "entity_id", existing_type=sa.String(length=old), type_=sa.String(length=new), existing_nullable=False
            )
    else:
        op.alter_column(
            "audit_log",
            "entity_id",
            existing_type=sa.String(length=old),
            type_=sa.String(length=new),
            existing_nullable=False,
        )
    for statement in IMMUTABLE_AUDIT_SQL.get(dialect, []):
        op.execute(statement)
