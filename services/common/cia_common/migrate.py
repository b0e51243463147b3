"""Apply a service's Alembic migrations, once, even when several processes start together."""
from __future__ import annotations

import fcntl
import functools
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory

from .db import is_sqlite

_PG_LOCK_KEY = 7_245_001  # arbitrary, constant per project


def alembic_config(script_location: str | Path, url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(script_location))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


@functools.cache
def _heads(script_location: str) -> frozenset[str]:
    """The head revisions of a service's migrations (read once per process)."""
    return frozenset(ScriptDirectory(script_location).get_heads())


def at_head(url: str, script_location: str | Path) -> bool:
    """Whether the database is already at the newest migration: one query, no lock,
    so a process starting against a migrated database does no migration work."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            if not sa.inspect(conn).has_table("alembic_version"):
                return False
            current = {r[0] for r in conn.execute(sa.text("SELECT version_num FROM alembic_version"))}
    except sa.exc.SQLAlchemyError:
        return False
    finally:
        engine.dispose()
    return current == _heads(str(script_location))


def upgrade(url: str, script_location: str | Path) -> None:
    if at_head(url, script_location):
        return
    cfg = alembic_config(script_location, url)
    if is_sqlite(url):
        # An in-memory database (``sqlite://``) has no file to lock beside it.
        database = sa.engine.make_url(url).database
        if not database or database == ":memory:":
            command.upgrade(cfg, "head")
            return
        lock_path = Path(database + ".migrate.lock")
        lock_path.parent.mkdir(parents=True, exist_ok=True)
        with open(lock_path, "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            command.upgrade(cfg, "head")
        return
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT pg_advisory_lock(:k)"), {"k": _PG_LOCK_KEY})
            try:
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, "head")
                conn.commit()
            finally:
                conn.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": _PG_LOCK_KEY})
                conn.commit()
    finally:
        engine.dispose()


def run_env(context) -> None:
    """The body of every service's ``migrations/env.py``."""
    connection = context.config.attributes.get("connection")
    if connection is not None:
        context.configure(connection=connection, target_metadata=None)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = sa.create_engine(context.config.get_main_option("sqlalchemy.url"))
    try:
        with engine.connect() as conn:
            context.configure(connection=conn, target_metadata=None)
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()
