"""DOCX templates as data and document provenance.

Revision ID: 0009_templates
Revises: 0008_foi_requests
Create Date: 2026-11-29
"""
import sqlalchemy as sa
from alembic import op

revision = "0009_templates"
down_revision = "0008_foi_requests"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "template_versions",
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("number", sa.Integer, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("data", sa.LargeBinary, nullable=False),
        sa.Column("filename", sa.String(255)),
        sa.Column("note", sa.Text),
        sa.Column("uploaded_by_sub", sa.String(200), nullable=False),
        sa.Column("uploaded_by_name", sa.String(200), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("kind", "number", name="pk_template_versions"),
    )
    op.create_table(
        "active_templates",
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("number", sa.Integer, nullable=False),
        sa.Column("activated_by_sub", sa.String(200), nullable=False),
        sa.Column("activated_by_name", sa.String(200), nullable=False),
        sa.Column("activated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("kind", name="pk_active_templates"),
    )
    # Nullable: documents stored before templates were recorded name none.
    with op.batch_alter_table("documents") as batch:
        batch.add_column(sa.Column("template_kind", sa.String(32)))
        batch.add_column(sa.Column("template_version", sa.Integer))
        batch.add_column(sa.Column("template_sha256", sa.String(64)))


def downgrade() -> None:
    with op.batch_alter_table("documents") as batch:
        batch.drop_column("template_sha256")
        batch.drop_column("template_version")
        batch.drop_column("template_kind")
    op.drop_table("active_templates")
    op.drop_table("template_versions")
