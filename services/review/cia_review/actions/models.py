"""The action links' tables: one-time action tokens and the document downloads
made through them."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cia_common.db import UTCDateTime

from ..base import Base
from ..reviews.models import Review


class ActionToken(Base):
    """A one-time action link, stored as a hash; used or revoked at most once."""
    __tablename__ = "action_tokens"
    __table_args__ = (sa.Index("ix_action_tokens_review_reviewer", "review_id", "reviewer_sub"),)

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    review_id: Mapped[str] = mapped_column(sa.ForeignKey("reviews.id", ondelete="CASCADE"))
    reviewer_sub: Mapped[str] = mapped_column(sa.String(200))
    version: Mapped[int]
    round: Mapped[int]
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_reason: Mapped[str | None] = mapped_column(sa.String(32))

    # Lets the unit of work insert a new review before its tokens.
    review: Mapped[Review] = relationship()


class DocumentDownload(Base):
    """One download of the reviewed version's document through an action page's
    signed link: who, which version and format, the file's SHA-256, when."""
    __tablename__ = "document_downloads"
    __table_args__ = (sa.Index("ix_document_downloads_review", "review_id"),)

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    review_id: Mapped[str] = mapped_column(sa.ForeignKey("reviews.id", ondelete="CASCADE"))
    token_id: Mapped[str] = mapped_column(sa.String(36))
    reviewer_sub: Mapped[str] = mapped_column(sa.String(200))
    cia_id: Mapped[str] = mapped_column(sa.String(36))
    version: Mapped[int]
    format: Mapped[str] = mapped_column(sa.String(8))
    sha256: Mapped[str] = mapped_column(sa.String(64))
    size: Mapped[int]
    at: Mapped[datetime] = mapped_column(UTCDateTime)
