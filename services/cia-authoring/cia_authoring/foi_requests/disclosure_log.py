"""The public disclosure log: sent responses, their letter as sent and their
attachments (released disclosure copies only). Read-only; what it shows never
includes the requester: the letter is stored without them, the questions pass
through the disclosure pass with the requester withheld.
"""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from cia_common.errors import NotFound

from cia_authoring.releases import bundle
from cia_authoring.foi_requests import letter
from cia_authoring.foi_requests.models import SENT, FoiRequest


def sent(session: Session, reference: str) -> FoiRequest:
    req = session.scalar(sa.select(FoiRequest).where(FoiRequest.reference == reference,
                                                     FoiRequest.state == SENT))
    if req is None:
        raise NotFound(f"A published response to {reference}")
    return req


def _exemptions(req: FoiRequest) -> list[str]:
    for entry in reversed(req.history or []):
        if entry.get("action") == "sent":
            return [letter.CITED[e] for e in entry.get("exemptions") or [] if e in letter.CITED]
    return []


def entry(req: FoiRequest, cfg: dict, base: str = "/public/disclosure-log") -> dict:
    clean = letter.redactor_for(req, cfg).text
    return {
        "reference": req.reference,
        "received_on": req.received_on,
        "sent_on": req.sent_on,
        "questions": [{"number": q["number"], "text": clean(q["text"])} for q in req.questions],
        "exemptions": _exemptions(req),
        "attachments": len(req.sent_attachments or []),
        "links": {"self": f"{base}/{req.reference}", "letter": f"{base}/{req.reference}/letter",
                  "attachments": f"{base}/{req.reference}/attachments"},
    }


def list_(session: Session, cfg: dict, *, page: int, page_size: int) -> tuple[list[dict], int]:
    where = FoiRequest.state == SENT
    total = session.scalar(sa.select(sa.func.count()).select_from(FoiRequest).where(where))
    rows = session.scalars(sa.select(FoiRequest).where(where)
                           .order_by(FoiRequest.sent_on.desc(), FoiRequest.reference)
                           .offset((page - 1) * page_size).limit(page_size))
    return [entry(r, cfg) for r in rows], total


def attachment_items(session: Session, req: FoiRequest, cfg: dict
                     ) -> tuple[list[bundle.BundleItem], list[bundle.LegacyItem]]:
    """The copies and legacy documents sent with the response that are still released
    and current."""
    sent_ = req.sent_attachments or []
    wanted = {(a["cia_id"], a["version"]) for a in sent_ if "cia_id" in a}
    wanted_legacy = {a["legacy_document_id"] for a in sent_ if "legacy_document_id" in a}
    items = [i for i in bundle.released_copies(session, cfg=cfg)[0]
             if (i.cia_id, i.version) in wanted] if wanted else []
    legacy = [d for d in bundle.released_legacy(session, cfg=cfg)
              if d.document.id in wanted_legacy and not d.document.published_url] \
        if wanted_legacy else []
    return items, legacy
