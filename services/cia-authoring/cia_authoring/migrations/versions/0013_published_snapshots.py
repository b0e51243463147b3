"""What the public reads, kept apart; what a letter must withhold, kept current.

- ``withheld_values``: every written form each disclosure copy withholds (the
  index ``disclosure.withheld_index`` writes as copies are rendered), so that a
  letter quoting a CIA withholds what its copy does;
- ``foi_requests``: the requester's postal address and phone (withheld in every
  form, like their name), the SHA-256 of the letter and of the attachments
  approved (``send`` refuses them changed) and the day the approval was given;
- ``published_snapshots``: the public entry, letter and attachments of each sent
  response, written once. On PostgreSQL no row of it can be changed or deleted
  (a trigger), and the role ``cia_public`` (LOGIN, no password: an operator sets
  one, or maps it in ``pg_hba.conf``) may read it and nothing else: the public
  log's process connects as that role (``CIA_PUBLIC_DATABASE_URL``).

Revision ID: 0013_published_snapshots
Revises: 0011_list_indexes
Create Date: 2026-12-07
"""
import sqlalchemy as sa
from alembic import op

revision = "0013_published_snapshots"
down_revision = "0011_list_indexes"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)
PUBLIC_ROLE = "cia_public"


def upgrade() -> None:
    op.create_table(
        "withheld_values",
        sa.Column("cia_id", sa.String(36), sa.ForeignKey("cias.id"), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("key_sha256", sa.String(64), nullable=False),
        sa.Column("key", sa.Text, nullable=False),
        sa.Column("exemption", sa.String(8), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("source", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("cia_id", "version", "key_sha256", name="pk_withheld_values"),
    )
    with op.batch_alter_table("foi_requests") as batch:
        batch.add_column(sa.Column("requester_address", sa.Text, nullable=True))
        batch.add_column(sa.Column("requester_phone", sa.String(50), nullable=True))
        batch.add_column(sa.Column("approved_on", sa.Date, nullable=True))
        batch.add_column(sa.Column("approved_letter_sha256", sa.String(64), nullable=True))
        batch.add_column(sa.Column("approved_attachments_sha256", sa.String(64), nullable=True))
    op.create_table(
        "published_snapshots",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("reference", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("media_type", sa.String(100), nullable=False),
        sa.Column("sent_on", sa.Date, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("data", sa.LargeBinary, nullable=False),
        sa.Column("published_at", TS, nullable=False),
        sa.UniqueConstraint("reference", "kind", name="uq_published_snapshots_reference_kind"),
    )
    op.create_index("ix_published_snapshots_reference", "published_snapshots", ["reference"])
    op.create_index("ix_published_snapshots_sent_on", "published_snapshots", ["sent_on"])
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("""
        CREATE FUNCTION published_snapshots_unchanged() RETURNS trigger AS $$
        BEGIN
            RAISE EXCEPTION 'a published snapshot is never changed or deleted';
        END $$ LANGUAGE plpgsql""")
    op.execute("CREATE TRIGGER published_snapshots_immutable BEFORE UPDATE OR DELETE "
               "ON published_snapshots FOR EACH ROW "
               "EXECUTE FUNCTION published_snapshots_unchanged()")
    # A role is the cluster's, shared by every database in it: made once, whoever
    # migrates first (two migrations at once may race to it, hence the handler).
    op.execute(f"""
        DO $$
        BEGIN
            IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{PUBLIC_ROLE}') THEN
                CREATE ROLE {PUBLIC_ROLE} LOGIN;
            END IF;
        EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
        END $$""")
    op.execute(f"GRANT SELECT ON published_snapshots TO {PUBLIC_ROLE}")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"REVOKE ALL ON published_snapshots FROM {PUBLIC_ROLE}")
        op.execute("DROP TRIGGER IF EXISTS published_snapshots_immutable ON published_snapshots")
        op.execute("DROP FUNCTION IF EXISTS published_snapshots_unchanged()")
    op.drop_index("ix_published_snapshots_sent_on", table_name="published_snapshots")
    op.drop_index("ix_published_snapshots_reference", table_name="published_snapshots")
    op.drop_table("published_snapshots")
    with op.batch_alter_table("foi_requests") as batch:
        for column in ("approved_attachments_sha256", "approved_letter_sha256", "approved_on",
                       "requester_phone", "requester_address"):
            batch.drop_column(column)
    op.drop_table("withheld_values")
