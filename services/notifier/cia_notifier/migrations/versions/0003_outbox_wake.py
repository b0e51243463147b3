"""The outbox wakes the relay on PostgreSQL (a NOTIFY at commit) instead of the
relay polling for it.

Revision ID: 0003_outbox_wake
Revises: 0002_reviewer_binding
Create Date: 2026-11-29
"""
from alembic import op

from cia_common.tables import create_outbox_wake, drop_outbox_wake

revision = "0003_outbox_wake"
down_revision = "0002_reviewer_binding"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_outbox_wake(op)


def downgrade() -> None:
    drop_outbox_wake(op)
