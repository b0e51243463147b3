"""The worker's job that makes the flattened disclosure copies of legacy documents.

A document in state ``processing`` (a PDF brought in, a term or area added, the
rules or register changed at release, or a Word file that cannot be made clean)
is claimed by one process at a time (a lease in ``claimed_by`` / ``claimed_until``,
taken by a conditional UPDATE and renewed with every page), and its copy made
outside any transaction:

1. a Word file disclosed as PDF only is rendered by LibreOffice first;
2. the text layer is redacted for real (``redact.redact``), in a child process
   bounded in time and memory (``cia_common.limits.run_limited``);
3. each page is rendered, read back by OCR, cleared where the reading holds what
   the pass withholds, boxed (those places and the text layer's) and rebuilt from
   its image with the OCR text layer (``redact.flatten_page``), one limited child
   per page, the progress (``progress_done`` of ``pages``) stored after each;
4. the pages are joined and the copy stored, with its log, the pages a person must
   look at and the areas boxed, unless the document's inputs changed meanwhile
   (``revision``): then it is made again from the new ones.

The copy is made from the inputs it is fingerprinted with (``service.inputs``), so
release can tell a copy made under older rules without making it again.
"""
from __future__ import annotations

import logging
import os
import secrets
import socket
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa

from cia_common.db import Database
from cia_common.events import utcnow
from cia_common.limits import Limits
from cia_redaction import flatten

from cia_authoring import settings, uploads
from cia_authoring.disclosure import register
from cia_authoring.documents.libreoffice import PdfConversionError, docx_to_pdf
from cia_authoring.legacy import redact as redaction
from cia_authoring.legacy import service
from cia_authoring.legacy.models import DOCX, PENDING_RELEASE, PROCESSING, LegacyDocument

log = logging.getLogger(__name__)


def _owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


def page_limits(cfg: dict) -> Limits:
    return Limits(float(cfg.get("LEGACY_PAGE_SECONDS") or 120),
                  uploads.upload_limits(cfg).process.memory_bytes)


@dataclass(frozen=True)
class Claimed:
    id: str
    revision: int


class MakeLegacyCopies:
    """Periodic job: one document's flattened copy per call."""
    IDLE_S = 5.0
    RETRY_S = 300.0

    def __init__(self, owner: str | None = None, on_page=None) -> None:
        self.__name__ = "make_legacy_copies"
        self.owner = owner or _owner()
        # Told (document id, pages done, pages) after each page: the CLI's progress bar.
        self.on_page = on_page

    def lease(self, cfg: dict) -> timedelta:
        return timedelta(seconds=2 * float(cfg.get("LEGACY_PAGE_SECONDS") or 120) + 60)

    def claim(self, db: Database, cfg: dict, only: set[str] | None = None) -> Claimed | None:
        now = utcnow()
        with db.sessions() as session:
            query = (sa.select(LegacyDocument.id, LegacyDocument.revision)
                     .where(LegacyDocument.state == PROCESSING,
                            sa.or_(LegacyDocument.claimed_until.is_(None),
                                   LegacyDocument.claimed_until < now))
                     .order_by(LegacyDocument.updated_at, LegacyDocument.id).limit(5))
            if only is not None:
                query = query.where(LegacyDocument.id.in_(list(only)))
            for row in session.execute(query).all():
                taken = session.execute(
                    sa.update(LegacyDocument)
                    .where(LegacyDocument.id == row.id, LegacyDocument.state == PROCESSING,
                           LegacyDocument.revision == row.revision,
                           sa.or_(LegacyDocument.claimed_until.is_(None),
                                  LegacyDocument.claimed_until < now))
                    .values(claimed_by=self.owner, claimed_until=now + self.lease(cfg),
                            progress_done=0)).rowcount
                session.commit()
                if taken == 1:
                    return Claimed(row.id, row.revision)
        return None

    def __call__(self, db: Database, cfg: dict, only: set[str] | None = None) -> float:
        claimed = self.claim(db, cfg, only)
        if claimed is None:
            return self.IDLE_S
        retry_at = None
        try:
            self.make(db, cfg, claimed)
        except Exception as exc:  # noqa: BLE001 - one document's failure must not stop the job
            log.error("legacy document %s: its copy could not be made (%s); retried later",
                      claimed.id, type(exc).__name__)
            retry_at = utcnow() + timedelta(seconds=self.RETRY_S)
        with db.sessions() as session:
            # The lease ends now, or, after a failure, holds the document back a while.
            session.execute(sa.update(LegacyDocument)
                            .where(LegacyDocument.id == claimed.id,
                                   LegacyDocument.claimed_by == self.owner)
                            .values(claimed_by=None if retry_at is None else self.owner,
                                    claimed_until=retry_at))
            session.commit()
        return 0.01

    def _progress(self, db: Database, cfg: dict, claimed: Claimed, done: int) -> bool:
        """Store the progress and renew the lease; False when the inputs changed."""
        with db.sessions() as session:
            n = session.execute(sa.update(LegacyDocument)
                                .where(LegacyDocument.id == claimed.id,
                                       LegacyDocument.revision == claimed.revision,
                                       LegacyDocument.claimed_by == self.owner)
                                .values(progress_done=done,
                                        claimed_until=utcnow() + self.lease(cfg))).rowcount
            session.commit()
        return n == 1

    def make(self, db: Database, cfg: dict, claimed: Claimed) -> bool:
        """Make and store the copy; False when it was not stored (inputs changed, or a
        page could not be made: the document stays processing and is retried)."""
        with db.sessions() as session:
            doc = service.get(session, claimed.id)
            source, fmt, title = doc.data, doc.format, doc.title
            inputs = service.inputs(session, doc, cfg)
        if fmt == DOCX:
            try:
                source = docx_to_pdf(source, timeout_s=float(cfg.get("PDF_TIMEOUT_SECONDS") or 120),
                                     soffice=cfg.get("SOFFICE"))
            except PdfConversionError as exc:
                log.error("legacy document %s: the Word file could not be rendered: %s", claimed.id, exc)
                return False
        first = service._limited(cfg, redaction.redact, "pdf", source, title, cfg,
                                 rules=inputs["rules"], terms=inputs["terms"], areas=inputs["areas"],
                                 register=inputs["register"], document_id=claimed.id)
        # What the text layer withheld by name is withheld on every page's reading too.
        redactor = redaction.redactor_for(cfg, inputs["rules"], inputs["terms"],
                                          [*inputs["register"], *first.withheld_names])
        pages, findings, review = [], [], set()
        for index in range(first.pages or 0):
            flat = service._limited(cfg, redaction.flatten_page, first.data, index, redactor,
                                    inputs["dpi"], first.boxes.get(index + 1, []),
                                    document_id=claimed.id, limits=page_limits(cfg))
            pages.append(flat.data)
            findings += flat.findings
            if flat.findings:
                review.add(index + 1)
            if self.on_page is not None:
                self.on_page(claimed.id, index + 1, first.pages)
            if not self._progress(db, cfg, claimed, index + 1):
                log.info("legacy document %s changed while its copy was made: made again", claimed.id)
                return False
        data = flatten.assemble(pages)
        with settings.unit_of_work(db, cfg) as uow:
            doc = service.get(uow.session, claimed.id, lock=True)
            if doc.revision != claimed.revision or doc.state != PROCESSING:
                return False
            digest = service.sha256_hex(data)
            doc.redacted_data, doc.redacted_sha256, doc.redacted_size = data, digest, len(data)
            doc.redacted_pdf = doc.redacted_pdf_sha256 = None
            doc.redacted_at = doc.updated_at = utcnow()
            prefix = [e for e in (doc.redaction_log or []) if e.get("detector") == "allowlist"] \
                if doc.pdf_only else []
            doc.redaction_log = [*prefix, *first.log, *flatten.log_entries(findings)]
            doc.pages = first.pages
            doc.scan_pages = list(first.scan_pages)
            doc.review_pages = sorted(review)
            doc.proposed_areas = [{"page": f.page, "rect": [round(v, 1) for v in rect],
                                   "kind": f.kind, "exemption": f.exemption}
                                  for f in findings for rect in f.rects]
            register.add(uow.session, doc.id, first.withheld_names)
            uow.session.flush()
            # Stored only if made from what is in force now (the names it registered aside).
            now_in_force = service.inputs(uow.session, doc, cfg)["sha256"]
            if now_in_force != service.fingerprint(inputs, first.withheld_names):
                doc.revision += 1
                uow.commit()
                return False
            doc.inputs_sha256 = now_in_force
            doc.progress_done = first.pages or 0
            doc.state = PENDING_RELEASE
            uow.commit()
        log.info("legacy document %s: flattened copy of %d page(s) stored", claimed.id, len(pages))
        return True
