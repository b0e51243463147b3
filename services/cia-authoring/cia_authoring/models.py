"""SQLAlchemy 2 models of the authoring database (schema: migrations/versions).

- ``operations``: an LFR deployment and its authorisation;
- ``cias``: one per operation; the row writers lock to serialise a CIA's changes;
- ``cia_versions``: numbered versions with content, status and a ``revision``
  counter that every write bumps (the ETag is derived from it);
- ``documents``: DOCX files rendered at approval, full and disclosure copies,
  with the template (kind, version, SHA-256) that produced them;
- ``audit_entries``: a hash chain per CIA;
- ``pdf_claims``: which process is converting a stored DOCX to PDF (a lease).
"""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from cia_common.db import UTCDateTime
from cia_common.events import new_id, utcnow  # noqa: F401  (re-exported to the service's modules)


class Base(DeclarativeBase):
    pass


class Operation(Base):
    __tablename__ = "operations"

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True, default=new_id)
    reference: Mapped[str] = mapped_column(sa.String(32), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    borough: Mapped[str] = mapped_column(sa.String(200), index=True)
    ward: Mapped[str] = mapped_column(sa.String(200))
    location_name: Mapped[str] = mapped_column(sa.String(200))
    latitude: Mapped[float | None] = mapped_column(sa.Float)
    longitude: Mapped[float | None] = mapped_column(sa.Float)
    # Null only on a historic record imported from a grid that did not record it (0006).
    use_case: Mapped[str | None] = mapped_column(sa.String(32))
    planned_start: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    planned_end: Mapped[datetime] = mapped_column(UTCDateTime)
    watchlist_size: Mapped[int | None] = mapped_column(sa.Integer)
    watchlist_categories: Mapped[list] = mapped_column(sa.JSON)
    match_threshold: Mapped[float | None] = mapped_column(sa.Float)
    camera_count: Mapped[int | None] = mapped_column(sa.Integer)
    status: Mapped[str] = mapped_column(sa.String(16), index=True)

    # The authorisation (null until recorded).
    authorising_officer_name: Mapped[str | None] = mapped_column(sa.String(200))
    authorising_officer_rank: Mapped[str | None] = mapped_column(sa.String(64))
    authorising_officer_collar_number: Mapped[str | None] = mapped_column(sa.String(20))
    authorised_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    authority_reference: Mapped[str | None] = mapped_column(sa.String(100))
    authorisation_recorded_by_sub: Mapped[str | None] = mapped_column(sa.String(200))
    authorisation_recorded_by_name: Mapped[str | None] = mapped_column(sa.String(200))

    created_by_sub: Mapped[str] = mapped_column(sa.String(200))
    created_by_name: Mapped[str] = mapped_column(sa.String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    cia: Mapped["Cia | None"] = relationship(back_populates="operation", uselist=False)


class Cia(Base):
    __tablename__ = "cias"

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True, default=new_id)
    operation_id: Mapped[str] = mapped_column(sa.ForeignKey("operations.id"), unique=True)
    latest_version: Mapped[int] = mapped_column(sa.Integer, default=1)
    created_by_sub: Mapped[str] = mapped_column(sa.String(200))
    created_by_name: Mapped[str] = mapped_column(sa.String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    operation: Mapped[Operation] = relationship(back_populates="cia", lazy="joined")


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


class PdfClaim(Base):
    """A process converting a stored DOCX to PDF, until ``expires_at`` (see ``pdfs``)."""
    __tablename__ = "pdf_claims"

    cia_id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    version: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(16), primary_key=True)
    claimed_by: Mapped[str] = mapped_column(sa.String(200))
    claimed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
