"""Revisions after rejection: where a version was revised from, why, and the
rejection it answers.

Revision ID: 0004_revisions
Revises: 0003_name_register
Create Date: 2026-12-02
"""
import sqlalchemy as sa
from alembic import op

revision = "0004_revisions"
down_revision = "0003_name_register"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("cia_versions", sa.Column("revised_from", sa.Integer))
    op.add_column("cia_versions", sa.Column("revision_reason", sa.Text))
    op.add_column("cia_versions", sa.Column("rejection", sa.JSON))


def downgrade() -> None:
    with op.batch_alter_table("cia_versions") as batch:
        batch.drop_column("rejection")
        batch.drop_column("revision_reason")
        batch.drop_column("revised_from")
