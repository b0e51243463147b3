"""Tables of the documents feature.

- ``documents``: DOCX (and PDF) files stored at approval, full and disclosure
  copies, with the template (kind, version, SHA-256) that produced them;
- ``pdf_claims``: which process is converting a stored DOCX to PDF (a lease).
"""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from cia_common.db import UTCDateTime
from cia_common.events import new_id, utcnow

from cia_authoring.base import Base


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


class PdfClaim(Base):
    """A process converting a stored DOCX to PDF, until ``expires_at`` (see ``documents.pdfs``)."""
    __tablename__ = "pdf_claims"

    cia_id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    version: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(16), primary_key=True)
    claimed_by: Mapped[str] = mapped_column(sa.String(200))
    claimed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
