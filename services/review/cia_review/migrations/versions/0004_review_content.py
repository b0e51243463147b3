"""The reviewed version's content, kept with each review round for the action page.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29
"""
from alembic import op
import sqlalchemy as sa

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("reviews", sa.Column("content", sa.JSON))


def downgrade() -> None:
    with op.batch_alter_table("reviews") as batch:
        batch.drop_column("content")
