"""Signed, short-lived links from the action page to the reviewed version's DOCX
and PDF, and the checks a download passes before anything is fetched.

A document link is bound to one action link (its row), that link's reviewer,
the review round's version and one format. It works only while the action link
itself would: not after the holder decided (the link is spent), not once the
review is closed, reassigned, superseded or cancelled, not after its own expiry
(``DOCUMENT_LINK_TTL_MINUTES``, never later than the action link's), and never
for another version, reviewer or format, since those are signed.
"""
from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.orm import Session

from ..reviews.models import Review
from ..settings import ReviewSettings
from . import tokens
from .links import LinkRefused, check_row
from .models import ActionToken, DocumentDownload


class DownloadRefused(Exception):
    """A document link that does not work (always 403: the link grants nothing)."""

    def __init__(self, detail: str):
        super().__init__(detail)
        self.detail = detail


def urls(review: Review, claims: tokens.ActionClaims, settings: ReviewSettings,
         now: datetime) -> dict[str, str]:
    """``{"docx": url, "pdf": url}`` for the holder of the action link ``claims``."""
    expires = min(claims.expires_at, int(now.timestamp() + settings.document_link_ttl_minutes * 60))
    out = {}
    for fmt in tokens.DOCUMENT_FORMATS:
        signed = tokens.sign_document(settings.action_link_secret, tokens.DocumentClaims(
            token_id=claims.token_id, review_id=review.id, reviewer_sub=claims.reviewer_sub,
            cia_id=review.cia_id, version=review.version, format=fmt, expires_at=expires))
        out[fmt] = f"{settings.review_url}/review/documents/{signed}"
    return out


def authorise(session: Session, signed: str, settings: ReviewSettings,
              now: datetime) -> tuple[Review, tokens.DocumentClaims]:
    """The review and claims of a document link that works now; ``DownloadRefused`` otherwise."""
    try:
        claims = tokens.read_document(settings.action_link_secret, signed, now.timestamp())
    except tokens.TokenError as exc:
        raise DownloadRefused(exc.detail) from None
    row = session.get(ActionToken, claims.token_id)
    if row is None or row.review_id != claims.review_id or row.reviewer_sub != claims.reviewer_sub:
        raise DownloadRefused("This download link is incomplete or has been altered.")
    try:
        review = check_row(session, row, claims.reviewer_sub, settings)
    except LinkRefused as refused:
        raise DownloadRefused(f"This download link no longer works: {refused.detail}") from None
    if review.id != claims.review_id or review.version != claims.version \
            or review.cia_id != claims.cia_id:
        raise DownloadRefused("This download link is for another version.")
    return review, claims


def record(session: Session, claims: tokens.DocumentClaims, *, sha256: str, size: int,
           now: datetime) -> DocumentDownload:
    row = DocumentDownload(id=str(uuid.uuid4()), review_id=claims.review_id,
                           token_id=claims.token_id, reviewer_sub=claims.reviewer_sub,
                           cia_id=claims.cia_id, version=claims.version, format=claims.format,
                           sha256=sha256, size=size, at=now)
    session.add(row)
    return row
