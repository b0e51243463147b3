"""Initial review schema: outbox/inbox, reviews, assignees, decisions,
reassignments, action tokens, inbound webhook ids.

Revision ID: 0001
Revises:
Create Date: 2026-01-01
"""
from alembic import op
import sqlalchemy as sa

from cia_common.tables import create_platform_tables

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _ts(name: str, nullable: bool = True) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    create_platform_tables(op)

    op.create_table(
        "reviews",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("cia_id", sa.String(64), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("round", sa.Integer, nullable=False),
        sa.Column("state", sa.String(32), nullable=False),
        sa.Column("operation_id", sa.String(64)),
        sa.Column("operation_reference", sa.String(64)),
        sa.Column("operation_name", sa.String(300)),
        sa.Column("title", sa.String(500)),
        sa.Column("borough", sa.String(200)),
        sa.Column("use_case", sa.String(64)),
        _ts("planned_start"),
        sa.Column("author_sub", sa.String(200)),
        sa.Column("author_name", sa.String(300)),
        sa.Column("last_editor_sub", sa.String(200)),
        sa.Column("last_editor_name", sa.String(300)),
        sa.Column("submitted_by_sub", sa.String(200)),
        sa.Column("submitted_by_name", sa.String(300)),
        sa.Column("reviewers_source", sa.String(16), nullable=False),
        sa.Column("approvals_required", sa.Integer, nullable=False),
        sa.Column("content_hash", sa.String(128)),
        sa.Column("submission", sa.JSON, nullable=False),
        sa.Column("submitted_event_id", sa.String(64), nullable=False),
        _ts("opened_at", nullable=False),
        _ts("due_at", nullable=False),
        _ts("reminded_at"),
        _ts("escalated_at"),
        _ts("closed_at"),
        sa.UniqueConstraint("cia_id", "version", "round", name="uq_reviews_cia_version_round"),
    )
    op.create_index("ix_reviews_cia_id", "reviews", ["cia_id"])
    op.create_index("ix_reviews_state_due", "reviews", ["state", "due_at"])

    op.create_table(
        "review_assignees",
        sa.Column("review_id", sa.String(36), sa.ForeignKey("reviews.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("reviewer_sub", sa.String(200), primary_key=True),
        sa.Column("position", sa.Integer, nullable=False),
    )
    op.create_index("ix_review_assignees_reviewer_sub", "review_assignees", ["reviewer_sub"])

    op.create_table(
        "decisions",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("review_id", sa.String(36), sa.ForeignKey("reviews.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("reviewer_sub", sa.String(200), nullable=False),
        sa.Column("reviewer_name", sa.String(300), nullable=False),
        sa.Column("decision", sa.String(32), nullable=False),
        sa.Column("comment", sa.Text, nullable=False),
        sa.Column("section_comments", sa.JSON, nullable=False),
        sa.Column("channel", sa.String(100), nullable=False),
        _ts("decided_at", nullable=False),
        sa.UniqueConstraint("review_id", "reviewer_sub", name="uq_decisions_review_reviewer"),
    )

    op.create_table(
        "reassignments",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("review_id", sa.String(36), sa.ForeignKey("reviews.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("previous_reviewers", sa.JSON, nullable=False),
        sa.Column("reviewers", sa.JSON, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("by_sub", sa.String(200), nullable=False),
        sa.Column("by_name", sa.String(300), nullable=False),
        _ts("at", nullable=False),
    )
    op.create_index("ix_reassignments_review_id", "reassignments", ["review_id"])

    op.create_table(
        "action_tokens",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("review_id", sa.String(36), sa.ForeignKey("reviews.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("reviewer_sub", sa.String(200), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("round", sa.Integer, nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        _ts("created_at", nullable=False),
        _ts("expires_at", nullable=False),
        _ts("used_at"),
        _ts("revoked_at"),
        sa.Column("revoked_reason", sa.String(32)),
    )
    op.create_index("ix_action_tokens_review_reviewer", "action_tokens",
                    ["review_id", "reviewer_sub"])

    op.create_table(
        "inbound_webhooks",
        sa.Column("integration", sa.String(100), primary_key=True),
        sa.Column("webhook_id", sa.String(255), primary_key=True),
        _ts("received_at", nullable=False),
        sa.Column("review_id", sa.String(36)),
    )


def downgrade() -> None:
    for table in ("inbound_webhooks", "action_tokens", "reassignments", "decisions",
                  "review_assignees", "reviews", "inbox", "outbox"):
        op.drop_table(table)
