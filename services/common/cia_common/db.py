"""Engine, sessions and the unit of work.

A unit of work is one database transaction; events emitted inside it are written
to the outbox in that same transaction, so a state change and its event commit
together or not at all.
"""
from __future__ import annotations

import os
import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timezone
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.attributes import set_committed_value

from cia_schemas.contracts import check_emitted

from . import tracing
from .events import CloudEvent, utcnow
from .tables import outbox

# Wakes a relay running in the same process as soon as a unit of work commits events.
outbox_signal = threading.Event()


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def make_engine(url: str) -> sa.Engine:
    # hide_parameters (both backends): a database error quoted in a log must not
    # carry the statement's values (CIA content, personal data, secrets).
    if is_sqlite(url):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(url, connect_args={"timeout": 30, "check_same_thread": False},
                                  hide_parameters=True)

        @sa_event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):
            # WAL lets the web and worker processes read while one writes.
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()
            # pysqlite's own transaction handling defers BEGIN until the first
            # write, which lets two writers both read stale rows; take the write
            # lock at BEGIN instead.
            dbapi_conn.isolation_level = None

        @sa_event.listens_for(engine, "begin")
        def _sqlite_begin(conn):
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    # A database that does not answer fails a request in seconds (503), not minutes.
    engine = sa.create_engine(url, pool_size=5, max_overflow=10, pool_timeout=10,
                              connect_args={"connect_timeout": 5}, hide_parameters=True)
    _ping_when_idle(engine)
    return engine


# A pooled connection idle for longer than this is pinged before it is handed out.
PING_AFTER_IDLE_S = 1.0


def _ping_when_idle(engine: sa.Engine) -> None:
    """SQLAlchemy's ``pool_pre_ping``, but only for connections that sat idle: a ping
    is a round trip, as long as the one statement of a cached read. A connection used
    within the last second is handed out as it is; if the server went away in that
    second, the statement fails (503, nothing saved), SQLAlchemy sees the disconnect
    and invalidates the whole pool, so the next requests reconnect."""

    @sa_event.listens_for(engine, "checkin")
    def _idle_from(_dbapi_conn, record):
        record.info["idle_since"] = time.monotonic()

    @sa_event.listens_for(engine, "checkout")
    def _ping_if_idle(dbapi_conn, record, _proxy):
        since = record.info.get("idle_since")
        if since is None or time.monotonic() - since <= PING_AFTER_IDLE_S:
            return  # fresh from connect, or just used
        try:
            engine.dialect.do_ping(dbapi_conn)
        except Exception as exc:  # noqa: BLE001 - any failure: the pool reconnects
            raise sa.exc.DisconnectionError(str(exc)) from exc


class UTCDateTime(sa.types.TypeDecorator):
    """Aware UTC datetimes in and out on both backends. SQLite keeps no offset, so
    values are stored there as naive UTC in one format (it compares the text);
    a naive value given in is taken to be UTC."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


class PlainRead:
    """One SELECT outside a transaction, for a read that is all of a request's
    database work (a cached representation's key): the rows as plain tuples, each
    value as SQLAlchemy's column types give it.

    On PostgreSQL (psycopg) it runs on the calling thread's own reading connection
    (``_ReadingConnections``), compiled once and prepared by the server, in
    autocommit: no pool checkout, no BEGIN or ROLLBACK, and none of SQLAlchemy's
    per-statement work (its execution context and result set-up cost twice the
    statement's own client time). Anywhere else, when a listener watches the
    engine's statements (a test, a profile), or when the driver raises, it goes
    through SQLAlchemy as any statement does, which also reports and handles a lost
    connection; a read run twice changes nothing."""

    def __init__(self, statement: sa.Select):
        self.statement = statement
        self._compiled: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # by engine

    def rows(self, engine: sa.Engine, params: dict) -> list[tuple]:
        if engine.dialect.driver == "psycopg" and not engine.dispatch.before_cursor_execute \
                and not engine.dispatch.after_cursor_execute:
            try:
                return self._driver_rows(engine, params)
            except engine.dialect.loaded_dbapi.Error:
                _READERS.drop(engine)  # its state is unknown: never used again
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            return [tuple(row) for row in conn.execute(self.statement, params)]

    def _driver_rows(self, engine: sa.Engine, params: dict) -> list[tuple]:
        compiled = self._compiled.get(engine)
        if compiled is None:
            sql = self.statement.compile(dialect=engine.dialect).string
            processors = tuple((i, p) for i, c in enumerate(self.statement.selected_columns)
                               if (p := c.type.result_processor(engine.dialect, None)))
            compiled = self._compiled.setdefault(engine, (sql, processors))
        sql, processors = compiled
        cursor = _READERS.cursor(engine)
        cursor.execute(sql, params, prepare=True)
        rows = cursor.fetchall()
        if not processors:
            return rows
        out = []
        for row in rows:
            values = list(row)
            for i, process in processors:
                values[i] = process(values[i])
            out.append(tuple(values))
        return out


class _ReadingConnections:
    """Per thread and engine, one connection in autocommit kept for plain reads.

    It is taken from the engine's pool once and detached from it, so it was made
    as the pool makes every connection (the engine's connect arguments and
    listeners); the pool is not touched again for a read. A connection the driver
    failed on is dropped (and a new one made for the next read); a forked child
    never uses its parent's; ``Engine.dispose`` closes every thread's (a test that
    drops its database, a process that shuts down)."""

    def __init__(self) -> None:
        self._local = threading.local()
        self._lock = threading.Lock()
        self._open: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # engine -> [fairy]

    def cursor(self, engine: sa.Engine):
        mine = getattr(self._local, "by_engine", None)
        if mine is None or self._local.pid != os.getpid():
            mine = self._local.by_engine = weakref.WeakKeyDictionary()
            self._local.pid = os.getpid()
        held = mine.get(engine)
        if held is None or held[1].closed:
            held = mine[engine] = self._open_one(engine)
        return held[2]

    def _open_one(self, engine: sa.Engine) -> tuple:
        fairy = engine.raw_connection()
        try:
            driver = fairy.driver_connection
            fairy.detach()
            driver.autocommit = True
            cursor = driver.cursor()
        except BaseException:
            fairy.invalidate()
            raise
        with self._lock:
            opened = self._open.get(engine)
            if opened is None:
                opened = self._open[engine] = []
                sa_event.listen(engine, "engine_disposed", self._close_all)
            opened.append(fairy)
        return fairy, driver, cursor

    def drop(self, engine: sa.Engine) -> None:
        mine = getattr(self._local, "by_engine", None)
        held = mine.pop(engine, None) if mine is not None else None
        if held is not None:
            self._close(engine, held[0])

    def _close(self, engine: sa.Engine, fairy) -> None:
        with self._lock:
            opened = self._open.get(engine) or []
            if fairy in opened:
                opened.remove(fairy)
        try:
            fairy.close()
        except Exception:  # noqa: BLE001 - closing a broken connection
            pass

    def _close_all(self, engine: sa.Engine) -> None:
        with self._lock:
            opened = self._open.pop(engine, [])
        for fairy in opened:
            try:
                fairy.close()
            except Exception:  # noqa: BLE001 - closing a broken connection
                pass


_READERS = _ReadingConnections()


class Database:
    def __init__(self, url: str):
        self.url = url
        self.engine = make_engine(url)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def ping(self) -> None:
        with self.engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))

    def unit_of_work(self, source: str, topic: str,
                     recorder: "Recorder | None" = None) -> "UnitOfWork":
        return UnitOfWork(self, source=source, topic=topic, recorder=recorder)

    def dispose(self) -> None:
        self.engine.dispose()


@dataclass(frozen=True)
class DomainEvent:
    """One change, stated once by the domain. The unit of work records it: the
    service's recorder (authoring's audit trail) and, when it carries ``data``,
    the outbox row of the CloudEvent ``type``."""
    type: str
    subject: str
    data: dict | None = None  # the event's data (its contract's); None: recorded only
    actor: object | None = None  # who made the change (cia_common.actors.Actor)
    version: int | None = None
    content_sha256: str | None = None
    detail: dict | None = None  # what the service's own record keeps of it
    # Fields of ``data`` the producer validated against their own schema in this
    # request (the submitted content): the contract does not validate them again.
    validated: tuple[str, ...] = ()


# A service's own record of each change, written in the same transaction.
Recorder = Callable[["UnitOfWork", DomainEvent], None]


class UnitOfWork:
    """``with db.unit_of_work(...) as uow: ...; uow.commit()``

    Leaving the block without ``commit()`` rolls everything back.
    """

    def __init__(self, db: Database, *, source: str, topic: str,
                 recorder: Recorder | None = None):
        self.db = db
        self.source = source
        self.topic = topic
        self.recorder = recorder
        self.session: Session | None = None
        self.events: list[CloudEvent] = []
        self._after_commit: list[Callable[[], object]] = []
        self._writes: dict[object, object] = {}  # queued writes, in order (insert_later)

    def __enter__(self) -> "UnitOfWork":
        self.session = self.db.sessions()
        self.events = []
        self._after_commit = []
        self._writes = {}
        return self

    def __exit__(self, *exc) -> None:
        try:
            self.session.rollback()
        finally:
            self.session.close()

    def emit(self, type: str, subject: str, data: dict, *, key: str | None = None,
             validated: tuple[str, ...] = ()) -> CloudEvent:
        """Record an event to be published once this unit of work commits.

        The data must meet the event type's contract (:mod:`cia_schemas.contracts`):
        raises ``EventDataError`` otherwise, before anything is written."""
        check_emitted(self.source, type, data, validated)
        trace_context = tracing.carrier()
        event = CloudEvent(type=type, source=self.source, subject=subject, data=data,
                           traceparent=trace_context.get("traceparent"),
                           tracestate=trace_context.get("tracestate"))
        self.insert_later(outbox, dict(
            event_id=event.id, topic=self.topic, key=key if key is not None else subject,
            event_type=type, payload=event.to_json(), created_at=utcnow(), attempts=0))
        self.events.append(event)
        return event

    # Rows nothing reads back in this transaction (outbox rows, audit entries, the
    # head moved with them) are queued and written together when the unit of work
    # flushes (``flush``, ``commit``), after the session's own pending rows: on
    # PostgreSQL in one statement (one round trip), elsewhere one statement each.

    def insert_later(self, table: sa.Table, row: dict) -> None:
        """Queue ``row`` for ``table``: the rows of one table are one multi-row INSERT,
        in the order they were queued (the outbox keeps the events' order)."""
        self._writes[object()] = (table, row)

    def write_later(self, write: Callable[[], "sa.Executable | None"], key: object) -> None:
        """Queue ``write()``, called at the flush for its statement (or None), so that
        it takes the values of that moment. A later write with the same ``key``
        replaces this one (one statement per row)."""
        self._writes.pop(key, None)
        self._writes[key] = write

    def update_later(self, obj) -> None:
        """Write the loaded ``obj``'s column changes with the queued writes, not at the
        session's next flush: the row's UPDATE (and the locks its triggers take) goes
        out with the commit's one statement. Its changes so far are taken as written
        at once (a flush in between does not send them); at the flush the UPDATE
        carries the row's values of that moment, later changes included."""
        state = sa.inspect(obj)
        if state.pending:  # a new row: its INSERT carries everything
            return
        key = ("update", state.mapper.local_table.name, state.identity_key)
        queued = self._writes.get(key)
        columns = queued.columns if isinstance(queued, _RowUpdate) else set()
        columns |= _take_changes(obj)
        self._writes.pop(key, None)
        self._writes[key] = _RowUpdate(obj, columns)

    def flush(self) -> None:
        """Write everything pending: the session's rows, then the queued writes."""
        queued, self._writes = list(self._writes.values()), {}
        statements = []
        rows: dict[tuple, list[dict]] = {}
        for item in queued:
            if isinstance(item, tuple):
                table, row = item
                shape = (table, tuple(row))
                if shape not in rows:
                    rows[shape] = []
                    statements.append(shape)
                rows[shape].append(row)
            else:
                statement = item.statement() if isinstance(item, _RowUpdate) else item()
                if statement is not None:
                    statements.append(statement)
        # One row as a plain INSERT: SQLAlchemy caches its compiled form (it compiles
        # a multi-row INSERT, or any statement holding one, on every execution).
        statements = [(sa.insert(s[0]).values(rows[s][0]) if len(rows[s]) == 1 else
                       sa.insert(s[0]).values(rows[s])) if isinstance(s, tuple) else s
                      for s in statements]
        self.session.flush()
        if len(statements) > 1 and self.db.dialect == "postgresql":
            # None of them reads what another writes, so each but the last is a
            # data-modifying CTE of the last.
            *first, last = statements
            statements = [last.add_cte(*(s.cte(f"w{i}") for i, s in enumerate(first)))]
        for statement in statements:
            self.session.execute(statement)

    def record(self, event: DomainEvent) -> CloudEvent | None:
        """Record one change: the service's record of it, then its event (if any)."""
        if self.recorder is not None:
            self.recorder(self, event)
        if event.data is None:
            return None
        return self.emit(event.type, event.subject, event.data, validated=event.validated)

    def after_commit(self, callback: Callable[[], object]) -> None:
        """Run ``callback`` once this unit of work has committed (never if it does not):
        work that may start only when the rows it reads are durable, handed over at
        once instead of being found again by a poll."""
        self._after_commit.append(callback)

    def commit(self) -> None:
        self.flush()
        self.session.commit()
        if self.events:
            outbox_signal.set()
        callbacks, self._after_commit = self._after_commit, []
        for callback in callbacks:
            callback()

    def rollback(self) -> None:
        self._writes = {}
        self.session.rollback()


def _take_changes(obj) -> set:
    """The column attributes of ``obj`` changed since it was loaded, now taken as its
    loaded values (so that no flush writes them)."""
    state = sa.inspect(obj)
    changed = set()
    for attr in state.mapper.column_attrs:
        added = state.attrs[attr.key].history.added
        if added:
            set_committed_value(obj, attr.key, added[-1])
            changed.add(attr)
    return changed


@dataclass
class _RowUpdate:
    """A queued UPDATE of one loaded row (``UnitOfWork.update_later``)."""
    obj: object
    columns: set

    def statement(self):
        self.columns |= _take_changes(self.obj)
        if not self.columns:
            return None
        mapper = sa.inspect(self.obj).mapper
        table = mapper.local_table
        return sa.update(table).where(*[
            col == getattr(self.obj, mapper.get_property_by_column(col).key)
            for col in mapper.primary_key]).values(
            {attr.columns[0]: getattr(self.obj, attr.key) for attr in self.columns})
