"""FOI disclosure copies: the redacted DOCX (and PDF) stored at approval, their
release state and redaction log.

A copy starts ``pending_release``; an FOI officer releases it
(``cia_authoring.disclosure.release``). A copy whose censor rules changed and that the
worker has not re-rendered yet shows ``rerender_pending``. Released legacy
documents (``cia_authoring.legacy``) are listed after the CIAs' copies, with
``kind: legacy``.
"""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session, aliased

from cia_common.errors import NotFound

from cia_authoring.documents import service as rendering
from cia_authoring.disclosure import copies as foi_copies
from cia_authoring.disclosure import censor_rules as foi_rules
from cia_authoring.disclosure.models import PENDING_RELEASE, RELEASED, DisclosureCopy
from cia_authoring.legacy.models import RELEASED as LEGACY_RELEASED
from cia_authoring.legacy.models import LegacyDocument
from cia_authoring.cias.models import Cia, CiaVersion
from cia_authoring.documents.models import Document
from cia_authoring.operations.models import Operation

__all__ = ["PENDING_RELEASE", "RELEASED", "document", "get", "list_", "pdf"]

_Pdf = aliased(Document)


def _query():
    state = sa.func.coalesce(DisclosureCopy.state, PENDING_RELEASE)
    return (
        sa.select(Document.cia_id, Document.version, Document.sha256, Document.size,
                  Document.created_at, CiaVersion.status, CiaVersion.approved_at,
                  Operation.reference, Operation.borough, Operation.planned_start,
                  Operation.planned_end, Operation.id.label("operation_id"),
                  state.label("state"), DisclosureCopy,
                  _Pdf.sha256.label("pdf_sha256"), _Pdf.size.label("pdf_size"))
        .join(CiaVersion, sa.and_(CiaVersion.cia_id == Document.cia_id,
                                  CiaVersion.number == Document.version))
        .join(Cia, Cia.id == Document.cia_id)
        .join(Operation, Operation.id == Cia.operation_id)
        .outerjoin(DisclosureCopy, sa.and_(DisclosureCopy.cia_id == Document.cia_id,
                                           DisclosureCopy.version == Document.version))
        .outerjoin(_Pdf, sa.and_(_Pdf.cia_id == Document.cia_id, _Pdf.version == Document.version,
                                 _Pdf.kind == rendering.DISCLOSURE, _Pdf.format == "pdf"))
        .where(Document.kind == rendering.DISCLOSURE, Document.format == "docx")
    ), state


def _item(r, fingerprints: dict) -> dict:
    copy: DisclosureCopy | None = r.DisclosureCopy
    released = copy is not None and copy.state == RELEASED
    return {
        "kind": "cia",
        "cia_id": r.cia_id, "version": r.version, "operation_id": r.operation_id,
        "operation_reference": r.reference, "borough": r.borough,
        "planned_start": r.planned_start, "planned_end": r.planned_end,
        "approved_at": r.approved_at, "version_status": r.status,
        "sha256": r.sha256, "size": r.size,
        "pdf_sha256": r.pdf_sha256, "pdf_size": r.pdf_size,
        "formats": ["docx", "pdf"] if r.pdf_sha256 else ["docx"],
        "state": r.state,
        "rerender_pending": foi_copies.is_stale(copy, fingerprints, r.cia_id),
        "rendered_at": copy.rendered_at if copy is not None and copy.rendered_at else r.created_at,
        "released_at": copy.released_at if released else None,
        "released_by": ({"sub": copy.released_by_sub, "name": copy.released_by_name}
                        if released else None),
        "release_note": copy.release_note if released else None,
    }


def list_(session: Session, *, approved_from: datetime | None = None,
          approved_to: datetime | None = None, borough: str | None = None,
          state: str | None = None, page: int = 1, page_size: int = 10) -> tuple[list[dict], int]:
    query, state_col = _query()
    if approved_from:
        query = query.where(CiaVersion.approved_at >= approved_from)
    if approved_to:
        query = query.where(CiaVersion.approved_at < approved_to)
    if borough:
        query = query.where(sa.func.lower(Operation.borough) == borough.lower())
    if state:
        query = query.where(state_col == state)
    total = session.execute(sa.select(sa.func.count()).select_from(query.subquery())).scalar_one()
    rows = session.execute(
        query.order_by(CiaVersion.approved_at.desc(), Document.cia_id, Document.version.desc())
        .limit(page_size).offset((page - 1) * page_size)
    ).all()
    fingerprints = foi_rules.fingerprints(session, {r.cia_id for r in rows})
    items = [_item(r, fingerprints) for r in rows]
    legacy = _legacy_query(approved_from, approved_to, borough, state)
    if legacy is None:
        return items, total
    legacy_total = session.execute(sa.select(sa.func.count()).select_from(legacy.subquery())).scalar_one()
    if len(items) < page_size:
        # The legacy documents continue the list after the last CIA copy.
        skip = max(0, (page - 1) * page_size - total)
        for r in session.execute(legacy.order_by(LegacyDocument.released_at.desc(), LegacyDocument.id)
                                 .limit(page_size - len(items)).offset(skip)):
            items.append(_legacy_item(r))
    return items, total + legacy_total


def _legacy_query(dated_from, dated_to, borough, state):
    """Released legacy documents (``None`` when the filters exclude them all); the
    approval-date filters apply to the date the document bears."""
    if state and state != RELEASED:
        return None
    query = (sa.select(LegacyDocument.id, LegacyDocument.operation_id, LegacyDocument.title,
                       LegacyDocument.dated, LegacyDocument.format, LegacyDocument.source,
                       LegacyDocument.released_sha256, LegacyDocument.redacted_size,
                       LegacyDocument.released_at, LegacyDocument.released_by_sub,
                       LegacyDocument.released_by_name, LegacyDocument.release_note,
                       LegacyDocument.published_url, LegacyDocument.redacted_at,
                       Operation.reference, Operation.borough, Operation.planned_start,
                       Operation.planned_end)
             .join(Operation, Operation.id == LegacyDocument.operation_id)
             .where(LegacyDocument.state == LEGACY_RELEASED))
    if dated_from:
        query = query.where(LegacyDocument.dated >= dated_from.date())
    if dated_to:
        query = query.where(LegacyDocument.dated < dated_to.date())
    if borough:
        query = query.where(sa.func.lower(Operation.borough) == borough.lower())
    return query


def _legacy_item(r) -> dict:
    return {
        "kind": "legacy", "document_id": r.id, "cia_id": None, "version": None,
        "operation_id": r.operation_id, "operation_reference": r.reference, "borough": r.borough,
        "planned_start": r.planned_start, "planned_end": r.planned_end, "approved_at": None,
        "title": r.title, "dated": r.dated, "source": r.source, "published_url": r.published_url,
        "sha256": r.released_sha256, "size": None if r.published_url else r.redacted_size,
        "formats": [] if r.published_url else [r.format], "state": RELEASED,
        "rerender_pending": False, "rendered_at": r.redacted_at, "released_at": r.released_at,
        "released_by": {"sub": r.released_by_sub, "name": r.released_by_name},
        "release_note": r.release_note,
    }


def get(session: Session, cia_id: str, number: int) -> dict:
    query, _ = _query()
    row = session.execute(query.where(Document.cia_id == cia_id,
                                      Document.version == number)).first()
    if row is None:
        raise NotFound(f"A disclosure copy of version {number} of CIA {cia_id}")
    return _item(row, foi_rules.fingerprints(session, {cia_id}))


def document(session: Session, cia_id: str, number: int) -> tuple[Document, Operation]:
    """The stored disclosure DOCX and its operation; 404 when there is no copy."""
    doc = rendering.stored(session, cia_id, number, rendering.DISCLOSURE)
    if doc is None:
        raise NotFound(f"A disclosure copy of version {number} of CIA {cia_id}")
    cia = session.get(Cia, cia_id)
    return doc, cia.operation


def pdf(session: Session, cia_id: str, number: int) -> Document | None:
    """The stored PDF of the disclosure copy, if converted."""
    return rendering.stored(session, cia_id, number, rendering.DISCLOSURE, "pdf")
