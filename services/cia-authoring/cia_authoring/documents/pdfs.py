"""PDF copies of the stored documents (service-layer functions).

An approval stores the DOCX documents (full and disclosure) in the same
transaction as the approval itself. Their PDFs are made afterwards and outside
any transaction, because LibreOffice takes seconds and may fail — and neither
may hold up or undo an approval:

- the worker's periodic job :class:`RenderAhead` converts the stored DOCX of
  every approved version that has no PDF yet, soon after the approval, and
  retries a failed conversion later with a growing delay;
- a request for a PDF that is not stored yet (:func:`ensure`) converts it there
  and then.

One process converts a document at a time: before converting, a process
claims it in ``pdf_claims`` (an INSERT that fails if someone else holds it, in
its own short transaction — none is open while LibreOffice runs) and releases
the claim once the PDF is stored or the conversion failed. The job skips
documents claimed by others; a request for one answers "not ready yet"
(:class:`ConversionInProgress`). A claim is a lease: a process that died while
converting is replaced once it expires (twice the conversion timeout plus a
minute, so a conversion waiting for a LibreOffice slot is covered too).

Whichever comes first stores it; the CIA row lock decides a race, so a PDF is
stored once. A PDF is always made from the stored DOCX, so the two formats of
a version show the same render. Each stored PDF is recorded in the audit trail.
"""
from __future__ import annotations

import contextlib
import logging
import os
import secrets
import socket
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Callable, ContextManager

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from cia_common.db import Database, DomainEvent, UnitOfWork
from cia_common.metrics import PDF_CONVERSION, timed

from cia_authoring import settings
from cia_authoring.cias import audit
from cia_authoring.documents import service as rendering
from cia_authoring.documents.libreoffice import DEFAULT_TIMEOUT_S, PdfConversionError, docx_to_pdf
from cia_authoring.domain import sha256_hex
from cia_authoring.cias.models import CiaVersion
from cia_authoring.cias.models import Document
from cia_authoring.documents.models import PdfClaim
from cia_common.events import utcnow

log = logging.getLogger(__name__)

UnitOfWorkFactory = Callable[[], UnitOfWork]
SessionScope = Callable[[], ContextManager[Session]]


class SourceChanged(Exception):
    """The stored DOCX was replaced (a disclosure copy re-rendered) during a conversion."""


@dataclass(frozen=True)
class DocKey:
    cia_id: str
    version: int
    kind: str  # full | disclosure


class ConversionInProgress(PdfConversionError):
    """Another process is converting this document now: ask again shortly."""


_INSTANCE: tuple[int, str] | None = None


def instance_id() -> str:
    """This process as a claimer: host, pid and a random part (a new one after a fork)."""
    global _INSTANCE
    if _INSTANCE is None or _INSTANCE[0] != os.getpid():
        _INSTANCE = (os.getpid(), f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}")
    return _INSTANCE[1]


def lease_seconds(cfg: dict) -> float:
    timeout = float(cfg.get("PDF_TIMEOUT_SECONDS") or DEFAULT_TIMEOUT_S)
    return float(cfg.get("PDF_CLAIM_LEASE_SECONDS") or 2 * timeout + 60)


def _key_is(key: "DocKey"):
    return sa.and_(PdfClaim.cia_id == key.cia_id, PdfClaim.version == key.version,
                   PdfClaim.kind == key.kind)


def claim(sessions: SessionScope, key: "DocKey", owner: str, lease_s: float) -> bool:
    """Claim the conversion of ``key`` for ``owner``; False if another holds it.

    A new claim is an INSERT (the primary key refuses a second one); a claim
    whose lease expired, or that ``owner`` holds already, is taken over by an
    UPDATE that re-checks that condition under the row lock. Each in its own
    short transaction.
    """
    now = utcnow()
    expires = now + timedelta(seconds=lease_s)
    with sessions() as session:
        try:
            session.add(PdfClaim(cia_id=key.cia_id, version=key.version, kind=key.kind,
                                 claimed_by=owner, claimed_at=now, expires_at=expires))
            session.commit()
            return True
        except IntegrityError:
            session.rollback()
    with sessions() as session:
        taken = session.execute(
            sa.update(PdfClaim)
            .where(_key_is(key), sa.or_(PdfClaim.expires_at <= now, PdfClaim.claimed_by == owner))
            .values(claimed_by=owner, claimed_at=now, expires_at=expires)
        ).rowcount
        session.commit()
    return taken == 1


def release(sessions: SessionScope, key: "DocKey", owner: str) -> None:
    """Drop ``owner``'s claim of ``key`` (a failure only logged: the lease ends it anyway)."""
    try:
        with sessions() as session:
            session.execute(sa.delete(PdfClaim).where(_key_is(key), PdfClaim.claimed_by == owner))
            session.commit()
    except Exception as exc:  # noqa: BLE001 - the PDF is stored or failed either way
        log.warning("could not release the PDF claim of %s: %s", key, exc)


def _uow_sessions(unit_of_work: UnitOfWorkFactory) -> SessionScope:
    @contextlib.contextmanager
    def scope():
        with unit_of_work() as uow:
            yield uow.session
    return scope


def convert(docx: bytes, cfg: dict) -> bytes:
    """DOCX → PDF with the configured binary and timeout (raises PdfConversionError)."""
    return timed(PDF_CONVERSION, docx_to_pdf, docx,
                 timeout_s=float(cfg.get("PDF_TIMEOUT_SECONDS") or DEFAULT_TIMEOUT_S),
                 soffice=cfg.get("SOFFICE") or None)


def pending(session: Session, limit: int = 50, *, available_to: str | None = None) -> list[DocKey]:
    """Stored DOCX documents (approved versions only) that have no PDF yet, oldest first.

    With ``available_to``, without those another process holds an unexpired claim on.
    """
    pdf = aliased(Document)
    query = (
        sa.select(Document.cia_id, Document.version, Document.kind)
        .outerjoin(pdf, sa.and_(pdf.cia_id == Document.cia_id, pdf.version == Document.version,
                                pdf.kind == Document.kind, pdf.format == rendering.PDF_FORMAT))
        .where(Document.format == rendering.DOCX_FORMAT, pdf.id.is_(None))
    )
    if available_to is not None:
        busy = sa.select(PdfClaim.cia_id).where(
            PdfClaim.cia_id == Document.cia_id, PdfClaim.version == Document.version,
            PdfClaim.kind == Document.kind, PdfClaim.claimed_by != available_to,
            PdfClaim.expires_at > utcnow())
        query = query.where(~busy.exists())
    rows = session.execute(
        query
        .order_by(Document.created_at, Document.cia_id, Document.version, Document.kind)
        .limit(limit)
    ).all()
    return [DocKey(r.cia_id, r.version, r.kind) for r in rows]


def store(uow: UnitOfWork, key: DocKey, pdf: bytes, source_sha256: str,
          actor) -> tuple[Document, bool]:
    """Store the PDF made from the stored DOCX ``source_sha256``, once.

    Returns ``(document, created)``; when another process stored it first, its
    document is returned and nothing is written.
    """
    session = uow.session
    audit.lock_cia(session, key.cia_id)  # serialises racing renderers of this CIA
    existing = rendering.stored(session, key.cia_id, key.version, key.kind, rendering.PDF_FORMAT)
    if existing is not None:
        return existing, False
    source = rendering.stored(session, key.cia_id, key.version, key.kind)
    if source is None or source.sha256 != source_sha256:
        raise SourceChanged(f"the DOCX {source_sha256} of {key} is no longer stored")
    digest = sha256_hex(pdf)
    doc = Document(cia_id=key.cia_id, version=key.version, kind=key.kind,
                   format=rendering.PDF_FORMAT, sha256=digest, size=len(pdf), data=pdf,
                   redaction_log=source.redaction_log, template_kind=source.template_kind,
                   template_version=source.template_version,
                   template_sha256=source.template_sha256)
    session.add(doc)
    session.flush()
    content_sha256 = session.execute(
        sa.select(CiaVersion.content_sha256).where(CiaVersion.cia_id == key.cia_id,
                                                   CiaVersion.number == key.version)
    ).scalar_one()
    uow.record(DomainEvent(audit.DOCUMENT_RENDERED, key.cia_id, actor=actor, version=key.version,
                           content_sha256=content_sha256,
                           detail={"kind": key.kind, "format": rendering.PDF_FORMAT,
                                   "sha256": digest, "stored": True,
                                   "from_docx_sha256": source_sha256}))
    return doc, True


@dataclass(frozen=True)
class StoredPdf:
    data: bytes
    sha256: str
    rendered_now: bool


def ensure(unit_of_work: UnitOfWorkFactory, key: DocKey, actor, cfg: dict) -> StoredPdf | None:
    """The stored PDF of a stored DOCX, converting and storing it first if needed.

    ``None`` when there is no stored DOCX (the version was never approved).
    Raises ``PdfConversionError`` when LibreOffice fails; nothing is written then;
    ``ConversionInProgress`` (a ``PdfConversionError``) when another process is
    still converting it after ``PDF_WAIT_SECONDS`` (default 20).
    """
    with unit_of_work() as uow:
        pdf = rendering.stored(uow.session, key.cia_id, key.version, key.kind,
                               rendering.PDF_FORMAT)
        if pdf is not None:
            return StoredPdf(pdf.data, pdf.sha256, False)
    sessions, owner = _uow_sessions(unit_of_work), instance_id()
    # Another process converting it (the worker, right after an approval) is
    # usually done within seconds: wait for it rather than send the client away.
    deadline = time.monotonic() + float(cfg.get("PDF_WAIT_SECONDS", 20.0))
    while not claim(sessions, key, owner, lease_seconds(cfg)):
        with unit_of_work() as uow:
            pdf = rendering.stored(uow.session, key.cia_id, key.version, key.kind,
                                   rendering.PDF_FORMAT)
            if pdf is not None:
                return StoredPdf(pdf.data, pdf.sha256, False)
        if time.monotonic() >= deadline:
            raise ConversionInProgress("Another process is converting this PDF right now.")
        time.sleep(0.25)
    try:
        for _attempt in range(2):
            with unit_of_work() as uow:
                # Again under the claim: the previous claimer may have stored it.
                pdf = rendering.stored(uow.session, key.cia_id, key.version, key.kind,
                                       rendering.PDF_FORMAT)
                if pdf is not None:
                    return StoredPdf(pdf.data, pdf.sha256, False)
                source = rendering.stored(uow.session, key.cia_id, key.version, key.kind)
                if source is None:
                    return None
                docx, source_sha256 = source.data, source.sha256
            # No transaction is open while LibreOffice runs.
            data = convert(docx, cfg)
            try:
                with unit_of_work() as uow:
                    doc, created = store(uow, key, data, source_sha256, actor)
                    result = StoredPdf(doc.data, doc.sha256, created)
                    uow.commit()
                return result
            except SourceChanged:
                continue  # re-rendered meanwhile: convert the new DOCX
        raise PdfConversionError("The document was replaced twice while it was being converted.")
    finally:
        release(sessions, key, owner)


class RenderAhead:
    """The worker's periodic job: make the PDFs of newly approved versions.

    One conversion per call, so the worker stops promptly; documents another
    process has claimed are skipped; a failed one is retried after 30 s,
    doubling up to an hour (counted in this process only: a restart tries again
    at once). Returns the delay the worker should wait. ``owner`` names the
    claimer (default: this process).
    """

    RETRY_FIRST_S = 30.0
    RETRY_MAX_S = 3600.0

    def __init__(self, owner: str | None = None) -> None:
        self.__name__ = "render_pdfs_ahead"
        self.owner = owner
        self.failures: dict[DocKey, tuple[int, float]] = {}  # key -> (failures, retry at)

    def __call__(self, db: Database, cfg: dict) -> float:
        if not cfg.get("PDF_RENDER_AHEAD", True):
            return 60.0
        now = time.monotonic()
        owner = self.owner or instance_id()
        with db.sessions() as session:
            keys = pending(session, available_to=owner)
        due = [k for k in keys if self.failures.get(k, (0, 0.0))[1] <= now]
        if not due:
            return 2.0
        key = due[0]
        if not claim(db.sessions, key, owner, lease_seconds(cfg)):
            return 0.1  # claimed by another meanwhile: take the next one
        try:
            return self._convert_and_store(db, cfg, key, more=len(due) > 1)
        finally:
            release(db.sessions, key, owner)

    def _convert_and_store(self, db: Database, cfg: dict, key: DocKey, *, more: bool) -> float:
        with db.sessions() as session:
            pdf = rendering.stored(session, key.cia_id, key.version, key.kind,
                                   rendering.PDF_FORMAT)
            if pdf is not None:
                return 0.01  # stored by the previous claimer meanwhile
            source = rendering.stored(session, key.cia_id, key.version, key.kind)
            if source is None:
                return 0.1
            docx, source_sha256 = source.data, source.sha256
        try:
            data = convert(docx, cfg)
        except PdfConversionError as exc:
            count = self.failures.get(key, (0, 0.0))[0] + 1
            delay = min(self.RETRY_FIRST_S * 2 ** (count - 1), self.RETRY_MAX_S)
            self.failures[key] = (count, time.monotonic() + delay)
            log.error("PDF of %s v%s (%s) failed (attempt %d), retrying in %.0f s: %s",
                      key.cia_id, key.version, key.kind, count, delay, exc)
            return 0.5
        try:
            with settings.unit_of_work(db, cfg) as uow:
                _doc, created = store(uow, key, data, source_sha256, audit.SYSTEM)
                uow.commit()
        except SourceChanged:
            return 0.01  # convert the new DOCX at once
        self.failures.pop(key, None)
        if created:
            log.info("stored the PDF of %s v%s (%s)", key.cia_id, key.version, key.kind)
        return 0.01 if more else 1.0
