"""Initial notifier schema: outbox/inbox, subscriptions, deliveries, delivery attempts.

Revision ID: 0001_initial
Revises:
Create Date: 2026-01-01
"""
from alembic import op
import sqlalchemy as sa

from cia_common.tables import create_platform_tables

revision = "0001_initial"
down_revision = None
branch_labels = None
depends_on = None


def _ts(name, **kw):
    return sa.Column(name, sa.DateTime(timezone=True), **kw)


def upgrade() -> None:
    create_platform_tables(op)
    op.create_table(
        "subscriptions",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("url", sa.String(2048), nullable=False),
        sa.Column("description", sa.Text, nullable=True),
        sa.Column("event_types", sa.JSON, nullable=False),
        sa.Column("recipient", sa.String(255), nullable=True),
        sa.Column("format", sa.String(32), nullable=False, server_default="cloudevent"),
        sa.Column("secret", sa.String(128), nullable=False),
        sa.Column("previous_secret", sa.String(128), nullable=True),
        _ts("previous_secret_expires_at", nullable=True),
        sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("disabled_reason", sa.Text, nullable=True),
        _ts("disabled_at", nullable=True),
        sa.Column("consecutive_failures", sa.Integer, nullable=False, server_default="0"),
        _ts("last_success_at", nullable=True),
        _ts("last_failure_at", nullable=True),
        sa.Column("created_by", sa.String(255), nullable=True),
        _ts("created_at", nullable=False),
        _ts("updated_at", nullable=False),
        _ts("deleted_at", nullable=True),
    )
    op.create_table(
        "deliveries",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("subscription_id", sa.String(36), sa.ForeignKey("subscriptions.id"),
                  nullable=False),
        sa.Column("event_id", sa.String(200), nullable=False),
        sa.Column("event_type", sa.String(128), nullable=False),
        sa.Column("subject", sa.String(255), nullable=True),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("status", sa.String(16), nullable=False, server_default="pending"),
        sa.Column("attempt_count", sa.Integer, nullable=False, server_default="0"),
        sa.Column("round_failures", sa.Integer, nullable=False, server_default="0"),
        _ts("next_attempt_at", nullable=True),
        sa.Column("claim_token", sa.String(36), nullable=True),
        sa.Column("last_status_code", sa.Integer, nullable=True),
        sa.Column("last_error", sa.Text, nullable=True),
        _ts("created_at", nullable=False),
        _ts("delivered_at", nullable=True),
        sa.UniqueConstraint("subscription_id", "event_id", name="uq_deliveries_subscription_event"),
    )
    # The delivery loop's query: due pending rows, oldest first.
    op.create_index("ix_deliveries_due", "deliveries", ["status", "next_attempt_at"])
    op.create_index("ix_deliveries_subscription_created", "deliveries",
                    ["subscription_id", "created_at"])
    op.create_table(
        "delivery_attempts",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("delivery_id", sa.String(36), sa.ForeignKey("deliveries.id"), nullable=False),
        sa.Column("attempt_no", sa.Integer, nullable=False),
        _ts("at", nullable=False),
        sa.Column("status_code", sa.Integer, nullable=True),
        sa.Column("latency_ms", sa.Integer, nullable=True),
        sa.Column("error", sa.Text, nullable=True),
    )
    op.create_index("ix_delivery_attempts_delivery", "delivery_attempts", ["delivery_id", "attempt_no"])


def downgrade() -> None:
    op.drop_table("delivery_attempts")
    op.drop_table("deliveries")
    op.drop_table("subscriptions")
    op.drop_index("ix_outbox_unpublished", table_name="outbox")
    op.drop_table("inbox")
    op.drop_table("outbox")
