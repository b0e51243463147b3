"""Published snapshots: what the public disclosure log serves, written once when a
response is sent and never changed.

``published_snapshots`` holds, per sent response (its ``reference``), one row per
``kind``: the public entry (JSON), the letter (DOCX, and its PDF once the worker has
converted it) and the attachments (zip) — each already through the redaction pass.
It is the only table the public log's process can read (``cia_authoring.public``):
on PostgreSQL through a role granted ``SELECT`` on it alone (migration
0013_published_snapshots), on SQLite through a read-only copy the worker writes
(``mirror``). Nothing here imports a CIA, a requester or the redaction pass.
"""
from __future__ import annotations

import hashlib
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from cia_common.events import new_id, utcnow

from cia_authoring.base import Base

ENTRY = "entry"
LETTER_DOCX = "letter.docx"
LETTER_PDF = "letter.pdf"
ATTACHMENTS = "attachments.zip"
KINDS = (ENTRY, LETTER_DOCX, LETTER_PDF, ATTACHMENTS)
MEDIA_TYPES = {
    ENTRY: "application/json",
    LETTER_DOCX: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    LETTER_PDF: "application/pdf",
    ATTACHMENTS: "application/zip",
}
TABLE = "published_snapshots"


class PublishedSnapshot(Base):
    __tablename__ = TABLE
    __table_args__ = (sa.UniqueConstraint("reference", "kind", name="uq_published_snapshots_reference_kind"),)

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True, default=new_id)
    reference: Mapped[str] = mapped_column(sa.String(64), index=True)
    kind: Mapped[str] = mapped_column(sa.String(32))
    media_type: Mapped[str] = mapped_column(sa.String(100))
    sent_on: Mapped[date] = mapped_column(sa.Date, index=True)
    sha256: Mapped[str] = mapped_column(sa.String(64))
    size: Mapped[int] = mapped_column(sa.Integer)
    data: Mapped[bytes] = mapped_column(sa.LargeBinary, deferred=True)
    # A plain column type: the public log's process imports nothing of the database kit.
    published_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)


def snapshot(reference: str, kind: str, sent_on: date, data: bytes) -> PublishedSnapshot:
    return PublishedSnapshot(id=new_id(), reference=reference, kind=kind,
                             media_type=MEDIA_TYPES[kind], sent_on=sent_on,
                             sha256=hashlib.sha256(data).hexdigest(), size=len(data), data=data,
                             published_at=utcnow())


def columns() -> list[sa.Column]:
    """The table's columns, for the SQLite copy the public log reads (``mirror``)."""
    return [sa.Column(c.name, c.type, primary_key=c.primary_key, nullable=c.nullable)
            for c in PublishedSnapshot.__table__.columns]


def get(session, reference: str, kind: str) -> PublishedSnapshot | None:
    return session.scalar(sa.select(PublishedSnapshot).where(
        PublishedSnapshot.reference == reference, PublishedSnapshot.kind == kind))


# -- the SQLite copy the public log reads -------------------------------------------------
# On SQLite there are no roles: the worker copies every snapshot into a file of its own,
# which the public log's process opens read-only. Only this table is ever in that file.

def mirror_url(authoring_url: str, configured: str | None = None) -> str | None:
    """Where the worker copies the snapshots: ``configured`` (``PUBLIC_DATABASE_URL``), or
    beside an SQLite authoring database (``authoring.db`` → ``authoring-public.db``);
    ``None`` on PostgreSQL, where the public role reads the table itself."""
    if not authoring_url.startswith("sqlite"):
        return None
    if configured:
        return configured if configured.startswith("sqlite") else None
    path = sa.engine.make_url(authoring_url).database
    if not path or path == ":memory:":
        return None
    stem, dot, suffix = path.rpartition(".")
    return f"sqlite:///{stem}-public.{suffix}" if dot else f"sqlite:///{path}-public"


_MIRRORS: dict[str, sa.Engine] = {}


def _mirror_table(metadata: sa.MetaData) -> sa.Table:
    return sa.Table(TABLE, metadata, *columns())


def mirror(source: sa.Engine, target_url: str) -> int:
    """Copy the snapshots the SQLite file at ``target_url`` lacks; returns how many."""
    target = _MIRRORS.get(target_url)
    if target is None:
        target = _MIRRORS[target_url] = sa.create_engine(target_url,
                                                          connect_args={"timeout": 30})
    table = _mirror_table(sa.MetaData())
    table.create(target, checkfirst=True)
    with target.connect() as conn:
        known = set(conn.execute(sa.select(table.c.id)).scalars())
    source_table = PublishedSnapshot.__table__
    with source.connect() as conn:
        ids = [i for i in conn.execute(sa.select(source_table.c.id)).scalars() if i not in known]
        copied = 0
        for start in range(0, len(ids), 20):
            rows = conn.execute(sa.select(source_table)
                                .where(source_table.c.id.in_(ids[start:start + 20]))).mappings()
            batch = [dict(r) for r in rows]
            with target.begin() as out:
                out.execute(sa.insert(table), batch)
            copied += len(batch)
    return copied
