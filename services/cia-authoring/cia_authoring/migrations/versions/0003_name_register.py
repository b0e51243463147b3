"""Disclosure: the force-wide name register.

Revision ID: 0003_name_register
Revises: 0002_foi
Create Date: 2026-11-29
"""
import sqlalchemy as sa
from alembic import op

revision = "0003_name_register"
down_revision = "0002_foi"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "name_register",
        sa.Column("key", sa.String(300), primary_key=True),
        sa.Column("name", sa.String(300), nullable=False),
        sa.Column("first_cia_id", sa.String(36), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("propagated_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_name_register_propagated_at", "name_register", ["propagated_at"])


def downgrade() -> None:
    op.drop_table("name_register")
