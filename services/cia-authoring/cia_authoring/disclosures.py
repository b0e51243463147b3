"""FOI disclosure copies: the redacted DOCX stored at approval and its redaction log."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from cia_common.errors import NotFound

from . import rendering
from .models import Cia, CiaVersion, Document, Operation

# Nothing is released automatically: FOI officers decide; the copy waits for them.
PENDING_RELEASE = "pending_release"


def list_(session: Session, *, approved_from: datetime | None = None,
          approved_to: datetime | None = None, borough: str | None = None,
          page: int = 1, page_size: int = 10) -> tuple[list[dict], int]:
    query = (
        sa.select(Document.cia_id, Document.version, Document.sha256, Document.size,
                  Document.created_at, CiaVersion.status, CiaVersion.approved_at,
                  Operation.reference, Operation.borough, Operation.id.label("operation_id"))
        .join(CiaVersion, sa.and_(CiaVersion.cia_id == Document.cia_id,
                                  CiaVersion.number == Document.version))
        .join(Cia, Cia.id == Document.cia_id)
        .join(Operation, Operation.id == Cia.operation_id)
        .where(Document.kind == rendering.DISCLOSURE)
    )
    if approved_from:
        query = query.where(CiaVersion.approved_at >= approved_from)
    if approved_to:
        query = query.where(CiaVersion.approved_at < approved_to)
    if borough:
        query = query.where(sa.func.lower(Operation.borough) == borough.lower())
    total = session.execute(sa.select(sa.func.count()).select_from(query.subquery())).scalar_one()
    rows = session.execute(
        query.order_by(CiaVersion.approved_at.desc(), Document.cia_id, Document.version.desc())
        .limit(page_size).offset((page - 1) * page_size)
    ).all()
    return [{
        "cia_id": r.cia_id, "version": r.version, "operation_id": r.operation_id,
        "operation_reference": r.reference, "borough": r.borough, "approved_at": r.approved_at,
        "version_status": r.status, "sha256": r.sha256, "size": r.size,
        "state": PENDING_RELEASE,
    } for r in rows], total


def document(session: Session, cia_id: str, number: int) -> tuple[Document, Operation]:
    doc = rendering.stored(session, cia_id, number, rendering.DISCLOSURE)
    if doc is None:
        raise NotFound(f"A disclosure copy of version {number} of CIA {cia_id}")
    cia = session.get(Cia, cia_id)
    return doc, cia.operation
