"""Tables of the legacy-documents feature (migration 0007_legacy_documents).

- ``legacy_documents``: the uploaded file (never served), its redacted copy and
  what the redaction found (pages without text), its release, and, for a
  document published elsewhere, the link the bundles give instead of a file;
- ``legacy_redactions``: the FOI team's terms and areas for one document.
"""
from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from cia_common.db import UTCDateTime

from cia_authoring.base import Base
from cia_common.events import new_id, utcnow

PROCESSING = "processing"
PENDING_RELEASE = "pending_release"
RELEASED = "released"
STATES = (PROCESSING, PENDING_RELEASE, RELEASED)
DOCX, PDF = "docx", "pdf"
FORMATS = (DOCX, PDF)


class LegacyDocument(Base):
    __tablename__ = "legacy_documents"

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True, default=new_id)
    operation_id: Mapped[str] = mapped_column(sa.ForeignKey("operations.id"), index=True)
    title: Mapped[str] = mapped_column(sa.String(300))
    dated: Mapped[date | None] = mapped_column(sa.Date)
    format: Mapped[str] = mapped_column(sa.String(8))
    filename: Mapped[str] = mapped_column(sa.String(300))
    # The same file is brought in once, however often it is uploaded or imported.
    sha256: Mapped[str] = mapped_column(sa.String(64), unique=True)
    size: Mapped[int] = mapped_column(sa.Integer)
    data: Mapped[bytes] = mapped_column(sa.LargeBinary, deferred=True)
    source: Mapped[str] = mapped_column(sa.String(300))
    pages: Mapped[int | None] = mapped_column(sa.Integer)
    # PDF pages without a text layer, and, per confirmed page, the SHA-256 of the
    # redacted copy the officer looked at (a later redaction asks again).
    scan_pages: Mapped[list] = mapped_column(sa.JSON, default=list)
    confirmed_pages: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    previewed_pages: Mapped[dict] = mapped_column(sa.JSON, default=dict)

    redacted_data: Mapped[bytes] = mapped_column(sa.LargeBinary, deferred=True)
    redacted_sha256: Mapped[str] = mapped_column(sa.String(64))
    redacted_size: Mapped[int] = mapped_column(sa.Integer)
    redaction_log: Mapped[list] = mapped_column(sa.JSON, default=list)
    redacted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The redacted DOCX converted to PDF (LibreOffice), made on first request.
    redacted_pdf: Mapped[bytes | None] = mapped_column(sa.LargeBinary, deferred=True)
    redacted_pdf_sha256: Mapped[str | None] = mapped_column(sa.String(64))

    state: Mapped[str] = mapped_column(sa.String(24), index=True, default=PENDING_RELEASE)
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    released_by_sub: Mapped[str | None] = mapped_column(sa.String(200))
    released_by_name: Mapped[str | None] = mapped_column(sa.String(200))
    release_note: Mapped[str | None] = mapped_column(sa.Text)
    released_sha256: Mapped[str | None] = mapped_column(sa.String(64))
    published_url: Mapped[str | None] = mapped_column(sa.String(2000))

    created_by_sub: Mapped[str] = mapped_column(sa.String(200))
    created_by_name: Mapped[str] = mapped_column(sa.String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    # Migration 0014: the flattened copy, made by the worker (``legacy.jobs``).
    progress_done: Mapped[int] = mapped_column(sa.Integer, default=0)
    revision: Mapped[int] = mapped_column(sa.Integer, default=0)
    claimed_by: Mapped[str | None] = mapped_column(sa.String(200))
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    inputs_sha256: Mapped[str | None] = mapped_column(sa.String(64))
    review_pages: Mapped[list | None] = mapped_column(sa.JSON, default=list)
    proposed_areas: Mapped[list | None] = mapped_column(sa.JSON, default=list)
    copy_note: Mapped[str | None] = mapped_column(sa.Text)
    pdf_only: Mapped[bool] = mapped_column(sa.Boolean, default=False)

    @property
    def pages_to_confirm(self) -> list[int]:
        """Pages a person must look at: scans, and pages where the reading of the page
        image found what the text layer did not."""
        return sorted({*(self.scan_pages or []), *(self.review_pages or [])})

    @property
    def needs_manual_review(self) -> list[int]:
        """Pages to confirm not yet confirmed against the current redacted copy."""
        confirmed = self.confirmed_pages or {}
        return [p for p in self.pages_to_confirm if confirmed.get(str(p)) != self.redacted_sha256]


class LegacyRedaction(Base):
    __tablename__ = "legacy_redactions"

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True, default=new_id)
    document_id: Mapped[str] = mapped_column(sa.ForeignKey("legacy_documents.id"), index=True)
    text: Mapped[str | None] = mapped_column(sa.Text)
    page: Mapped[int | None] = mapped_column(sa.Integer)
    rect: Mapped[list | None] = mapped_column(sa.JSON)
    exemption: Mapped[str] = mapped_column(sa.String(8))
    reason: Mapped[str] = mapped_column(sa.Text)
    created_by_sub: Mapped[str] = mapped_column(sa.String(200))
    created_by_name: Mapped[str] = mapped_column(sa.String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
