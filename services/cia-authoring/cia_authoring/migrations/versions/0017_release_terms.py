"""Disclosure: release terms, the FOI officers' releases of terms the pass withheld
as personal data that are not (a shop, a town, an operation taken for a person).

Revision ID: 0017_release_terms
Revises: 0016_audit_head
Create Date: 2026-12-08
"""
import sqlalchemy as sa
from alembic import op

revision = "0017_release_terms"
down_revision = "0016_audit_head"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "release_terms",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("cia_id", sa.String(36), sa.ForeignKey("cias.id"), nullable=True),
        sa.Column("term", sa.String(200), nullable=False),
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
    op.create_index("ix_release_terms_cia_id", "release_terms", ["cia_id"])
    op.create_index("ix_release_terms_active", "release_terms", ["active"])


def downgrade() -> None:
    op.drop_table("release_terms")
