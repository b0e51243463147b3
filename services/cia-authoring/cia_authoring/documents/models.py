"""Tables of the documents feature.

- ``pdf_claims``: which process is converting a stored DOCX to PDF (a lease);
- ``template_versions`` (migration 0009): every uploaded DOCX template of a kind,
  numbered from 1 and kept forever (a document records the version that produced
  it). Version 0 is the default file shipped with the service and is never stored;
- ``active_templates``: the version in force per kind; no row means version 0.

The stored documents themselves belong to their CIA version (``cias.models.Document``).
"""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from cia_common.db import UTCDateTime

from cia_authoring.base import Base
from cia_common.events import utcnow


class PdfClaim(Base):
    """A process converting a stored DOCX to PDF, until ``expires_at`` (see ``documents.pdfs``)."""
    __tablename__ = "pdf_claims"

    cia_id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    version: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(16), primary_key=True)
    claimed_by: Mapped[str] = mapped_column(sa.String(200))
    claimed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


class TemplateVersion(Base):
    __tablename__ = "template_versions"

    kind: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    number: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    sha256: Mapped[str] = mapped_column(sa.String(64))
    size: Mapped[int] = mapped_column(sa.Integer)
    data: Mapped[bytes] = mapped_column(sa.LargeBinary, deferred=True)
    filename: Mapped[str | None] = mapped_column(sa.String(255))
    note: Mapped[str | None] = mapped_column(sa.Text)
    uploaded_by_sub: Mapped[str] = mapped_column(sa.String(200))
    uploaded_by_name: Mapped[str] = mapped_column(sa.String(200))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ActiveTemplate(Base):
    __tablename__ = "active_templates"

    kind: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    number: Mapped[int] = mapped_column(sa.Integer)
    activated_by_sub: Mapped[str] = mapped_column(sa.String(200))
    activated_by_name: Mapped[str] = mapped_column(sa.String(200))
    activated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
