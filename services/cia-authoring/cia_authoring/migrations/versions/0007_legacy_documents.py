"""Legacy CIA documents and their redactions.

Revision ID: 0007_legacy_documents
Revises: 0006_grid_not_recorded
Create Date: 2026-11-29
"""
import sqlalchemy as sa
from alembic import op

revision = "0007_legacy_documents"
down_revision = "0006_grid_not_recorded"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "legacy_documents",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("operation_id", sa.String(36), sa.ForeignKey("operations.id"), nullable=False),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("dated", sa.Date, nullable=True),
        sa.Column("format", sa.String(8), nullable=False),
        sa.Column("filename", sa.String(300), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False, unique=True),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("data", sa.LargeBinary, nullable=False),
        sa.Column("source", sa.String(300), nullable=False),
        sa.Column("pages", sa.Integer, nullable=True),
        sa.Column("scan_pages", sa.JSON, nullable=False),
        sa.Column("confirmed_pages", sa.JSON, nullable=False),
        sa.Column("previewed_pages", sa.JSON, nullable=False),
        sa.Column("redacted_data", sa.LargeBinary, nullable=False),
        sa.Column("redacted_sha256", sa.String(64), nullable=False),
        sa.Column("redacted_size", sa.Integer, nullable=False),
        sa.Column("redaction_log", sa.JSON, nullable=False),
        sa.Column("redacted_at", TS, nullable=False),
        sa.Column("redacted_pdf", sa.LargeBinary, nullable=True),
        sa.Column("redacted_pdf_sha256", sa.String(64), nullable=True),
        sa.Column("state", sa.String(24), nullable=False),
        sa.Column("released_at", TS, nullable=True),
        sa.Column("released_by_sub", sa.String(200), nullable=True),
        sa.Column("released_by_name", sa.String(200), nullable=True),
        sa.Column("release_note", sa.Text, nullable=True),
        sa.Column("released_sha256", sa.String(64), nullable=True),
        sa.Column("published_url", sa.String(2000), nullable=True),
        sa.Column("created_by_sub", sa.String(200), nullable=False),
        sa.Column("created_by_name", sa.String(200), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
    )
    op.create_index("ix_legacy_documents_operation_id", "legacy_documents", ["operation_id"])
    op.create_index("ix_legacy_documents_state", "legacy_documents", ["state"])
    op.create_index("ix_legacy_documents_released_at", "legacy_documents", ["released_at"])
    op.create_table(
        "legacy_redactions",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("document_id", sa.String(36), sa.ForeignKey("legacy_documents.id"), nullable=False),
        sa.Column("text", sa.Text, nullable=True),
        sa.Column("page", sa.Integer, nullable=True),
        sa.Column("rect", sa.JSON, nullable=True),
        sa.Column("exemption", sa.String(8), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("created_by_sub", sa.String(200), nullable=False),
        sa.Column("created_by_name", sa.String(200), nullable=False),
        sa.Column("created_at", TS, nullable=False),
    )
    op.create_index("ix_legacy_redactions_document_id", "legacy_redactions", ["document_id"])


def downgrade() -> None:
    op.drop_index("ix_legacy_redactions_document_id", table_name="legacy_redactions")
    op.drop_table("legacy_redactions")
    for name in ("released_at", "state", "operation_id"):
        op.drop_index(f"ix_legacy_documents_{name}", table_name="legacy_documents")
    op.drop_table("legacy_documents")
