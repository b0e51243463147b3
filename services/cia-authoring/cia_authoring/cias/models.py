"""Tables of the CIAs feature (schema: migrations/versions).

- ``cias``: one per operation; the row writers lock to serialise a CIA's changes;
- ``cia_counts``: the number of CIAs, kept by triggers; ``cia_status_counts``
  the same per status of the latest version;
- ``cia_versions``: numbered versions with content, status and a ``revision``
  counter that every write bumps (the ETag is derived from it);
- ``audit_entries``: a hash chain per CIA.
"""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, backref, mapped_column, relationship

from cia_common.db import UTCDateTime
from cia_common.events import new_id, utcnow

from cia_authoring.base import Base
from cia_authoring.operations.models import Operation


class Cia(Base):
    __tablename__ = "cias"
    # The list's order, walked by keyset or offset (0011).
    __table_args__ = (sa.Index("ix_cias_updated_at_id", sa.text("updated_at DESC"), "id"),
                      # The list filtered by status, in the same order (0019).
                      sa.Index("ix_cias_status_updated_at_id", "status",
                               sa.text("updated_at DESC"), "id"))

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True, default=new_id)
    operation_id: Mapped[str] = mapped_column(sa.ForeignKey("operations.id"), unique=True)
    latest_version: Mapped[int] = mapped_column(sa.Integer, default=1)
    created_by_sub: Mapped[str] = mapped_column(sa.String(200))
    created_by_name: Mapped[str] = mapped_column(sa.String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The head of the CIA's audit chain (0016): read with the row lock every write
    # takes, so appending to the chain needs no query of its own.
    audit_seq: Mapped[int] = mapped_column(sa.Integer, default=0, server_default="0")
    audit_hash: Mapped[str | None] = mapped_column(sa.String(64))
    # The latest version's status, kept by the database's triggers (0019) whoever
    # writes: for the list's filter only. Never set it; read the version's.
    status: Mapped[str | None] = mapped_column(sa.String(24))

    # ``Operation.cia`` is the other side: an operation knows nothing of CIAs until
    # the CIA feature is loaded, so the later feature declares both directions.
    operation: Mapped[Operation] = relationship(backref=backref("cia", uselist=False),
                                                lazy="joined")


class CiaCount(Base):
    """The number of CIAs, kept by triggers on ``cias`` (0011): the sum of the
    slots (16 on PostgreSQL, so concurrent creations add to different rows)."""
    __tablename__ = "cia_counts"

    slot: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    n: Mapped[int] = mapped_column(sa.BigInteger)


class CiaStatusCount(Base):
    """CIAs per status of their latest version, kept by triggers on ``cias`` (0019):
    the sum of a status's slots."""
    __tablename__ = "cia_status_counts"

    status: Mapped[str] = mapped_column(sa.String(24), primary_key=True)
    slot: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    n: Mapped[int] = mapped_column(sa.BigInteger)


class CiaVersion(Base):
    __tablename__ = "cia_versions"
    __table_args__ = (sa.UniqueConstraint("cia_id", "number", name="uq_cia_versions_cia_number"),)

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True, default=new_id)
    cia_id: Mapped[str] = mapped_column(sa.ForeignKey("cias.id"), index=True)
    number: Mapped[int] = mapped_column(sa.Integer)
    status: Mapped[str] = mapped_column(sa.String(24), index=True)
    content: Mapped[dict] = mapped_column(sa.JSON)
    content_sha256: Mapped[str] = mapped_column(sa.String(64))
    # Bumped by every write; compared in the UPDATE's WHERE clause (optimistic lock).
    revision: Mapped[int] = mapped_column(sa.Integer, default=1)

    author_sub: Mapped[str] = mapped_column(sa.String(200))
    author_name: Mapped[str] = mapped_column(sa.String(200))
    last_editor_sub: Mapped[str] = mapped_column(sa.String(200))
    last_editor_name: Mapped[str] = mapped_column(sa.String(200))
    amendment_reason: Mapped[str | None] = mapped_column(sa.Text)
    amended_from: Mapped[int | None] = mapped_column(sa.Integer)
    # A revision: the rejected version it starts from, why, and that rejection
    # (decision, comments) kept so the planner sees what to address.
    revised_from: Mapped[int | None] = mapped_column(sa.Integer)
    revision_reason: Mapped[str | None] = mapped_column(sa.Text)
    rejection: Mapped[dict | None] = mapped_column(sa.JSON)

    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    submitted_by_sub: Mapped[str | None] = mapped_column(sa.String(200))
    submitted_by_name: Mapped[str | None] = mapped_column(sa.String(200))
    requested_reviewers: Mapped[list | None] = mapped_column(sa.JSON)

    # The last review decision applied (or blocked) on this version.
    review_id: Mapped[str | None] = mapped_column(sa.String(64))
    decision: Mapped[str | None] = mapped_column(sa.String(32))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by_sub: Mapped[str | None] = mapped_column(sa.String(200))
    decided_by_name: Mapped[str | None] = mapped_column(sa.String(200))
    decision_comment: Mapped[str | None] = mapped_column(sa.Text)
    section_comments: Mapped[list | None] = mapped_column(sa.JSON)
    status_reason: Mapped[str | None] = mapped_column(sa.Text)
    approval_blocked_reason: Mapped[str | None] = mapped_column(sa.Text)
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    superseded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    # Its stored documents (approved versions only), for reading: loaded when asked for.
    documents: Mapped[list["Document"]] = relationship(
        primaryjoin="and_(CiaVersion.cia_id == foreign(Document.cia_id), "
                    "CiaVersion.number == foreign(Document.version))",
        viewonly=True, lazy="select", order_by="(Document.kind, Document.format)")


class Document(Base):
    """A DOCX (or PDF) stored at approval: the full document or the disclosure copy, with
    the template (kind, version, SHA-256) that produced it."""
    __tablename__ = "documents"
    __table_args__ = (sa.UniqueConstraint("cia_id", "version", "kind", "format",
                                          name="uq_documents_version_kind_format"),)

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True, default=new_id)
    cia_id: Mapped[str] = mapped_column(sa.ForeignKey("cias.id"), index=True)
    version: Mapped[int] = mapped_column(sa.Integer)
    kind: Mapped[str] = mapped_column(sa.String(16))  # full | disclosure
    format: Mapped[str] = mapped_column(sa.String(8))  # docx
    sha256: Mapped[str] = mapped_column(sa.String(64))
    size: Mapped[int] = mapped_column(sa.Integer)
    data: Mapped[bytes] = mapped_column(sa.LargeBinary, deferred=True)
    redaction_log: Mapped[list | None] = mapped_column(sa.JSON)
    # The template that produced it (a PDF: its DOCX's); null before templates were recorded.
    template_kind: Mapped[str | None] = mapped_column(sa.String(32))
    template_version: Mapped[int | None] = mapped_column(sa.Integer)
    template_sha256: Mapped[str | None] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AuditEntry(Base):
    __tablename__ = "audit_entries"
    __table_args__ = (sa.UniqueConstraint("cia_id", "seq", name="uq_audit_entries_cia_seq"),)

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    cia_id: Mapped[str] = mapped_column(sa.String(36), index=True)
    seq: Mapped[int] = mapped_column(sa.Integer)
    actor_sub: Mapped[str] = mapped_column(sa.String(200))
    actor_name: Mapped[str] = mapped_column(sa.String(200))
    action: Mapped[str] = mapped_column(sa.String(48))
    version: Mapped[int | None] = mapped_column(sa.Integer)
    # Kept as the exact ISO string that was hashed, so verification is byte-exact.
    at: Mapped[str] = mapped_column(sa.String(40))
    content_sha256: Mapped[str | None] = mapped_column(sa.String(64))
    detail: Mapped[dict | None] = mapped_column(sa.JSON)
    prev_hash: Mapped[str] = mapped_column(sa.String(64))
    entry_hash: Mapped[str] = mapped_column(sa.String(64))

    def as_chain_dict(self) -> dict:
        return {
            "cia_id": self.cia_id, "seq": self.seq, "actor_sub": self.actor_sub,
            "actor_name": self.actor_name, "action": self.action, "version": self.version,
            "at": self.at, "content_sha256": self.content_sha256, "detail": self.detail,
            "prev_hash": self.prev_hash, "entry_hash": self.entry_hash,
        }
