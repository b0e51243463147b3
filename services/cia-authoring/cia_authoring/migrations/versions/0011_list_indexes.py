"""The CIA list at any scale: the index its pages are read by, and the number of
CIAs kept by the database, so neither a page nor its total reads every CIA.

- ``ix_cias_updated_at_id``: the list's order (last change first, then id), so a
  page (by offset or keyset) walks one index and reads the page's rows only;
- ``ix_operations_borough_lower``: the list's case-insensitive borough filter;
- ``cia_counts``: the number of CIAs, kept by triggers on ``cias`` (every
  insert, delete and, on PostgreSQL, truncate, whoever writes them: the API,
  the grid import, a bulk load), in 16 slots on PostgreSQL so that concurrent
  creations add to different rows; the unfiltered list's total is their sum.

Revision ID: 0011_list_indexes
Revises: 0010_outbox_wake
Create Date: 2026-11-29
"""
import sqlalchemy as sa
from alembic import op

revision = "0011_list_indexes"
down_revision = "0010_outbox_wake"
branch_labels = None
depends_on = None

SLOTS = 16


def upgrade() -> None:
    op.create_index("ix_cias_updated_at_id", "cias", [sa.text("updated_at DESC"), "id"])
    op.create_index("ix_operations_borough_lower", "operations", [sa.text("lower(borough)")])

    op.create_table(
        "cia_counts",
        sa.Column("slot", sa.Integer, nullable=False),
        sa.Column("n", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("slot", name="pk_cia_counts"),
    )
    postgresql = op.get_bind().dialect.name == "postgresql"
    slots = SLOTS if postgresql else 1
    op.execute(f"INSERT INTO cia_counts (slot, n) SELECT 0, count(*) FROM cias")
    for slot in range(1, slots):
        op.execute(f"INSERT INTO cia_counts (slot, n) VALUES ({slot}, 0)")
    if postgresql:
        # Statement triggers with transition tables: one UPDATE per statement,
        # however many rows it inserts; the slot is the connection's.
        op.execute(f"""
            CREATE FUNCTION cia_counts_add() RETURNS trigger AS $$
            BEGIN
                UPDATE cia_counts SET n = n + (SELECT count(*) FROM new_rows)
                 WHERE slot = pg_backend_pid() % {SLOTS};
                RETURN NULL;
            END $$ LANGUAGE plpgsql""")
        op.execute(f"""
            CREATE FUNCTION cia_counts_remove() RETURNS trigger AS $$
            BEGIN
                UPDATE cia_counts SET n = n - (SELECT count(*) FROM old_rows)
                 WHERE slot = pg_backend_pid() % {SLOTS};
                RETURN NULL;
            END $$ LANGUAGE plpgsql""")
        op.execute("""
            CREATE FUNCTION cia_counts_reset() RETURNS trigger AS $$
            BEGIN
                UPDATE cia_counts SET n = 0;
                RETURN NULL;
            END $$ LANGUAGE plpgsql""")
        op.execute("CREATE TRIGGER cias_count_insert AFTER INSERT ON cias "
                   "REFERENCING NEW TABLE AS new_rows "
                   "FOR EACH STATEMENT EXECUTE FUNCTION cia_counts_add()")
        op.execute("CREATE TRIGGER cias_count_delete AFTER DELETE ON cias "
                   "REFERENCING OLD TABLE AS old_rows "
                   "FOR EACH STATEMENT EXECUTE FUNCTION cia_counts_remove()")
        op.execute("CREATE TRIGGER cias_count_truncate AFTER TRUNCATE ON cias "
                   "FOR EACH STATEMENT EXECUTE FUNCTION cia_counts_reset()")
    else:  # SQLite: one writer at a time, one row
        op.execute("CREATE TRIGGER cias_count_insert AFTER INSERT ON cias "
                   "BEGIN UPDATE cia_counts SET n = n + 1 WHERE slot = 0; END")
        op.execute("CREATE TRIGGER cias_count_delete AFTER DELETE ON cias "
                   "BEGIN UPDATE cia_counts SET n = n - 1 WHERE slot = 0; END")


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS cias_count_insert ON cias"
               if op.get_bind().dialect.name == "postgresql" else
               "DROP TRIGGER IF EXISTS cias_count_insert")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS cias_count_delete ON cias")
        op.execute("DROP TRIGGER IF EXISTS cias_count_truncate ON cias")
        for fn in ("cia_counts_add", "cia_counts_remove", "cia_counts_reset"):
            op.execute(f"DROP FUNCTION IF EXISTS {fn}()")
    else:
        op.execute("DROP TRIGGER IF EXISTS cias_count_delete")
    op.drop_table("cia_counts")
    op.drop_index("ix_operations_borough_lower", table_name="operations")
    op.drop_index("ix_cias_updated_at_id", table_name="cias")
