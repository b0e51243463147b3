"""The check by sight of FOI-facing files, and the OCR of page images by pixel hash.

Revision ID: 0020_sight_checks
Revises: 0019_status_list
Create Date: 2026-12-07
"""
import sqlalchemy as sa
from alembic import op

revision = "0020_sight_checks"
down_revision = "0019_status_list"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sight_checks",
        sa.Column("sha256", sa.String(64), primary_key=True),
        sa.Column("subject", sa.String(16), nullable=False),
        sa.Column("subject_id", sa.String(80), nullable=False, index=True),
        sa.Column("inputs_sha256", sa.String(64), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("pages", sa.Integer),
        sa.Column("pages_done", sa.Integer, nullable=False, server_default="0"),
        sa.Column("pdf_sha256", sa.String(64)),
        sa.Column("findings", sa.JSON, nullable=False),
        sa.Column("previewed_pages", sa.JSON, nullable=False),
        sa.Column("confirmed_pages", sa.JSON, nullable=False),
        sa.Column("error", sa.Text),
        sa.Column("checked_at", sa.DateTime(timezone=True)),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "sight_bands",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("words", sa.JSON, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("sight_bands")
    op.drop_table("sight_checks")
