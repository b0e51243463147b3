"""The head of each CIA's audit chain kept on its row: every write reads the row
with its lock already, so appending an entry needs no query of the chain.

Revision ID: 0016_audit_head
Revises: 0015_worker_heartbeats
Create Date: 2026-12-07
"""
import sqlalchemy as sa
from alembic import op

revision = "0016_audit_head"
down_revision = "0015_worker_heartbeats"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN (no table copy on SQLite, which would drop the 0011 triggers).
    op.add_column("cias", sa.Column("audit_seq", sa.Integer, nullable=False, server_default="0"))
    op.add_column("cias", sa.Column("audit_hash", sa.String(64), nullable=True))
    op.execute("""
        UPDATE cias SET
          audit_seq = COALESCE((SELECT max(seq) FROM audit_entries a WHERE a.cia_id = cias.id), 0),
          audit_hash = (SELECT entry_hash FROM audit_entries a WHERE a.cia_id = cias.id
                        ORDER BY seq DESC LIMIT 1)""")


def downgrade() -> None:
    op.drop_column("cias", "audit_hash")
    op.drop_column("cias", "audit_seq")
