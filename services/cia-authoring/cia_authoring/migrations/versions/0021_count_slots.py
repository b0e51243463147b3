"""The CIA counts in 128 slots instead of 16 (PostgreSQL).

A write that adds a CIA or moves one to another status adds to its connection's
slot (``pg_backend_pid() % SLOTS``) of ``cia_counts`` (0011) and
``cia_status_counts`` (0019), and holds that row until it commits. With 16 slots
and the connections of two web processes and their workers, two writers often met
in one slot, and the second waited for the first's whole transaction: under load
the most common lock wait of creating and submitting a CIA. Backends get
consecutive pids, so 128 slots keep the connections of a deployment apart; the
counts are the sums over the slots, as before.

Revision ID: 0021_count_slots
Revises: 0020_sight_checks
Create Date: 2026-12-07
"""
from alembic import op

revision = "0021_count_slots"
down_revision = "0020_sight_checks"
branch_labels = None
depends_on = None

SLOTS, PREVIOUS_SLOTS = 128, 16


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":  # SQLite: one writer, one slot
        _slots(SLOTS)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    _slots(PREVIOUS_SLOTS)
    # What the slots past the old number hold, folded into the old ones.
    op.execute(f"""
        UPDATE cia_counts c SET n = c.n + f.n
          FROM (SELECT slot % {PREVIOUS_SLOTS} AS slot, sum(n) AS n FROM cia_counts
                 WHERE slot >= {PREVIOUS_SLOTS} GROUP BY 1) f
         WHERE c.slot = f.slot""")
    op.execute(f"DELETE FROM cia_counts WHERE slot >= {PREVIOUS_SLOTS}")
    op.execute(f"""
        INSERT INTO cia_status_counts AS c (status, slot, n)
        SELECT status, slot % {PREVIOUS_SLOTS}, sum(n) FROM cia_status_counts
         WHERE slot >= {PREVIOUS_SLOTS} GROUP BY 1, 2
        ON CONFLICT (status, slot) DO UPDATE SET n = c.n + EXCLUDED.n""")
    op.execute(f"DELETE FROM cia_status_counts WHERE slot >= {PREVIOUS_SLOTS}")


def _slots(slots: int) -> None:
    """The trigger functions of 0011 and 0019 with ``slots`` slots (``cia_counts``
    updates rows that exist: they are made here)."""
    op.execute(f"INSERT INTO cia_counts (slot, n) SELECT s, 0 FROM generate_series(0, {slots - 1}) s "
               "ON CONFLICT (slot) DO NOTHING")
    for name, table, sign in (("cia_counts_add", "new_rows", "+"),
                              ("cia_counts_remove", "old_rows", "-")):
        op.execute(f"""
            CREATE OR REPLACE FUNCTION {name}() RETURNS trigger AS $$
            BEGIN
                UPDATE cia_counts SET n = n {sign} (SELECT count(*) FROM {table})
                 WHERE slot = pg_backend_pid() % {slots};
                RETURN NULL;
            END $$ LANGUAGE plpgsql""")
    # As in 0019: both rows a move touches in status order (no deadlock between
    # opposite moves in one slot).
    op.execute(f"""
        CREATE OR REPLACE FUNCTION cia_status_counts_move() RETURNS trigger AS $$
        BEGIN
            INSERT INTO cia_status_counts AS c (status, slot, n)
            SELECT d.status, pg_backend_pid() % {slots}, d.n
              FROM (VALUES (OLD.status, -1), (NEW.status, 1)) AS d(status, n)
             WHERE d.status IS NOT NULL ORDER BY d.status
            ON CONFLICT (status, slot) DO UPDATE SET n = c.n + EXCLUDED.n;
            RETURN NULL;
        END $$ LANGUAGE plpgsql""")
    for name, table, sign in (("cia_status_counts_add", "new_rows", 1),
                              ("cia_status_counts_remove", "old_rows", -1)):
        op.execute(f"""
            CREATE OR REPLACE FUNCTION {name}() RETURNS trigger AS $$
            BEGIN
                INSERT INTO cia_status_counts AS c (status, slot, n)
                SELECT status, pg_backend_pid() % {slots}, {sign} * count(*) FROM {table}
                 WHERE status IS NOT NULL GROUP BY status ORDER BY status
                ON CONFLICT (status, slot) DO UPDATE SET n = c.n + EXCLUDED.n;
                RETURN NULL;
            END $$ LANGUAGE plpgsql""")
