"""Subscriptions bound to one reviewer: only they carry that reviewer's action links.

Existing personal subscriptions (those with a recipient) carried their recipient's
link and nobody else's; they are bound to that recipient, so they keep doing so.

Revision ID: 0002_reviewer_binding
Revises: 0001_initial
Create Date: 2026-12-03
"""
from alembic import op
import sqlalchemy as sa

revision = "0002_reviewer_binding"
down_revision = "0001_initial"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("subscriptions", sa.Column("reviewer_sub", sa.String(255), nullable=True))
    op.execute("UPDATE subscriptions SET reviewer_sub = recipient WHERE recipient IS NOT NULL")


def downgrade() -> None:
    with op.batch_alter_table("subscriptions") as batch:
        batch.drop_column("reviewer_sub")
