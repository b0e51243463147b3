"""The CIA list filtered by status at any scale: the status on the CIA's own row, an
index that serves the filter in the list's order, and the count per status kept by
the database, so a filtered page neither sorts nor counts every matching CIA.

- ``cias.status``: the latest version's status, kept by triggers whoever writes
  (a version inserted, its status changed or deleted; ``latest_version`` moved);
- ``ix_cias_status_updated_at_id``: (status, last change first, id), so a filtered
  page (by offset or keyset) walks one index range;
- ``cia_status_counts``: CIAs per status, kept by triggers on ``cias``; on
  PostgreSQL in 16 slots per status as ``cia_counts`` (0011), so concurrent
  writers add to different rows.

Revision ID: 0019_status_list
Revises: 0017_release_terms
Create Date: 2026-12-08
"""
import sqlalchemy as sa
from alembic import op

revision = "0019_status_list"
down_revision = "0017_release_terms"
branch_labels = None
depends_on = None

SLOTS = 16

_SET_FROM_VERSION = ("UPDATE cias SET status = {v}.status WHERE id = {v}.cia_id "
                     "AND latest_version = {v}.number")


def upgrade() -> None:
    # Plain ADD COLUMN (no table copy on SQLite, which would drop the 0011 triggers).
    op.add_column("cias", sa.Column("status", sa.String(24), nullable=True))
    op.execute("UPDATE cias SET status = (SELECT v.status FROM cia_versions v "
               "WHERE v.cia_id = cias.id AND v.number = cias.latest_version)")
    op.create_index("ix_cias_status_updated_at_id", "cias",
                    ["status", sa.text("updated_at DESC"), "id"])
    op.create_table(
        "cia_status_counts",
        sa.Column("status", sa.String(24), nullable=False),
        sa.Column("slot", sa.Integer, nullable=False),
        sa.Column("n", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("status", "slot", name="pk_cia_status_counts"),
    )
    op.execute("INSERT INTO cia_status_counts (status, slot, n) "
               "SELECT status, 0, count(*) FROM cias WHERE status IS NOT NULL GROUP BY status")
    if op.get_bind().dialect.name == "postgresql":
        _postgresql()
    else:
        _sqlite()


def _postgresql() -> None:
    # The status follows the latest version. A bulk insert of versions is one UPDATE.
    op.execute("""
        CREATE FUNCTION cia_status_versions_added() RETURNS trigger AS $$
        BEGIN
            UPDATE cias c SET status = v.status FROM new_rows v
             WHERE c.id = v.cia_id AND c.latest_version = v.number
               AND c.status IS DISTINCT FROM v.status;
            RETURN NULL;
        END $$ LANGUAGE plpgsql""")
    op.execute("""
        CREATE FUNCTION cia_status_version_changed() RETURNS trigger AS $$
        BEGIN
            UPDATE cias SET status = NEW.status
             WHERE id = NEW.cia_id AND latest_version = NEW.number;
            RETURN NULL;
        END $$ LANGUAGE plpgsql""")
    op.execute("""
        CREATE FUNCTION cia_status_version_removed() RETURNS trigger AS $$
        BEGIN
            UPDATE cias SET status = NULL
             WHERE id = OLD.cia_id AND latest_version = OLD.number AND status IS NOT NULL;
            RETURN NULL;
        END $$ LANGUAGE plpgsql""")
    # BEFORE, so the moved latest_version and its status are written in one row version.
    op.execute("""
        CREATE FUNCTION cia_status_latest_moved() RETURNS trigger AS $$
        BEGIN
            NEW.status := (SELECT status FROM cia_versions
                            WHERE cia_id = NEW.id AND number = NEW.latest_version);
            RETURN NEW;
        END $$ LANGUAGE plpgsql""")
    op.execute("CREATE TRIGGER cia_versions_status_insert AFTER INSERT ON cia_versions "
               "REFERENCING NEW TABLE AS new_rows "
               "FOR EACH STATEMENT EXECUTE FUNCTION cia_status_versions_added()")
    op.execute("CREATE TRIGGER cia_versions_status_update AFTER UPDATE ON cia_versions "
               "FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status) "
               "EXECUTE FUNCTION cia_status_version_changed()")
    op.execute("CREATE TRIGGER cia_versions_status_delete AFTER DELETE ON cia_versions "
               "FOR EACH ROW EXECUTE FUNCTION cia_status_version_removed()")
    op.execute("CREATE TRIGGER cias_status_latest BEFORE UPDATE ON cias "
               "FOR EACH ROW WHEN (OLD.latest_version IS DISTINCT FROM NEW.latest_version) "
               "EXECUTE FUNCTION cia_status_latest_moved()")

    # The counts. Both rows a move touches are upserted in status order, so two
    # opposite moves in one slot (submitted ⇄ changes_requested) cannot deadlock.
    op.execute(f"""
        CREATE FUNCTION cia_status_counts_move() RETURNS trigger AS $$
        BEGIN
            INSERT INTO cia_status_counts AS c (status, slot, n)
            SELECT d.status, pg_backend_pid() % {SLOTS}, d.n
              FROM (VALUES (OLD.status, -1), (NEW.status, 1)) AS d(status, n)
             WHERE d.status IS NOT NULL ORDER BY d.status
            ON CONFLICT (status, slot) DO UPDATE SET n = c.n + EXCLUDED.n;
            RETURN NULL;
        END $$ LANGUAGE plpgsql""")
    for name, table, sign in (("cia_status_counts_add", "new_rows", 1),
                              ("cia_status_counts_remove", "old_rows", -1)):
        op.execute(f"""
            CREATE FUNCTION {name}() RETURNS trigger AS $$
            BEGIN
                INSERT INTO cia_status_counts AS c (status, slot, n)
                SELECT status, pg_backend_pid() % {SLOTS}, {sign} * count(*) FROM {table}
                 WHERE status IS NOT NULL GROUP BY status ORDER BY status
                ON CONFLICT (status, slot) DO UPDATE SET n = c.n + EXCLUDED.n;
                RETURN NULL;
            END $$ LANGUAGE plpgsql""")
    op.execute("""
        CREATE FUNCTION cia_status_counts_reset() RETURNS trigger AS $$
        BEGIN
            DELETE FROM cia_status_counts;
            RETURN NULL;
        END $$ LANGUAGE plpgsql""")
    op.execute("CREATE TRIGGER cias_status_count_update AFTER UPDATE ON cias "
               "FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status) "
               "EXECUTE FUNCTION cia_status_counts_move()")
    op.execute("CREATE TRIGGER cias_status_count_insert AFTER INSERT ON cias "
               "REFERENCING NEW TABLE AS new_rows "
               "FOR EACH STATEMENT EXECUTE FUNCTION cia_status_counts_add()")
    op.execute("CREATE TRIGGER cias_status_count_delete AFTER DELETE ON cias "
               "REFERENCING OLD TABLE AS old_rows "
               "FOR EACH STATEMENT EXECUTE FUNCTION cia_status_counts_remove()")
    op.execute("CREATE TRIGGER cias_status_count_truncate AFTER TRUNCATE ON cias "
               "FOR EACH STATEMENT EXECUTE FUNCTION cia_status_counts_reset()")


def _upsert(status: str, n: int) -> str:
    return (f"INSERT INTO cia_status_counts (status, slot, n) SELECT {status}, 0, {n} "
            f"WHERE {status} IS NOT NULL "
            f"ON CONFLICT (status, slot) DO UPDATE SET n = n + excluded.n;")


def _sqlite() -> None:  # one writer at a time: row triggers, one slot
    op.execute("CREATE TRIGGER cia_versions_status_insert AFTER INSERT ON cia_versions "
               f"BEGIN {_SET_FROM_VERSION.format(v='NEW')}; END")
    op.execute("CREATE TRIGGER cia_versions_status_update AFTER UPDATE OF status ON cia_versions "
               "WHEN OLD.status IS NOT NEW.status "
               f"BEGIN {_SET_FROM_VERSION.format(v='NEW')}; END")
    op.execute("CREATE TRIGGER cia_versions_status_delete AFTER DELETE ON cia_versions "
               "BEGIN UPDATE cias SET status = NULL WHERE id = OLD.cia_id "
               "AND latest_version = OLD.number AND status IS NOT NULL; END")
    op.execute("CREATE TRIGGER cias_status_latest AFTER UPDATE OF latest_version ON cias "
               "WHEN OLD.latest_version IS NOT NEW.latest_version "
               "BEGIN UPDATE cias SET status = (SELECT status FROM cia_versions "
               "WHERE cia_id = NEW.id AND number = NEW.latest_version) WHERE id = NEW.id; END")
    op.execute("CREATE TRIGGER cias_status_count_update AFTER UPDATE OF status ON cias "
               "WHEN OLD.status IS NOT NEW.status "
               f"BEGIN {_upsert('OLD.status', -1)} {_upsert('NEW.status', 1)} END")
    op.execute("CREATE TRIGGER cias_status_count_insert AFTER INSERT ON cias "
               f"WHEN NEW.status IS NOT NULL BEGIN {_upsert('NEW.status', 1)} END")
    op.execute("CREATE TRIGGER cias_status_count_delete AFTER DELETE ON cias "
               f"WHEN OLD.status IS NOT NULL BEGIN {_upsert('OLD.status', -1)} END")


_SQLITE_TRIGGERS = ("cia_versions_status_insert", "cia_versions_status_update",
                    "cia_versions_status_delete", "cias_status_latest",
                    "cias_status_count_update", "cias_status_count_insert",
                    "cias_status_count_delete")
_PG_TRIGGERS = {"cia_versions": ("cia_versions_status_insert", "cia_versions_status_update",
                                 "cia_versions_status_delete"),
                "cias": ("cias_status_latest", "cias_status_count_update",
                         "cias_status_count_insert", "cias_status_count_delete",
                         "cias_status_count_truncate")}
_PG_FUNCTIONS = ("cia_status_versions_added", "cia_status_version_changed",
                 "cia_status_version_removed", "cia_status_latest_moved",
                 "cia_status_counts_move", "cia_status_counts_add", "cia_status_counts_remove",
                 "cia_status_counts_reset")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table, triggers in _PG_TRIGGERS.items():
            for trigger in triggers:
                op.execute(f"DROP TRIGGER IF EXISTS {trigger} ON {table}")
        for fn in _PG_FUNCTIONS:
            op.execute(f"DROP FUNCTION IF EXISTS {fn}()")
    else:
        for trigger in _SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    op.drop_table("cia_status_counts")
    op.drop_index("ix_cias_status_updated_at_id", table_name="cias")
    # Plain DROP COLUMN (SQLite ≥ 3.35): no table copy that would drop 0011's triggers.
    with op.batch_alter_table("cias", recreate="never") as batch:
        batch.drop_column("status")
