"""Each worker says every second whether its consumer takes part in its group: the
web process is ready only while one does.

Revision ID: 0015_worker_heartbeats
Revises: 0014_legacy_processing
Create Date: 2026-12-07
"""
from alembic import op

from cia_common.tables import create_worker_heartbeats

revision = "0015_worker_heartbeats"
down_revision = "0014_legacy_processing"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_worker_heartbeats(op)


def downgrade() -> None:
    op.drop_table("worker_heartbeats")
