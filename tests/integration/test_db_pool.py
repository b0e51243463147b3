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


def drop_connection(database: Database) -> int:
    """The pool's connection ended by the server (as a restart or an idle timeout
    would); returns its backend pid."""
    pid = backend_pid(database)
    other = Database(database.url)
    try:
        terminate(other, pid)
    finally:
        other.dispose()
    return pid


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
    first = drop_connection(database)
    with pytest.raises(sa.exc.OperationalError):
        backend_pid(database)
    assert backend_pid(database) != first
    assert pings == []


# PlainRead: one SELECT on the thread's own reading connection, outside a transaction.
_stamps = sa.table("stamps", sa.column("id", sa.Integer), sa.column("at", cia_db.UTCDateTime()),
                   sa.column("label", sa.String))
STAMPS = sa.select(_stamps.c.id, _stamps.c.at, _stamps.c.label).where(
    _stamps.c.id >= sa.bindparam("low")).order_by(_stamps.c.id)


@pytest.fixture
def stamps(database):
    with database.engine.begin() as conn:
        # The session's time zone is not UTC: the driver answers in it, the column type in UTC.
        conn.execute(sa.text("CREATE TABLE stamps (id int PRIMARY KEY, at timestamptz, label text)"))
        conn.execute(sa.text("INSERT INTO stamps VALUES (1, '2026-03-01 12:00+01', 'one'), "
                             "(2, NULL, NULL), (3, '2026-03-02 00:30+05', 'three')"))
    return cia_db.PlainRead(STAMPS)


@pytest.fixture
def driver_reads(monkeypatch):
    calls = []
    real = cia_db.PlainRead._driver_rows

    def counting(self, engine, params):
        calls.append(params)
        return real(self, engine, params)

    monkeypatch.setattr(cia_db.PlainRead, "_driver_rows", counting)
    return calls


def through_sqlalchemy(database, low: int) -> list[tuple]:
    with database.engine.connect() as conn:
        return [tuple(row) for row in conn.execute(STAMPS, {"low": low})]


def test_a_plain_read_gives_what_sqlalchemy_gives_on_the_drivers_cursor(database, stamps,
                                                                        driver_reads):
    with database.engine.begin() as conn:
        conn.execute(sa.text("ALTER DATABASE " + database.engine.url.database
                             + " SET TimeZone = 'Asia/Kolkata'"))
    database.engine.dispose()  # new connections take the zone
    for low in (1, 1, 3, 9):
        rows = stamps.rows(database.engine, {"low": low})
        # Same values, types and zone objects (aware UTC) as SQLAlchemy's own result.
        assert repr(rows) == repr(through_sqlalchemy(database, low))
    assert len(driver_reads) == 4
    assert stamps.rows(database.engine, {"low": 3})[0][1].isoformat() == "2026-03-01T19:30:00+00:00"
    # Outside a transaction, and the connection goes back to the pool as it came.
    with database.engine.connect() as conn:
        driver = conn.connection.driver_connection
        assert driver.autocommit is False
        assert driver.info.transaction_status.name == "IDLE"


def test_a_watched_engine_reads_through_sqlalchemy(database, stamps, driver_reads):
    sent = []

    def record(conn, cursor, statement, parameters, context, executemany):
        sent.append(statement)

    sa.event.listen(database.engine, "before_cursor_execute", record)
    try:
        rows = stamps.rows(database.engine, {"low": 1})
    finally:
        sa.event.remove(database.engine, "before_cursor_execute", record)
    assert [r[0] for r in rows] == [1, 2, 3]
    assert driver_reads == [] and len(sent) == 1 and "FROM stamps" in sent[0]
    # Positive control: unwatched, the same read takes the driver's cursor.
    assert stamps.rows(database.engine, {"low": 1}) == rows and len(driver_reads) == 1


def reader_pid(database, stamps) -> int:
    """The backend of this thread's reading connection (made by a first read)."""
    stamps.rows(database.engine, {"low": 9})
    cursor = cia_db._READERS.cursor(database.engine)
    cursor.execute("SELECT pg_backend_pid()")
    return cursor.fetchone()[0]


def test_plain_reads_keep_one_connection_per_thread_and_leave_the_pool_alone(database, stamps,
                                                                           driver_reads):
    mine = reader_pid(database, stamps)
    pooled = backend_pid(database)
    for low in (1, 2, 3):
        stamps.rows(database.engine, {"low": low})
    assert reader_pid(database, stamps) == mine != pooled
    # The pool's connection is the one it had: reads neither took nor changed it.
    assert backend_pid(database) == pooled
    with database.engine.connect() as conn:
        assert conn.connection.driver_connection.autocommit is False
    # Another thread reads on a connection of its own.
    import threading
    seen = []
    thread = threading.Thread(target=lambda: seen.append(reader_pid(database, stamps)))
    thread.start()
    thread.join()
    assert seen and seen[0] != mine


def test_dispose_closes_the_reading_connections(database, stamps):
    mine = reader_pid(database, stamps)
    database.dispose()
    other = Database(database.url)
    try:
        with other.engine.connect() as conn:
            alive = conn.execute(sa.text("SELECT count(*) FROM pg_stat_activity WHERE pid = :p"),
                                 {"p": mine}).scalar_one()
    finally:
        other.dispose()
    assert alive == 0
    # Positive control: reading again opens a new one, which is there.
    assert [r[0] for r in stamps.rows(database.engine, {"low": 3})] == [3]
    assert reader_pid(database, stamps) != mine


def test_a_plain_read_on_a_dropped_connection_answers_from_a_new_one(database, stamps,
                                                                     driver_reads):
    first = reader_pid(database, stamps)
    other = Database(database.url)
    try:
        terminate(other, first)  # as a restart or an idle timeout would
    finally:
        other.dispose()
    assert [r[0] for r in stamps.rows(database.engine, {"low": 2})] == [2, 3]
    assert len(driver_reads) == 2  # the driver failed; SQLAlchemy answered
    assert reader_pid(database, stamps) != first  # and the next read has a new connection
