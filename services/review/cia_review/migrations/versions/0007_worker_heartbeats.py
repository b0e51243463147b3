"""Each worker says every second whether its consumer takes part in its group: the
web process is ready only while one does.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07
"""
from alembic import op

from cia_common.tables import create_worker_heartbeats

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_worker_heartbeats(op)


def downgrade() -> None:
    op.drop_table("worker_heartbeats")
