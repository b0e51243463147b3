"""Deployment grid: figures not recorded are null.

Revision ID: 0006_grid_not_recorded
Revises: 0005_pdf_claims
Create Date: 2026-11-29
"""
import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "0006_grid_not_recorded"
down_revision = "0005_pdf_claims"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
