"""What the public disclosure log will serve, made when a response is sent.

At ``send`` the public entry (the questions through the public redactor, the
exemptions applied, how many attachments), the letter and the attachments (their
index and redaction logs through the same redactor) are stored as published
snapshots (``cia_authoring.published``). The log itself is served by its own
process (``cia_authoring.public``), which reads those snapshots and nothing else:
it can print only what was sent.
"""
from __future__ import annotations

import json
from contextlib import nullcontext

from sqlalchemy.orm import Session

from cia_authoring import published
from cia_authoring.releases import bundle
from cia_authoring.foi_requests import letter
from cia_authoring.foi_requests.models import FoiRequest


def attachments_zip(session: Session, resolved: letter.Resolved, clean: letter.Clean,
                    moment=None) -> bytes:
    """The attachments as one zip, its index and logs through ``clean``."""
    return b"".join(bundle.stream(
        lambda: nullcontext(session), [c.item for c in resolved.attached_copies],
        legacy=[d.item for d in resolved.attached_legacy], clean=clean, now=moment))


def entry(req: FoiRequest, resolved: letter.Resolved, clean: letter.Clean) -> dict:
    """The log's entry of a sent response (the public log adds its links)."""
    clean.redactor.collect([q["text"] for q in req.questions])
    return {"reference": req.reference, "received_on": req.received_on.isoformat(),
            "sent_on": req.sent_on.isoformat(),
            "questions": [{"number": q["number"], "text": clean(q["text"], f"/questions/{i}/text")}
                          for i, q in enumerate(req.questions)],
            "exemptions": [letter.CITED[e] for e in resolved.exemptions()],
            "attachments": len(resolved.attached_copies) + len(resolved.attached_legacy)}


def publish(session: Session, req: FoiRequest, resolved: letter.Resolved, docx: bytes,
            cfg: dict) -> None:
    """The published snapshots of a response being sent: all the public log will read."""
    clean = letter.Clean(letter.redactor_for(session, req, cfg))
    attachments = attachments_zip(session, resolved, clean, req.sent_at)
    public = json.dumps(entry(req, resolved, clean), sort_keys=True).encode("utf-8")
    for kind, data in ((published.ENTRY, public), (published.LETTER_DOCX, docx),
                       (published.ATTACHMENTS, attachments)):
        session.add(published.snapshot(req.reference, kind, req.sent_on, data))


def snapshot(session: Session, reference: str, kind: str) -> published.PublishedSnapshot | None:
    return published.get(session, reference, kind)
