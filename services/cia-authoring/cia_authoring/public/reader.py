"""The published snapshots, read: the public log's only access to any data.

``PUBLIC_DATABASE_URL`` (env ``CIA_PUBLIC_DATABASE_URL``) names it: a PostgreSQL URL
with the role that may read the snapshot table only (``cia_public``), or an SQLite
file (default ``$CIA_DATA_DIR/authoring-public.db``), opened read-only. A file the
worker has not written yet is an empty log.
"""
from __future__ import annotations

import json
import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from cia_authoring.published import ENTRY, MEDIA_TYPES, PublishedSnapshot

TABLE = PublishedSnapshot.__table__


def default_url() -> str:
    data_dir = Path(os.environ.get("CIA_DATA_DIR") or Path.cwd() / ".state" / "data")
    return f"sqlite:///{data_dir / 'authoring-public.db'}"


def make_engine(url: str) -> sa.Engine:
    if url.startswith("sqlite"):
        path = sa.engine.make_url(url).database or ""

        def read_only() -> sqlite3.Connection:
            # mode=ro: this process cannot write to the file, whatever it runs.
            return sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5,
                                   check_same_thread=False)

        return sa.create_engine("sqlite://", creator=read_only, poolclass=sa.pool.NullPool)
    return sa.create_engine(url, pool_pre_ping=True, pool_size=4, max_overflow=4)


@dataclass(frozen=True)
class File:
    data: bytes
    media_type: str
    sha256: str


class Snapshots:
    def __init__(self, url: str):
        self.url = url
        self.engine = make_engine(url)
        self.sqlite = url.startswith("sqlite")

    def _missing(self, exc: sa.exc.OperationalError) -> bool:
        # On SQLite, a file (or table) the worker has not written yet: nothing sent yet.
        text = str(exc.orig)
        return self.sqlite and ("unable to open database file" in text or "no such table" in text)

    def entries(self, page: int, page_size: int) -> tuple[list[dict], int]:
        where = TABLE.c.kind == ENTRY
        try:
            with self.engine.connect() as conn:
                total = conn.scalar(sa.select(sa.func.count()).select_from(TABLE).where(where))
                rows = conn.execute(sa.select(TABLE.c.data).where(where)
                                    .order_by(TABLE.c.sent_on.desc(), TABLE.c.reference)
                                    .offset((page - 1) * page_size).limit(page_size)).scalars()
                return [json.loads(r) for r in rows], total
        except sa.exc.OperationalError as exc:
            if self._missing(exc):
                return [], 0
            raise

    def file(self, reference: str, kind: str) -> File | None:
        try:
            with self.engine.connect() as conn:
                row = conn.execute(sa.select(TABLE.c.data, TABLE.c.sha256)
                                   .where(TABLE.c.reference == reference, TABLE.c.kind == kind)
                                   ).one_or_none()
        except sa.exc.OperationalError as exc:
            if self._missing(exc):
                return None
            raise
        return File(bytes(row.data), MEDIA_TYPES[kind], row.sha256) if row else None

    def ping(self) -> None:
        try:
            with self.engine.connect() as conn:
                conn.execute(sa.select(sa.func.count()).select_from(TABLE).where(sa.false()))
        except sa.exc.OperationalError as exc:
            if not self._missing(exc):
                raise

    def dispose(self) -> None:
        self.engine.dispose()
