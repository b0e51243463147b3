"""Legacy PDFs flattened in the worker: the document's processing state and progress.

A legacy PDF's disclosure copy is rebuilt from OCR'd page images by the worker
(``legacy.jobs``), page by page, outside any web request. The document shows
``processing`` with ``progress_done`` of ``pages`` until its copy is stored;
``revision`` counts the changes that ask for a new copy (a term, an area, a rule or
register change found at release), so a copy made from older inputs is never stored;
``claimed_by`` / ``claimed_until`` are the lease of the worker making it;
``inputs_sha256`` fingerprints what the stored copy was made with (rules, register,
terms, areas, pass version, resolution); ``review_pages`` lists the pages where the
reading of the page images found what the text layer did not, and
``proposed_areas`` what was boxed there; ``copy_note`` says why a DOCX is
disclosed as a flattened PDF only (``pdf_only``).

Revision ID: 0014_legacy_processing
Revises: 0013_published_snapshots
Create Date: 2026-12-07
"""
import sqlalchemy as sa
from alembic import op

revision = "0014_legacy_processing"
down_revision = "0013_published_snapshots"
branch_labels = None
depends_on = None

def _columns() -> list[sa.Column]:
    return [
        sa.Column("progress_done", sa.Integer, nullable=False, server_default="0"),
        sa.Column("revision", sa.Integer, nullable=False, server_default="0"),
        sa.Column("claimed_by", sa.String(200), nullable=True),
        sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("inputs_sha256", sa.String(64), nullable=True),
        sa.Column("review_pages", sa.JSON, nullable=True),
        sa.Column("proposed_areas", sa.JSON, nullable=True),
        sa.Column("copy_note", sa.Text, nullable=True),
        sa.Column("pdf_only", sa.Boolean, nullable=False, server_default=sa.false())]


def upgrade() -> None:
    with op.batch_alter_table("legacy_documents") as batch:
        for column in _columns():
            batch.add_column(column)


def downgrade() -> None:
    with op.batch_alter_table("legacy_documents") as batch:
        for column in reversed(_columns()):
            batch.drop_column(column.name)
