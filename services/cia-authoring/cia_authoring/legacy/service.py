"""Legacy documents, the use cases: bring one in, add terms and areas, preview and
confirm scanned pages, release. Plain functions over a unit of work; no HTTP.

A Word document's redacted copy is rebuilt when it arrives and again whenever a
term is added, in the same transaction as the change: what is stored is always
the copy of the terms stored. A PDF's copy (and that of a Word file that cannot
be made clean) is flattened by the worker (``jobs``): the document is
``processing``, with its progress, until the copy of its current inputs is
stored. Releasing checks the copy against the censor rules and name register as
they are then; a copy that changed (or must be made again) is refused for
release, so an officer never releases a file they have not seen. The uploaded
original is never served, nor is a PDF's native file: only its flattened copy.
"""
from __future__ import annotations

import hashlib
import json
import logging
import math
import os
from datetime import date
from urllib.parse import urlsplit

import sqlalchemy as sa
from sqlalchemy.orm import Session

from cia_common.db import UnitOfWork
from cia_common.errors import Conflict, InvalidContent, NotFound, TooLarge, Unavailable
from cia_common.limits import ChildFailed, LimitExceeded, run_limited
from cia_schemas.disclosure import EXEMPTIONS
from cia_redaction.normalise import fold

from cia_authoring import uploads
from cia_redaction import pdf as pdf_pass
from cia_authoring.disclosure import register
from cia_redaction import rules as censor
from cia_authoring.documents.libreoffice import PdfConversionError, docx_to_pdf
from cia_authoring.disclosure import censor_rules as rules_service
from cia_authoring.operations.models import Operation
from cia_common.events import new_id, utcnow
from cia_authoring.legacy import files
from cia_authoring.legacy.models import (PDF, PENDING_RELEASE, PROCESSING, RELEASED, LegacyDocument,
                                        LegacyRedaction)
from cia_authoring.legacy.redact import Term, redact, term_rule

log = logging.getLogger(__name__)

ADDED = "legacy_document.added"
REDACTED = "legacy_document.redacted"
RELEASED_EVENT = "legacy_document.released"
DEFAULT_MAX_BYTES = 25 * 1024 * 1024
MAX_TITLE = 300
MAX_REASON = censor.MAX_REASON


def max_bytes(cfg: dict) -> int:
    return int(cfg.get("LEGACY_MAX_UPLOAD_BYTES")
               or os.environ.get("CIA_LEGACY_MAX_UPLOAD_BYTES") or DEFAULT_MAX_BYTES)


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# -- bringing a document in ------------------------------------------------------------
def validate_metadata(title, dated) -> list[dict]:
    errors = []
    if not isinstance(title, str) or not title.strip():
        errors.append({"pointer": "/title", "detail": "A title is required."})
    elif len(title) > MAX_TITLE:
        errors.append({"pointer": "/title", "detail": f"At most {MAX_TITLE} characters."})
    if dated is not None and not isinstance(dated, date):
        errors.append({"pointer": "/dated", "detail": "A date, YYYY-MM-DD."})
    return errors


def parse_date(value: str | None) -> date | None:
    """``YYYY-MM-DD`` or nothing; ``ValueError`` otherwise."""
    if value is None or not str(value).strip():
        return None
    return date.fromisoformat(str(value).strip())


def by_sha256(session: Session, digest: str) -> LegacyDocument | None:
    return session.execute(sa.select(LegacyDocument).where(LegacyDocument.sha256 == digest)).scalar_one_or_none()


def add(uow: UnitOfWork, operation_id: str, *, data: bytes, filename: str, title: str,
        dated: date | None, actor, cfg: dict, source: str = "upload") -> LegacyDocument:
    session = uow.session
    op = session.get(Operation, operation_id)
    if op is None:
        raise NotFound(f"Operation {operation_id}")
    limit = max_bytes(cfg)
    if len(data) > limit:
        raise TooLarge(f"The file is {len(data)} bytes; at most {limit} bytes are accepted.",
                       errors=[{"pointer": "/file", "detail": f"At most {limit} bytes."}])
    errors = validate_metadata(title, dated)
    if errors:
        raise InvalidContent(errors)
    checked = _limited(cfg, files.check, data, uploads.upload_limits(cfg))
    digest = sha256_hex(data)
    existing = by_sha256(session, digest)
    if existing is not None:
        raise Conflict(f"This file was brought in already, as document {existing.id}.",
                       document_id=existing.id)
    now = utcnow()
    doc = LegacyDocument(operation_id=op.id, title=title.strip(), dated=dated, format=checked.format,
                         filename=(filename or "document")[:300], sha256=digest, size=len(data),
                         data=data, source=source[:300], pages=checked.pages, scan_pages=[],
                         confirmed_pages={}, previewed_pages={}, state=PENDING_RELEASE,
                         created_by_sub=actor.sub, created_by_name=actor.name,
                         created_at=now, updated_at=now)
    doc.id = new_id()
    if doc.format == PDF:
        _flatten_later(doc)
    else:
        _redact(session, doc, op, cfg, terms=[], areas=[])
    session.add(doc)
    session.flush()
    uow.emit(ADDED, doc.id, {"document_id": doc.id, "operation_id": op.id,
                             "operation_reference": op.reference, "format": doc.format,
                             "sha256": doc.sha256, "size": doc.size, "source": doc.source,
                             "added_by": {"sub": actor.sub, "name": actor.name}})
    return doc


def flattened(doc: LegacyDocument) -> bool:
    """Whether the document's copy is a flattened PDF made by the worker."""
    return doc.format == PDF or bool(doc.pdf_only)


def _flatten_later(doc: LegacyDocument) -> None:
    """Ask the worker for a new flattened copy (a copy of older inputs is not stored)."""
    doc.state = PROCESSING
    doc.revision = (doc.revision or 0) + 1
    doc.progress_done = 0
    if doc.redacted_sha256 is None:
        doc.redacted_data, doc.redacted_sha256, doc.redacted_size = b"", "", 0
        doc.redaction_log = []


def inputs(session: Session, doc: LegacyDocument, cfg: dict) -> dict:
    """What a copy of ``doc`` is made from, and its fingerprint (``sha256``)."""
    op = session.get(Operation, doc.operation_id)
    rules = rules_service.applicable(session, op.cia.id if op.cia is not None else None)
    items = redactions(session, doc.id)
    terms = [Term(t.id, t.text, t.exemption, t.reason) for t in items if t.text is not None]
    areas = [pdf_pass.Area(a.page, tuple(a.rect), a.exemption, a.reason, a.id)
             for a in items if a.text is None]
    names = register.names(session)
    dpi = int(cfg.get("LEGACY_FLATTEN_DPI") or 200)
    found = {"rules": rules, "terms": terms, "areas": areas, "register": names, "dpi": dpi}
    return {**found, "sha256": fingerprint(found)}


def fingerprint(found: dict, extra_names=()) -> str:
    """What a copy is made from, as one digest: the rules, the register (with
    ``extra_names``: those the copy itself adds to it), the terms and areas, the
    resolution."""
    keys = sorted({fold(n) for n in [*found["register"], *extra_names] if fold(n)})
    body = json.dumps([censor.fingerprint(found["rules"]), keys,
                       [(t.id, t.text) for t in found["terms"]],
                       [(a.id, a.page, list(a.rect)) for a in found["areas"]], found["dpi"]],
                      separators=(",", ":"))
    return sha256_hex(body.encode())


def _redact(session: Session, doc: LegacyDocument, op: Operation, cfg: dict, *,
            terms: list[LegacyRedaction], areas: list[LegacyRedaction]) -> bool:
    """Make the redacted copy of a Word document; True when it differs from the stored
    one. One that cannot be made clean is flattened instead, by the worker."""
    rules = rules_service.applicable(session, op.cia.id if op.cia is not None else None)
    result = _limited(cfg, redact, doc.format, doc.data, doc.title, cfg, rules=rules,
                      terms=[Term(t.id, t.text, t.exemption, t.reason) for t in terms],
                      areas=[pdf_pass.Area(a.page, tuple(a.rect), a.exemption, a.reason, a.id)
                             for a in areas],
                      register=register.names(session), document_id=doc.id)
    if result.pdf_only:
        doc.redaction_log = result.log
        if not doc.pdf_only:
            doc.pdf_only, doc.copy_note = True, result.pdf_only
            _flatten_later(doc)
        return False
    digest = sha256_hex(result.data)
    changed = digest != doc.redacted_sha256
    if changed:
        doc.redacted_data, doc.redacted_sha256, doc.redacted_size = result.data, digest, len(result.data)
        doc.redacted_pdf = doc.redacted_pdf_sha256 = None
        doc.redacted_at = utcnow()
    doc.redaction_log = result.log
    if result.pages is not None:
        doc.pages = result.pages
    doc.scan_pages = result.scan_pages
    register.add(session, doc.id, result.withheld_names)
    return changed


def _limited(cfg: dict, fn, *args, document_id: str | None = None,
             passthrough: tuple[type[Exception], ...] = (), limits=None, **kwargs):
    """``fn`` over an uploaded file, in a child process within the upload limits (or
    ``limits``); a file it cannot take is answered 413 or 422 naming why, never a 500."""
    try:
        return run_limited(fn, *args, limits=limits or uploads.upload_limits(cfg).process,
                           passthrough=(files.Refused, pdf_pass.PdfRefused, uploads.LimitRefused,
                                        *passthrough), **kwargs)
    except (uploads.LimitRefused, LimitExceeded) as exc:
        raise uploads.refusal(exc) from None
    except (files.Refused, pdf_pass.PdfRefused) as exc:
        raise InvalidContent([{"pointer": "/file", "detail": str(exc)}], str(exc)) from None
    except ChildFailed as exc:
        log.error("reading legacy document %s failed (%s)", document_id or "(new)", exc.kind)
        detail = ("The document could not be redacted: it is damaged or uses features that "
                  "cannot be read.")
        raise InvalidContent([{"pointer": "/file", "detail": detail}], detail) from None


# -- reading ---------------------------------------------------------------------------
def get(session: Session, document_id: str, *, lock: bool = False) -> LegacyDocument:
    doc = session.get(LegacyDocument, document_id, with_for_update=lock or None,
                      populate_existing=lock)
    if doc is None:
        raise NotFound(f"Legacy document {document_id}")
    return doc


def list_(session: Session, *, operation_id: str | None = None, state: str | None = None,
          page: int = 1, page_size: int = 10) -> tuple[list[LegacyDocument], int]:
    query = sa.select(LegacyDocument)
    if operation_id:
        query = query.where(LegacyDocument.operation_id == operation_id)
    if state:
        query = query.where(LegacyDocument.state == state)
    total = session.execute(sa.select(sa.func.count()).select_from(query.subquery())).scalar_one()
    rows = session.execute(query.order_by(LegacyDocument.created_at.desc(), LegacyDocument.id)
                           .limit(page_size).offset((page - 1) * page_size)).scalars().all()
    return list(rows), total


def all_terms(session: Session) -> list[censor.Rule]:
    """Every legacy document's terms, as the rules the public's redactor applies
    everywhere (a title or a letter may name what a term withholds in the file)."""
    rows = session.execute(sa.select(LegacyRedaction).where(LegacyRedaction.text.is_not(None))
                           .order_by(LegacyRedaction.created_at, LegacyRedaction.id)).scalars()
    return [term_rule(Term(t.id, t.text, t.exemption, t.reason)) for t in rows]


def redactions(session: Session, document_id: str) -> list[LegacyRedaction]:
    return list(session.execute(
        sa.select(LegacyRedaction).where(LegacyRedaction.document_id == document_id)
        .order_by(LegacyRedaction.created_at, LegacyRedaction.id)).scalars())


def present(doc: LegacyDocument, reference: str | None = None) -> dict:
    released = doc.state == RELEASED
    return {
        "id": doc.id, "operation_id": doc.operation_id, "operation_reference": reference,
        "title": doc.title, "dated": doc.dated, "format": doc.format, "filename": doc.filename,
        "sha256": doc.sha256, "size": doc.size, "source": doc.source, "state": doc.state,
        "pages": doc.pages, "scan_pages": list(doc.scan_pages or []),
        "needs_manual_review": doc.needs_manual_review,
        "progress": {"done": doc.progress_done or 0, "pages": doc.pages} if doc.state == PROCESSING else None,
        "review_pages": list(doc.review_pages or []),
        "proposed_areas": list(doc.proposed_areas or []),
        "disclosure_formats": ["pdf"] if flattened(doc) else ["docx", "pdf"],
        "copy_note": doc.copy_note,
        "redacted_sha256": doc.redacted_sha256, "redacted_size": doc.redacted_size,
        "redacted_at": doc.redacted_at, "redactions": len(doc.redaction_log or []),
        "released_at": doc.released_at if released else None,
        "released_by": ({"sub": doc.released_by_sub, "name": doc.released_by_name}
                        if released else None),
        "release_note": doc.release_note if released else None,
        "released_sha256": doc.released_sha256 if released else None,
        "published_url": doc.published_url, "created_at": doc.created_at,
    }


def reference_of(session: Session, doc: LegacyDocument) -> str:
    return session.execute(sa.select(Operation.reference)
                           .where(Operation.id == doc.operation_id)).scalar_one()


# -- terms and areas ---------------------------------------------------------------------
def validate_redaction(doc: LegacyDocument, data: dict) -> list[dict]:
    errors: list[dict] = []
    text, page, rect = data.get("text"), data.get("page"), data.get("rect")
    exemption, reason = data.get("exemption"), data.get("reason")
    if exemption not in EXEMPTIONS:
        errors.append({"pointer": "/exemption", "detail": "Use s40 (s.40(2) personal information) "
                                                          "or s31 (s.31(1)(a)(b) law enforcement)."})
    if not isinstance(reason, str) or not reason.strip():
        errors.append({"pointer": "/reason", "detail": "Say why this is withheld; the reason is "
                                                       "printed in the redaction log."})
    elif len(reason) > MAX_REASON:
        errors.append({"pointer": "/reason", "detail": f"At most {MAX_REASON} characters."})
    if text is None and page is None and rect is None:
        errors.append({"pointer": "/text", "detail": "Give the text to withhold, or for a PDF a "
                                                     "page and rect (an area)."})
        return errors
    if text is not None:
        if page is not None or rect is not None:
            errors.append({"pointer": "/page", "detail": "A term applies to every page: give "
                                                         "either text, or page and rect."})
        for e in censor.validate(censor.LITERAL, text, exemption if exemption in EXEMPTIONS else "s40",
                                 reason if isinstance(reason, str) and reason.strip() else "-"):
            errors.append({**e, "pointer": "/text" if e["pointer"] == "/pattern" else e["pointer"]})
        return errors
    if doc.format != PDF:
        errors.append({"pointer": "/page", "detail": "Areas apply to PDF documents; for a Word "
                                                     "document give the text to withhold."})
        return errors
    if not isinstance(page, int) or isinstance(page, bool) or not 1 <= page <= (doc.pages or 0):
        errors.append({"pointer": "/page", "detail": f"A page number from 1 to {doc.pages}."})
    if (not isinstance(rect, list) or len(rect) != 4
            or not all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
                       for v in rect)):
        errors.append({"pointer": "/rect", "detail": "Four numbers [x0, y0, x1, y1] in points, "
                                                     "origin at the top left of the page."})
    elif not (rect[0] < rect[2] and rect[1] < rect[3]):
        errors.append({"pointer": "/rect", "detail": "x0 < x1 and y0 < y1: a box with an area."})
    return errors


def add_redaction(uow: UnitOfWork, document_id: str, data: dict, actor, cfg: dict
                  ) -> tuple[LegacyDocument, LegacyRedaction]:
    session = uow.session
    doc = get(session, document_id, lock=True)
    if doc.state == RELEASED:
        raise Conflict("The document is released; its redactions cannot change.", state=RELEASED)
    errors = validate_redaction(doc, data)
    if errors:
        raise InvalidContent(errors)
    item = LegacyRedaction(id=new_id(), document_id=doc.id, text=data.get("text"),
                           page=data.get("page"),
                           rect=[float(v) for v in data["rect"]] if data.get("rect") else None,
                           exemption=data["exemption"], reason=data["reason"].strip(),
                           created_by_sub=actor.sub, created_by_name=actor.name, created_at=utcnow())
    session.add(item)
    session.flush()
    rerender(session, doc, cfg)
    doc.updated_at = utcnow()
    session.flush()
    uow.emit(REDACTED, doc.id, {"document_id": doc.id, "redaction_id": item.id,
                                "kind": "term" if item.text is not None else "area",
                                "exemption": EXEMPTIONS[item.exemption],
                                "redacted_sha256": doc.redacted_sha256 or None,
                                "by": {"sub": actor.sub, "name": actor.name}})
    return doc, item


def rerender(session: Session, doc: LegacyDocument, cfg: dict) -> bool:
    if flattened(doc):
        _flatten_later(doc)
        return True
    items = redactions(session, doc.id)
    op = session.get(Operation, doc.operation_id)
    return _redact(session, doc, op, cfg, terms=[i for i in items if i.text is not None],
                   areas=[i for i in items if i.text is None])


# -- the disclosure copy, its PDF and previews -------------------------------------------
def redacted_pdf(sessions, unit_of_work, document_id: str, cfg: dict) -> tuple[bytes, str]:
    """The redacted copy as a PDF: itself, or the redacted DOCX converted by
    LibreOffice (outside any transaction) and kept until the copy changes."""
    with sessions() as session:
        doc = get(session, document_id)
        _ready(doc)
        if flattened(doc):
            return doc.redacted_data, doc.redacted_sha256
        if doc.redacted_pdf is not None:
            return doc.redacted_pdf, doc.redacted_pdf_sha256
        source, source_sha = doc.redacted_data, doc.redacted_sha256
    try:
        converted = docx_to_pdf(source, timeout_s=float(cfg.get("PDF_TIMEOUT_SECONDS") or 120),
                                soffice=cfg.get("SOFFICE"))
    except PdfConversionError as exc:
        log.error("PDF of legacy document %s failed: %s", document_id, exc)
        raise Unavailable("The PDF could not be produced right now; try again shortly, or take "
                          "the DOCX.", retry_after=30) from None
    # LibreOffice writes its own document info: the same scrub as any PDF.
    data = pdf_pass.scrub_bytes(converted)
    digest = sha256_hex(data)
    with unit_of_work() as uow:
        doc = get(uow.session, document_id, lock=True)
        if doc.redacted_sha256 == source_sha and doc.redacted_pdf is None:
            doc.redacted_pdf, doc.redacted_pdf_sha256 = data, digest
            uow.commit()
    return data, digest


def _ready(doc: LegacyDocument) -> None:
    if doc.state == PROCESSING:
        raise Conflict(f"The disclosure copy is being made ({doc.progress_done or 0} of "
                       f"{doc.pages or '?'} pages); ask again when the document is no longer "
                       "processing.", state=PROCESSING,
                       progress={"done": doc.progress_done or 0, "pages": doc.pages})


def redacted_docx(session: Session, document_id: str) -> tuple[bytes, str]:
    """The rebuilt Word copy; a Word file disclosed as a flattened PDF only has none."""
    doc = get(session, document_id)
    _ready(doc)
    if flattened(doc):
        raise Conflict(doc.copy_note or "This document is disclosed as a PDF only.", formats=["pdf"])
    return doc.redacted_data, doc.redacted_sha256


def preview(unit_of_work, sessions, document_id: str, number: int, cfg: dict) -> bytes:
    data, _ = redacted_pdf(sessions, unit_of_work, document_id, cfg)
    try:
        png = _limited(cfg, pdf_pass.render_page, data, number, document_id=document_id,
                       passthrough=(IndexError,))
    except IndexError:
        raise NotFound(f"Page {number} of legacy document {document_id}") from None
    with unit_of_work() as uow:
        doc = get(uow.session, document_id, lock=True)
        # What was looked at: a page is confirmed only against the copy previewed.
        doc.previewed_pages = {**(doc.previewed_pages or {}), str(number): doc.redacted_sha256}
        uow.commit()
    return png


def confirm_page(uow: UnitOfWork, document_id: str, number: int, actor) -> LegacyDocument:
    doc = get(uow.session, document_id, lock=True)
    _ready(doc)
    if number not in doc.pages_to_confirm:
        raise Conflict(f"Page {number} has a text layer and nothing its reading found; only "
                       "scanned pages and pages listed in review_pages need confirming.",
                       scan_pages=list(doc.scan_pages or []), review_pages=list(doc.review_pages or []))
    if (doc.previewed_pages or {}).get(str(number)) != doc.redacted_sha256:
        raise Conflict(f"Look at the preview of page {number} of the current redacted copy first "
                       f"(GET /api/v1/documents/{doc.id}/disclosure/pages/{number}.png).")
    doc.confirmed_pages = {**(doc.confirmed_pages or {}), str(number): doc.redacted_sha256}
    doc.updated_at = utcnow()
    uow.emit("legacy_document.page_confirmed", doc.id, {
        "document_id": doc.id, "page": number, "redacted_sha256": doc.redacted_sha256,
        "by": {"sub": actor.sub, "name": actor.name}})
    return doc


# -- release -------------------------------------------------------------------------------
def validate_url(url) -> list[dict]:
    if url is None:
        return []
    parts = urlsplit(url) if isinstance(url, str) else None
    if parts is None or parts.scheme not in ("http", "https") or not parts.netloc or len(url) > 2000:
        return [{"pointer": "/published_url", "detail": "An http(s) address of at most 2000 characters."}]
    return []


def release(uow: UnitOfWork, document_id: str, actor, cfg: dict, *, note: str | None = None,
            published_url: str | None = None) -> LegacyDocument:
    session = uow.session
    doc = get(session, document_id, lock=True)
    errors = validate_url(published_url)
    if errors:
        raise InvalidContent(errors)
    if doc.state == RELEASED:
        raise Conflict("The document is already released.", state=RELEASED)
    if published_url is None:
        _ready(doc)
        if flattened(doc) and inputs(session, doc, cfg)["sha256"] != doc.inputs_sha256:
            _flatten_later(doc)
            doc.updated_at = utcnow()
            session.flush()
            uow.commit()  # the new copy is asked for; the release is not made
            raise Conflict("The censor rules or the name register changed since the copy was made: "
                           "it is being made again. Look at it, then release it.",
                           state=PROCESSING)
        if not flattened(doc) and rerender(session, doc, cfg):
            doc.updated_at = utcnow()
            session.flush()
            uow.commit()  # the refreshed copy is kept; the release is not
            raise Conflict("The censor rules or the name register changed since the copy was made: "
                           "it was redacted again. Look at it, then release it.",
                           redacted_sha256=doc.redacted_sha256)
        pending = doc.needs_manual_review
        if pending:
            raise Conflict("Pages without a text layer (scans), and pages where the reading of the "
                           "page image found what the text layer did not, must be confirmed by an "
                           "FOI officer after looking at their preview.", needs_manual_review=pending)
    now = utcnow()
    doc.state = RELEASED
    doc.released_at = doc.updated_at = now
    doc.released_by_sub, doc.released_by_name = actor.sub, actor.name
    doc.release_note = note or None
    doc.published_url = published_url
    doc.released_sha256 = None if published_url else doc.redacted_sha256
    session.flush()
    uow.emit(RELEASED_EVENT, doc.id, {
        "document_id": doc.id, "operation_id": doc.operation_id,
        "operation_reference": reference_of(session, doc), "format": doc.format,
        "released_sha256": doc.released_sha256, "published_url": published_url,
        "note": doc.release_note, "released_by": {"sub": actor.sub, "name": actor.name}})
    return doc
