"""FOI disclosure: censor rules, disclosure copy states, imported deployments.

Revision ID: 0002_foi
Revises: 0001
Create Date: 2026-05-20
"""
import sqlalchemy as sa
from alembic import op

revision = "0002_foi"
down_revision = "0001"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "censor_rules",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("cia_id", sa.String(36), sa.ForeignKey("cias.id"), nullable=True),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("pattern", sa.Text, nullable=False),
        sa.Column("case_sensitive", sa.Boolean, nullable=False),
        sa.Column("replacement", sa.Text, nullable=True),
        sa.Column("exemption", sa.String(8), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("revision", sa.Integer, nullable=False),
        sa.Column("created_by_sub", sa.String(200), nullable=False),
        sa.Column("created_by_name", sa.String(200), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_by_sub", sa.String(200), nullable=False),
        sa.Column("updated_by_name", sa.String(200), nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("history", sa.JSON, nullable=False),
    )
    op.create_index("ix_censor_rules_cia_id", "censor_rules", ["cia_id"])
    op.create_index("ix_censor_rules_active", "censor_rules", ["active"])

    op.create_table(
        "disclosure_copies",
        sa.Column("cia_id", sa.String(36), sa.ForeignKey("cias.id"), primary_key=True),
        sa.Column("version", sa.Integer, primary_key=True),
        sa.Column("state", sa.String(24), nullable=False),
        sa.Column("rules_fingerprint", sa.String(64), nullable=False),
        sa.Column("context_sha256", sa.String(64), nullable=False),
        sa.Column("rendered_at", TS, nullable=True),
        sa.Column("render_count", sa.Integer, nullable=False),
        sa.Column("released_at", TS, nullable=True),
        sa.Column("released_by_sub", sa.String(200), nullable=True),
        sa.Column("released_by_name", sa.String(200), nullable=True),
        sa.Column("release_note", sa.Text, nullable=True),
        sa.Column("released_docx_sha256", sa.String(64), nullable=True),
        sa.Column("released_pdf_sha256", sa.String(64), nullable=True),
        sa.Column("updated_at", TS, nullable=False),
    )
    op.create_index("ix_disclosure_copies_state", "disclosure_copies", ["state"])
    op.create_index("ix_disclosure_copies_released_at", "disclosure_copies", ["released_at"])

    op.create_table(
        "imported_deployments",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("operation_id", sa.String(36), sa.ForeignKey("operations.id"), nullable=False),
        sa.Column("cia_id", sa.String(36), sa.ForeignKey("cias.id"), nullable=False),
        sa.Column("source", sa.String(200), nullable=False),
        sa.Column("line", sa.Integer, nullable=False),
        sa.Column("imported_at", TS, nullable=False),
        sa.Column("imported_by_sub", sa.String(200), nullable=False),
        sa.Column("imported_by_name", sa.String(200), nullable=False),
        sa.UniqueConstraint("operation_id", name="uq_imported_deployments_operation_id"),
        sa.UniqueConstraint("cia_id", name="uq_imported_deployments_cia_id"),
    )


def downgrade() -> None:
    for table in ("imported_deployments", "disclosure_copies", "censor_rules"):
        op.drop_table(table)
