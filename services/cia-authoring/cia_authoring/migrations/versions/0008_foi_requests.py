"""FOI request cases, answers and the disclosure log.

Revision ID: 0008_foi_requests
Revises: 0007_legacy_documents
Create Date: 2026-11-29
"""
import sqlalchemy as sa
from alembic import op

revision = "0008_foi_requests"
down_revision = "0007_legacy_documents"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "foi_requests",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("reference", sa.String(64), nullable=False),
        sa.Column("received_on", sa.Date, nullable=False),
        sa.Column("requester_name", sa.String(200), nullable=False),
        sa.Column("requester_email", sa.String(320), nullable=False),
        sa.Column("questions", sa.JSON, nullable=False),
        sa.Column("state", sa.String(32), nullable=False),
        sa.Column("clock_started_on", sa.Date, nullable=False),
        sa.Column("statutory_due_on", sa.Date, nullable=False),
        sa.Column("extension_working_days", sa.Integer, nullable=False),
        sa.Column("extension_reason", sa.Text, nullable=True),
        sa.Column("due_on", sa.Date, nullable=False),
        sa.Column("clarification_requested_on", sa.Date, nullable=True),
        sa.Column("clarification_note", sa.Text, nullable=True),
        sa.Column("clarified_on", sa.Date, nullable=True),
        sa.Column("drafters", sa.JSON, nullable=False),
        sa.Column("submitted_at", TS, nullable=True),
        sa.Column("approved_at", TS, nullable=True),
        sa.Column("approved_by_sub", sa.String(200), nullable=True),
        sa.Column("approved_by_name", sa.String(200), nullable=True),
        sa.Column("sent_on", sa.Date, nullable=True),
        sa.Column("sent_at", TS, nullable=True),
        sa.Column("sent_by_sub", sa.String(200), nullable=True),
        sa.Column("sent_by_name", sa.String(200), nullable=True),
        sa.Column("within_deadline", sa.Boolean, nullable=True),
        sa.Column("within_statutory_period", sa.Boolean, nullable=True),
        sa.Column("sent_attachments", sa.JSON, nullable=True),
        sa.Column("due_soon_notified_for", sa.Date, nullable=True),
        sa.Column("overdue_notified_for", sa.Date, nullable=True),
        sa.Column("history", sa.JSON, nullable=False),
        sa.Column("created_by_sub", sa.String(200), nullable=False),
        sa.Column("created_by_name", sa.String(200), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.UniqueConstraint("reference", name="uq_foi_requests_reference"),
    )
    op.create_index("ix_foi_requests_state", "foi_requests", ["state"])
    op.create_index("ix_foi_requests_due_on", "foi_requests", ["due_on"])
    op.create_index("ix_foi_requests_sent_on", "foi_requests", ["sent_on"])

    op.create_table(
        "foi_answers",
        sa.Column("request_id", sa.String(36), sa.ForeignKey("foi_requests.id"), nullable=False),
        sa.Column("number", sa.Integer, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("body", sa.JSON, nullable=False),
        sa.Column("answered_by_sub", sa.String(200), nullable=False),
        sa.Column("answered_by_name", sa.String(200), nullable=False),
        sa.Column("answered_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("request_id", "number", name="pk_foi_answers"),
    )

    op.create_table(
        "foi_request_documents",
        sa.Column("request_id", sa.String(36), sa.ForeignKey("foi_requests.id"), nullable=False),
        sa.Column("format", sa.String(8), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("data", sa.LargeBinary, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("request_id", "format", name="pk_foi_request_documents"),
    )


def downgrade() -> None:
    for table in ("foi_request_documents", "foi_answers", "foi_requests"):
        op.drop_table(table)
