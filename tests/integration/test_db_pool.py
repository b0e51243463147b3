"""The pool pings a PostgreSQL connection only when it sat idle: a connection just
used goes out as it is (a cached read is one round trip, not two), and one the
server dropped while idle is replaced before a request sees it."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from cia_common import db as cia_db
from cia_common.db import Database

pytestmark = pytest.mark.integration


@pytest.fixture
def database(pg_databases):
    database = Database(pg_databases.new("pool"))
    yield database
    database.dispose()


@pytest.fixture
def pings(database, monkeypatch):
    calls = []
    real = database.engine.dialect.do_ping

    def counting(dbapi_conn):
        calls.append(dbapi_conn)
        return real(dbapi_conn)

    monkeypatch.setattr(database.engine.dialect, "do_ping", counting)
    return calls


def backend_pid(database) -> int:
    with database.engine.connect() as conn:
        return conn.execute(sa.text("SELECT pg_backend_pid()")).scalar_one()


def terminate(database, pid: int) -> None:
    with database.engine.connect() as conn:
        conn.execute(sa.text("SELECT pg_terminate_backend(:p)"), {"p": pid})


def test_a_connection_just_used_is_not_pinged_and_an_idle_one_is(database, pings, monkeypatch):
    monkeypatch.setattr(cia_db, "PING_AFTER_IDLE_S", 3600.0)  # however slow the machine
    backend_pid(database)  # connects: a new connection needs no ping
    backend_pid(database)
    assert pings == []
    monkeypatch.setattr(cia_db, "PING_AFTER_IDLE_S", -1.0)  # every connection "idle"
    backend_pid(database)
    assert len(pings) == 1


def test_a_connection_dropped_while_idle_is_replaced_before_use(database, pings, monkeypatch):
    first = backend_pid(database)
    other = Database(database.url)  # a second pool's connection ends the first's
    try:
        terminate(other, first)
    finally:
        other.dispose()
    monkeypatch.setattr(cia_db, "PING_AFTER_IDLE_S", -1.0)
    assert backend_pid(database) != first  # the failed ping reconnected, no error
    assert pings


def test_without_the_ping_a_dropped_connection_fails_once_and_the_pool_recovers(
        database, pings, monkeypatch):
    # Positive control for the test above: within the idle time nothing pings, so
    # the dropped connection's statement fails, and the pool is renewed after it.
    monkeypatch.setattr(cia_db, "PING_AFTER_IDLE_S", 3600.0)
    first = backend_pid(database)
    other = Database(database.url)
    try:
        terminate(other, first)
    finally:
        other.dispose()
    with pytest.raises(sa.exc.OperationalError):
        backend_pid(database)
    assert backend_pid(database) != first
    assert pings == []
