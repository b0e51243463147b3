"""Cancelled reviews: why a review was closed without a decision.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02
"""
from alembic import op
import sqlalchemy as sa

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("reviews", sa.Column("closed_reason", sa.Text))


def downgrade() -> None:
    with op.batch_alter_table("reviews") as batch:
        batch.drop_column("closed_reason")
