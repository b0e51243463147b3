"""Initial schema: outbox/inbox, operations, CIAs, versions, documents, audit.

Revision ID: 0001
Revises:
Create Date: 2026-05-01
"""
import sqlalchemy as sa
from alembic import op

from cia_common.tables import create_platform_tables

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    create_platform_tables(op)

    op.create_table(
        "operations",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("reference", sa.String(32), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("borough", sa.String(200), nullable=False),
        sa.Column("ward", sa.String(200), nullable=False),
        sa.Column("location_name", sa.String(200), nullable=False),
        sa.Column("latitude", sa.Float, nullable=True),
        sa.Column("longitude", sa.Float, nullable=True),
        sa.Column("use_case", sa.String(32), nullable=False),
        sa.Column("planned_start", TS, nullable=False),
        sa.Column("planned_end", TS, nullable=False),
        sa.Column("watchlist_size", sa.Integer, nullable=False),
        sa.Column("watchlist_categories", sa.JSON, nullable=False),
        sa.Column("match_threshold", sa.Float, nullable=False),
        sa.Column("camera_count", sa.Integer, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("authorising_officer_name", sa.String(200), nullable=True),
        sa.Column("authorising_officer_rank", sa.String(64), nullable=True),
        sa.Column("authorising_officer_collar_number", sa.String(20), nullable=True),
        sa.Column("authorised_at", TS, nullable=True),
        sa.Column("authority_reference", sa.String(100), nullable=True),
        sa.Column("authorisation_recorded_by_sub", sa.String(200), nullable=True),
        sa.Column("authorisation_recorded_by_name", sa.String(200), nullable=True),
        sa.Column("created_by_sub", sa.String(200), nullable=False),
        sa.Column("created_by_name", sa.String(200), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.UniqueConstraint("reference", name="uq_operations_reference"),
    )
    op.create_index("ix_operations_borough", "operations", ["borough"])
    op.create_index("ix_operations_status", "operations", ["status"])
    op.create_index("ix_operations_planned_start", "operations", ["planned_start"])

    op.create_table(
        "cias",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("operation_id", sa.String(36), sa.ForeignKey("operations.id"), nullable=False),
        sa.Column("latest_version", sa.Integer, nullable=False),
        sa.Column("created_by_sub", sa.String(200), nullable=False),
        sa.Column("created_by_name", sa.String(200), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.UniqueConstraint("operation_id", name="uq_cias_operation_id"),
    )

    op.create_table(
        "cia_versions",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("cia_id", sa.String(36), sa.ForeignKey("cias.id"), nullable=False),
        sa.Column("number", sa.Integer, nullable=False),
        sa.Column("status", sa.String(24), nullable=False),
        sa.Column("content", sa.JSON, nullable=False),
        sa.Column("content_sha256", sa.String(64), nullable=False),
        sa.Column("revision", sa.Integer, nullable=False),
        sa.Column("author_sub", sa.String(200), nullable=False),
        sa.Column("author_name", sa.String(200), nullable=False),
        sa.Column("last_editor_sub", sa.String(200), nullable=False),
        sa.Column("last_editor_name", sa.String(200), nullable=False),
        sa.Column("amendment_reason", sa.Text, nullable=True),
        sa.Column("amended_from", sa.Integer, nullable=True),
        sa.Column("submitted_at", TS, nullable=True),
        sa.Column("submitted_by_sub", sa.String(200), nullable=True),
        sa.Column("submitted_by_name", sa.String(200), nullable=True),
        sa.Column("requested_reviewers", sa.JSON, nullable=True),
        sa.Column("review_id", sa.String(64), nullable=True),
        sa.Column("decision", sa.String(32), nullable=True),
        sa.Column("decided_at", TS, nullable=True),
        sa.Column("decided_by_sub", sa.String(200), nullable=True),
        sa.Column("decided_by_name", sa.String(200), nullable=True),
        sa.Column("decision_comment", sa.Text, nullable=True),
        sa.Column("section_comments", sa.JSON, nullable=True),
        sa.Column("status_reason", sa.Text, nullable=True),
        sa.Column("approval_blocked_reason", sa.Text, nullable=True),
        sa.Column("approved_at", TS, nullable=True),
        sa.Column("superseded_at", TS, nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.UniqueConstraint("cia_id", "number", name="uq_cia_versions_cia_number"),
    )
    op.create_index("ix_cia_versions_cia_id", "cia_versions", ["cia_id"])
    op.create_index("ix_cia_versions_status", "cia_versions", ["status"])
    op.create_index("ix_cia_versions_approved_at", "cia_versions", ["approved_at"])

    op.create_table(
        "documents",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("cia_id", sa.String(36), sa.ForeignKey("cias.id"), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("format", sa.String(8), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("data", sa.LargeBinary, nullable=False),
        sa.Column("redaction_log", sa.JSON, nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.UniqueConstraint("cia_id", "version", "kind", "format",
                            name="uq_documents_version_kind_format"),
    )
    op.create_index("ix_documents_cia_id", "documents", ["cia_id"])

    op.create_table(
        "audit_entries",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("cia_id", sa.String(36), nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("actor_sub", sa.String(200), nullable=False),
        sa.Column("actor_name", sa.String(200), nullable=False),
        sa.Column("action", sa.String(48), nullable=False),
        sa.Column("version", sa.Integer, nullable=True),
        sa.Column("at", sa.String(40), nullable=False),
        sa.Column("content_sha256", sa.String(64), nullable=True),
        sa.Column("detail", sa.JSON, nullable=True),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("entry_hash", sa.String(64), nullable=False),
        sa.UniqueConstraint("cia_id", "seq", name="uq_audit_entries_cia_seq"),
    )
    op.create_index("ix_audit_entries_cia_id", "audit_entries", ["cia_id"])


def downgrade() -> None:
    for table in ("audit_entries", "documents", "cia_versions", "cias", "operations",
                  "inbox", "outbox"):
        op.drop_table(table)
