"""FOI request cases, answers and the disclosure log.

Revision ID: 0008_foi_requests
Revises: 0007_legacy_documents
Create Date: 2026-11-29
"""
import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "0008_foi_requests"
down_revision = "0007_legacy_documents"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
