"""The CIA counts on PostgreSQL are summed over 128 slots, one per connection
(``pg_backend_pid() % 128``), so that concurrent writers rarely share a row; going
back to 16 slots folds the others in without changing a total."""
from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic import command

from cia_common import migrate

from tests.conftest import _migrations

pytestmark = [pytest.mark.integration, pytest.mark.backends("postgresql")]

TOTALS = ("SELECT (SELECT sum(n) FROM cia_counts), "
          "(SELECT array_agg(s ORDER BY s) FROM (SELECT status || '=' || sum(n) AS s "
          "FROM cia_status_counts GROUP BY status) t)")


def _slot_rows(conn) -> tuple[int, int]:
    return conn.execute(sa.text(
        "SELECT (SELECT count(*) FROM cia_counts), "
        "(SELECT coalesce(max(slot), -1) FROM cia_status_counts)")).one()


def test_writers_take_their_connections_slot_among_128_and_16_again_keeps_the_totals(databases):
    url = databases.new("authoring")
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            assert _slot_rows(conn)[0] == 128
            # A connection's slot past the old 16, as the triggers pick it (the
            # functions are called as the triggers call them: they read only the pid).
            pid = conn.execute(sa.text("SELECT pg_backend_pid()")).scalar_one()
            for name in ("cia_counts_add", "cia_status_counts_move"):
                source = conn.execute(sa.text("SELECT pg_get_functiondef(CAST(:f AS regproc))"),
                                      {"f": name}).scalar_one()
                assert "pg_backend_pid() % 128" in source
            conn.execute(sa.text("UPDATE cia_counts SET n = n + 3 WHERE slot = :s"),
                         {"s": pid % 128})
            conn.execute(sa.text("UPDATE cia_counts SET n = n + 2 WHERE slot = 100"))
            conn.execute(sa.text(
                "INSERT INTO cia_status_counts (status, slot, n) VALUES "
                "('draft', 100, 4), ('draft', 3, 1), ('submitted', 127, 2), ('approved', 20, 1)"))
            before = conn.execute(sa.text(TOTALS)).one()
        assert before[0] == 5

        cfg = migrate.alembic_config(_migrations("authoring"), url)
        command.downgrade(cfg, "0020_sight_checks")
        with engine.connect() as conn:
            assert conn.execute(sa.text(TOTALS)).one() == before
            assert _slot_rows(conn) == (16, 15)
            source = conn.execute(sa.text("SELECT pg_get_functiondef('cia_counts_add'::regproc)")
                                  ).scalar_one()
            assert "pg_backend_pid() % 16" in source

        migrate.upgrade(url, _migrations("authoring"))
        with engine.connect() as conn:
            assert conn.execute(sa.text(TOTALS)).one() == before
            assert _slot_rows(conn)[0] == 128
    finally:
        engine.dispose()
