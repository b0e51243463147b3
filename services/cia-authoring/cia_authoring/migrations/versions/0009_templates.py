"""DOCX templates as data and document provenance.

Revision ID: 0009_templates
Revises: 0008_foi_requests
Create Date: 2026-11-29
"""
import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "0009_templates"
down_revision = "0008_foi_requests"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
