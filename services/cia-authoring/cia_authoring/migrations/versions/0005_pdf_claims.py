"""PDF conversion claims: which process is converting a stored DOCX to PDF,
until when (a lease), so that one worker converts it and the others skip it.

Revision ID: 0005_pdf_claims
Revises: 0004_revisions
Create Date: 2026-12-09
"""
import sqlalchemy as sa
from alembic import op

revision = "0005_pdf_claims"
down_revision = "0004_revisions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "pdf_claims",
        sa.Column("cia_id", sa.String(36), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("claimed_by", sa.String(200), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("cia_id", "version", "kind", name="pk_pdf_claims"),
    )


def downgrade() -> None:
    op.drop_table("pdf_claims")
