"""Building the render context of a CIA version and storing its documents.

A full document is rendered from the version's content; the disclosure copy
from its redacted model (``disclosure.rendering``). Documents are rendered with
the CIA template in force (``documents.templates``) unless a given template
version is asked for; a stored document records the template kind, version and
SHA-256 that produced it.
"""
from __future__ import annotations

import hashlib

import sqlalchemy as sa
from sqlalchemy.orm import Session

from cia_common.events import isoformat

from cia_authoring.cias.models import CiaVersion, Document
from cia_authoring.documents import templates
from cia_authoring.documents.render import render_docx, render_limits
from cia_authoring.domain import canonical_json, sha256_hex
from cia_authoring.operations.models import Operation

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


def context(op: Operation, version: CiaVersion, content: dict, force_name: str,
            redaction_log: list | None = None) -> dict:
    ctx = {
        "force_name": force_name,
        "operation": operation_context(op),
        "cia": {"version": version.number, "status": version.status, "content": content},
    }
    if redaction_log is not None:
        ctx["redaction_log"] = redaction_log
    return ctx


def title(op: Operation, version: CiaVersion, disclosure: bool) -> str:
    suffix = " (disclosure copy)" if disclosure else ""
    return f"Community Impact Assessment {op.reference} v{version.number}{suffix}"


def template_for(op: Operation, template=None):
    """``template`` if given, else the CIA template in force in the session ``op``
    belongs to (the shipped default for an operation outside any session)."""
    if template is not None:
        return template
    state = sa.inspect(op, raiseerr=False)  # None for a plain object (tests, previews)
    session = state.session if state is not None else None
    if session is None:
        return templates.default_template(templates.CIA)
    return templates.active(session, templates.CIA)


def provenance(doc: Document) -> dict:
    """What a stored document records of the template that produced it."""
    return {"template": None if doc.template_sha256 is None else {
        "kind": doc.template_kind, "version": doc.template_version,
        "sha256": doc.template_sha256}}


def render_full(op: Operation, version: CiaVersion, cfg: dict, template=None) -> bytes:
    template = template_for(op, template)
    return render_docx(context(op, version, version.content, cfg["FORCE_NAME"]),
                       title=title(op, version, False), author_label=cfg["FORCE_NAME"],
                       template=template.data, limits=render_limits(cfg))


def store(session: Session, version, kind: str, data: bytes, template,
          redaction_log: list | None = None) -> Document:
    """Keep a rendered DOCX of ``version`` with the template that produced it."""
    doc = Document(cia_id=version.cia_id, version=version.number, kind=kind, format=DOCX_FORMAT,
                   sha256=sha256_hex(data), size=len(data), data=data, redaction_log=redaction_log,
                   template_kind=template.kind, template_version=template.version,
                   template_sha256=template.sha256)
    session.add(doc)
    return doc


def context_hash(ctx: dict) -> str:
    """Equal hashes: identical documents (the render context is all a copy is made of)."""
    return hashlib.sha256(canonical_json(ctx).encode()).hexdigest()


def stored(session: Session, cia_id: str, version: int, kind: str,
           fmt: str = DOCX_FORMAT) -> Document | None:
    return session.execute(
        sa.select(Document).where(Document.cia_id == cia_id, Document.version == version,
                                  Document.kind == kind, Document.format == fmt)
    ).scalar_one_or_none()
