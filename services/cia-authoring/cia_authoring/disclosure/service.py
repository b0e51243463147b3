"""FOI disclosure copies: the redacted DOCX (and PDF) stored at approval, their
release state and redaction log.

A copy starts ``pending_release``; an FOI officer releases it
(``cia_authoring.disclosure.release``). A copy whose censor rules changed and that the
worker has not re-rendered yet shows ``rerender_pending``. The listing of everything
released, legacy documents included, is ``releases.service``.
"""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session, aliased

from cia_common.errors import NotFound

from cia_authoring.documents import service as rendering
from cia_authoring.disclosure import copies as foi_copies
from cia_authoring.disclosure import censor_rules as foi_rules
from cia_authoring.disclosure import sight_checks
from cia_authoring.disclosure.models import PENDING_RELEASE, RELEASED, DisclosureCopy
from cia_authoring.cias.models import Cia, CiaVersion
from cia_authoring.cias.models import Document
from cia_authoring.operations.models import Operation

__all__ = ["PENDING_RELEASE", "RELEASED", "document", "get", "item", "pdf", "query"]

_Pdf = aliased(Document)


def query():
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


def item(r, fingerprints: dict) -> dict:
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


def get(session: Session, cia_id: str, number: int, cfg: dict | None = None) -> dict:
    """One copy; with ``cfg``, with its check by sight (``sight_checks``)."""
    select, _ = query()
    row = session.execute(select.where(Document.cia_id == cia_id,
                                      Document.version == number)).first()
    if row is None:
        raise NotFound(f"A disclosure copy of version {number} of CIA {cia_id}")
    out = item(row, foi_rules.fingerprints(session, {cia_id}))
    if cfg is not None:
        out["sight_check"] = sight_checks.present(
            sight_checks.copy_check(session, cia_id, number, cfg))
    return out


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
