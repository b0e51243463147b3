"""Deployment grid: figures not recorded are null.

A historic deployment imported from the published grid may lack its use case,
watchlist size or threshold (blank cells), and a grid never gives the number
of cameras: those operation columns become nullable instead of holding a
made-up value. Imported deployments also keep their site key (date, start
time, location, borough), so that our export, which adds references, is known
as the same deployments when read back.

Revision ID: 0006_grid_not_recorded
Revises: 0005_pdf_claims
Create Date: 2026-11-29
"""
import sqlalchemy as sa
from alembic import op

revision = "0006_grid_not_recorded"
down_revision = "0005_pdf_claims"
branch_labels = None
depends_on = None

_COLUMNS = (("use_case", sa.String(32)), ("watchlist_size", sa.Integer()),
            ("match_threshold", sa.Float()), ("camera_count", sa.Integer()))


def upgrade() -> None:
    # batch mode: SQLite cannot alter a column's nullability in place.
    with op.batch_alter_table("operations") as batch:
        for name, type_ in _COLUMNS:
            batch.alter_column(name, existing_type=type_, nullable=True)
    op.add_column("imported_deployments", sa.Column("site_key", sa.String(64), nullable=True))
    op.create_index("ix_imported_deployments_site_key", "imported_deployments", ["site_key"])


def downgrade() -> None:
    conn = op.get_bind()
    operations = sa.table("operations", *(sa.column(name) for name, _t in _COLUMNS))
    blanks = conn.execute(sa.select(sa.func.count()).select_from(operations).where(
        sa.or_(*(operations.c[name].is_(None) for name, _t in _COLUMNS)))).scalar_one()
    if blanks:
        # Filling in figures that were never recorded would make them up.
        raise RuntimeError(f"{blanks} operation(s) have figures not recorded; delete or complete "
                           "them before downgrading below 0006_grid_not_recorded.")
    op.drop_index("ix_imported_deployments_site_key", table_name="imported_deployments")
    with op.batch_alter_table("imported_deployments") as batch:
        batch.drop_column("site_key")
    with op.batch_alter_table("operations") as batch:
        for name, type_ in _COLUMNS:
            batch.alter_column(name, existing_type=type_, nullable=False)
