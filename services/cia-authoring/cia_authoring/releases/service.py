"""What has been released, CIA copies and legacy documents together: the disclosures
listing (``GET /api/v1/disclosures``). Released legacy documents are listed after the
CIAs' copies, with ``kind: legacy``."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from cia_authoring.cias.models import CiaVersion, Document
from cia_authoring.disclosure import censor_rules as foi_rules
from cia_authoring.disclosure import service as disclosures
from cia_authoring.disclosure.models import RELEASED
from cia_authoring.legacy.released import disclosed_format
from cia_authoring.legacy.models import RELEASED as LEGACY_RELEASED
from cia_authoring.legacy.models import LegacyDocument
from cia_authoring.operations.models import Operation


def list_(session: Session, *, approved_from: datetime | None = None,
          approved_to: datetime | None = None, borough: str | None = None,
          state: str | None = None, page: int = 1, page_size: int = 10) -> tuple[list[dict], int]:
    query, state_col = disclosures.query()
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
    items = [disclosures.item(r, fingerprints) for r in rows]
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
                       LegacyDocument.dated, disclosed_format(), LegacyDocument.source,
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
