"""Building the render context of a CIA version and storing its documents.

The disclosure copy is rendered from ``redact(content)``: the redacted values
are replaced before the template sees them, so they never enter the file.
"""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from cia_common.events import isoformat

from .documents.redaction import redact
from .documents.render import render_docx
from .domain import sha256_hex
from .models import CiaVersion, Document, Operation

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PDF = "application/pdf"
FULL, DISCLOSURE = "full", "disclosure"
# Values of documents.format.
DOCX_FORMAT, PDF_FORMAT = "docx", "pdf"

# Operation fields the documents show; all of them are public once a CIA is
# disclosed (the watchlist and tactical details live in the content, redacted).
_OPERATION_FIELDS = ("reference", "name", "borough", "ward", "location_name", "use_case")


def operation_context(op: Operation) -> dict:
    ctx = {k: getattr(op, k) for k in _OPERATION_FIELDS}
    ctx["planned_start"] = isoformat(op.planned_start)
    ctx["planned_end"] = isoformat(op.planned_end)
    return ctx


def _context(op: Operation, version: CiaVersion, content: dict, force_name: str,
             redaction_log: list | None = None) -> dict:
    ctx = {
        "force_name": force_name,
        "operation": operation_context(op),
        "cia": {"version": version.number, "status": version.status, "content": content},
    }
    if redaction_log is not None:
        ctx["redaction_log"] = redaction_log
    return ctx


def _title(op: Operation, version: CiaVersion, disclosure: bool) -> str:
    suffix = " (disclosure copy)" if disclosure else ""
    return f"Community Impact Assessment {op.reference} v{version.number}{suffix}"


def render_full(op: Operation, version: CiaVersion, cfg: dict) -> bytes:
    return render_docx(_context(op, version, version.content, cfg["FORCE_NAME"]),
                       title=_title(op, version, False), author_label=cfg["FORCE_NAME"])


def render_disclosure(op: Operation, version: CiaVersion, cfg: dict) -> tuple[bytes, list]:
    redacted, log = redact(version.content, rank_cutoff=cfg["DISCLOSURE_RANK_CUTOFF"])
    data = render_docx(_context(op, version, redacted, cfg["FORCE_NAME"], log),
                       title=_title(op, version, True), author_label=cfg["FORCE_NAME"])
    return data, log


def stored(session: Session, cia_id: str, version: int, kind: str,
           fmt: str = DOCX_FORMAT) -> Document | None:
    return session.execute(
        sa.select(Document).where(Document.cia_id == cia_id, Document.version == version,
                                  Document.kind == kind, Document.format == fmt)
    ).scalar_one_or_none()


def store_approved_documents(session: Session, op: Operation, version: CiaVersion,
                             cfg: dict) -> list[Document]:
    """Render the full and disclosure DOCX of an approved version, once.

    Their PDFs are made later from these stored files (see ``pdfs``): LibreOffice
    is slow and may fail, and neither may hold up or undo an approval."""
    docs = []
    for kind in (FULL, DISCLOSURE):
        existing = stored(session, version.cia_id, version.number, kind)
        if existing is not None:
            docs.append(existing)
            continue
        if kind == FULL:
            data, log = render_full(op, version, cfg), None
        else:
            data, log = render_disclosure(op, version, cfg)
        doc = Document(cia_id=version.cia_id, version=version.number, kind=kind, format=DOCX_FORMAT,
                       sha256=sha256_hex(data), size=len(data), data=data, redaction_log=log)
        session.add(doc)
        docs.append(doc)
    session.flush()
    return docs
