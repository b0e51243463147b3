"""Legacy CIA documents and their redactions.

Revision ID: 0007_legacy_documents
Revises: 0006_grid_not_recorded
Create Date: 2026-11-29
"""
import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "0007_legacy_documents"
down_revision = "0006_grid_not_recorded"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
