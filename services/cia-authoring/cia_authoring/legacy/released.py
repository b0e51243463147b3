"""The released legacy documents, for the bundles, the disclosures listing and FOI
responses. A document with ``published_url`` is published elsewhere: it is cited
(FOIA s.21, reasonably accessible) with its link instead of a file."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timezone
from typing import Iterable

import sqlalchemy as sa
from sqlalchemy.orm import Session

from cia_authoring.operations.models import Operation
from cia_authoring.legacy.models import RELEASED, LegacyDocument

PUBLISHED_EXEMPTION = "s.21"


def disclosed_format():
    """The format of the released file: a Word document that could not be made clean
    is disclosed as its flattened PDF."""
    return sa.case((LegacyDocument.pdf_only.is_(True), "pdf"),
                   else_=LegacyDocument.format).label("format")


@dataclass(frozen=True)
class ReleasedDocument:
    id: str
    operation_id: str
    operation_reference: str
    borough: str
    planned_start: datetime
    planned_end: datetime
    title: str
    dated: date | None
    format: str
    sha256: str  # of the released (redacted) file; the original's is ``source_sha256``
    size: int
    source: str
    source_sha256: str
    released_at: datetime
    published_url: str | None

    @property
    def folder(self) -> str:
        return f"{self.operation_reference}-legacy-{self.id[:8]}"


def released_legacy_documents(session: Session, *, operation_ids: Iterable[str] | None = None,
                              date_from: datetime | date | None = None,
                              date_to: datetime | date | None = None) -> list[ReleasedDocument]:
    """Released legacy documents, oldest operation first. ``operation_ids`` limits them to
    those operations; ``date_from`` / ``date_to`` to operations planned to start in
    [from, to) (a date counts from its midnight, UTC)."""
    query = (sa.select(LegacyDocument.id, LegacyDocument.operation_id, Operation.reference,
                       Operation.borough, Operation.planned_start, Operation.planned_end,
                       LegacyDocument.title, LegacyDocument.dated, disclosed_format(),
                       LegacyDocument.released_sha256, LegacyDocument.redacted_size,
                       LegacyDocument.source, LegacyDocument.sha256.label("source_sha256"),
                       LegacyDocument.released_at, LegacyDocument.published_url)
             .join(Operation, Operation.id == LegacyDocument.operation_id)
             .where(LegacyDocument.state == RELEASED)
             .order_by(Operation.planned_start, Operation.reference, LegacyDocument.dated,
                       LegacyDocument.id))
    if operation_ids is not None:
        query = query.where(LegacyDocument.operation_id.in_(list(operation_ids)))
    if date_from is not None:
        query = query.where(Operation.planned_start >= _moment(date_from))
    if date_to is not None:
        query = query.where(Operation.planned_start < _moment(date_to))
    return [ReleasedDocument(r.id, r.operation_id, r.reference, r.borough, r.planned_start,
                             r.planned_end, r.title, r.dated, r.format, r.released_sha256 or "",
                             r.redacted_size, r.source, r.source_sha256, r.released_at,
                             r.published_url)
            for r in session.execute(query)]


def released_data(session: Session, document_id: str, sha256: str) -> bytes | None:
    """The released file, if it is still the one released."""
    row = session.execute(sa.select(LegacyDocument.redacted_data, LegacyDocument.redacted_sha256)
                          .where(LegacyDocument.id == document_id,
                                 LegacyDocument.state == RELEASED)).first()
    if row is None or row.redacted_sha256 != sha256:
        return None
    return row.redacted_data


def released_log(session: Session, document_id: str) -> list:
    return session.execute(sa.select(LegacyDocument.redaction_log)
                           .where(LegacyDocument.id == document_id)).scalar() or []


def _moment(value: datetime | date) -> datetime:
    if isinstance(value, datetime):
        return value
    return datetime.combine(value, time.min, tzinfo=timezone.utc)
