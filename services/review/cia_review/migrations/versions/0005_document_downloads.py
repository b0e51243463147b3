"""Downloads of a reviewed version's document through the action page's signed links.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29
"""
from alembic import op
import sqlalchemy as sa

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "document_downloads",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("review_id", sa.String(36), sa.ForeignKey("reviews.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("token_id", sa.String(36), nullable=False),
        sa.Column("reviewer_sub", sa.String(200), nullable=False),
        sa.Column("cia_id", sa.String(36), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("format", sa.String(8), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_document_downloads_review", "document_downloads", ["review_id"])


def downgrade() -> None:
    op.drop_index("ix_document_downloads_review", table_name="document_downloads")
    op.drop_table("document_downloads")
