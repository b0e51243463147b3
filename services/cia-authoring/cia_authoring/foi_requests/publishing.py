"""The worker's part in publishing sent responses (a periodic job):

- the letter's PDF: LibreOffice converts the published DOCX, outside any
  transaction, and the PDF joins the published snapshots (and the letter as sent);
  a conversion that fails is tried again later, each time after a longer wait;
- on SQLite, the published snapshots are copied into the file the public log's
  process reads read-only (``published.mirror``).
"""
from __future__ import annotations

import hashlib
import logging
import os
import time

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from cia_common.db import Database

from cia_authoring import published, settings
from cia_authoring.documents.libreoffice import PdfConversionError, docx_to_pdf
from cia_authoring.foi_requests.models import FoiRequest, FoiRequestDocument
from cia_common.events import utcnow

log = logging.getLogger(__name__)
BATCH = 5


def unconverted(db: Database, limit: int = BATCH) -> list[str]:
    """References of published letters without their PDF yet."""
    pdf = sa.select(published.PublishedSnapshot.reference).where(
        published.PublishedSnapshot.kind == published.LETTER_PDF)
    with db.sessions() as session:
        return list(session.scalars(
            sa.select(published.PublishedSnapshot.reference)
            .where(published.PublishedSnapshot.kind == published.LETTER_DOCX,
                   published.PublishedSnapshot.reference.not_in(pdf))
            .order_by(published.PublishedSnapshot.published_at).limit(limit)))


def publish_pdf(db: Database, cfg: dict, reference: str) -> bool:
    """Convert the published letter of ``reference`` and publish its PDF."""
    with db.sessions() as session:
        docx = published.get(session, reference, published.LETTER_DOCX)
        sent_on, data = docx.sent_on, docx.data
        request_id = session.scalar(sa.select(FoiRequest.id).where(FoiRequest.reference == reference))
        stored = session.get(FoiRequestDocument, (request_id, "pdf")) if request_id else None
        pdf = stored.data if stored is not None else None
    if pdf is None:  # not converted on request yet: here, outside any transaction
        pdf = docx_to_pdf(data, timeout_s=float(cfg.get("PDF_TIMEOUT_SECONDS") or 120),
                          soffice=cfg.get("SOFFICE"))
    with settings.unit_of_work(db, cfg) as uow:
        try:
            with uow.session.begin_nested():
                uow.session.add(published.snapshot(reference, published.LETTER_PDF, sent_on, pdf))
                if request_id and stored is None and \
                        uow.session.get(FoiRequestDocument, (request_id, "pdf")) is None:
                    uow.session.add(FoiRequestDocument(
                        request_id=request_id, format="pdf", data=pdf, size=len(pdf),
                        sha256=hashlib.sha256(pdf).hexdigest(), created_at=utcnow()))
                uow.session.flush()
        except IntegrityError:
            return False  # another worker published it first
        uow.commit()
    log.info("published the PDF of the response letter %s", reference)
    return True


class PublishLetters:
    """Periodic: the letters' PDFs, then the SQLite copy of the snapshots."""
    INTERVAL_S = 5.0
    RETRY_S = (30.0, 120.0, 600.0)

    def __init__(self) -> None:
        self.__name__ = "publish_letters"
        self._next = 0.0
        self._failed: dict[str, tuple[int, float]] = {}  # reference -> (failures, retry at)

    def __call__(self, db: Database, cfg: dict) -> float:
        now = time.monotonic()
        if now < self._next:
            return self._next - now
        for reference in unconverted(db):
            failures, retry_at = self._failed.get(reference, (0, 0.0))
            if now < retry_at:
                continue
            try:
                publish_pdf(db, cfg, reference)
                self._failed.pop(reference, None)
            except PdfConversionError as exc:
                wait = self.RETRY_S[min(failures, len(self.RETRY_S) - 1)]
                self._failed[reference] = (failures + 1, now + wait)
                log.warning("the PDF of response letter %s failed (%s); again in %.0f s",
                            reference, exc, wait)
        target = published.mirror_url(db.url, cfg.get("PUBLIC_DATABASE_URL")
                                      or os.environ.get("CIA_PUBLIC_DATABASE_URL"))
        if target is not None:
            published.mirror(db.engine, target)
        self._next = time.monotonic() + self.INTERVAL_S
        return self.INTERVAL_S
