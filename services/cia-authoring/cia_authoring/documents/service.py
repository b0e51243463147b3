"""Building the render context of a CIA version and storing its documents.

The disclosure copy is rendered from the redacted model of the whole copy
(``disclosure.model``): withheld values are replaced before the template sees
them, so they never enter the file; the rendered file then goes through the
same pass once more (``cia_redaction.docx``), whatever the template prints.

Documents are rendered with the CIA template in force (``templates.service``)
unless a given template version is asked for; a stored document records the
template kind, version and SHA-256 that produced it.
"""
from __future__ import annotations

import hashlib

import sqlalchemy as sa
from sqlalchemy.orm import Session

from cia_common.events import isoformat

from cia_authoring.disclosure import model as disclosure_model
from cia_authoring.disclosure import register
from cia_redaction.docx import scrub_docx
from cia_redaction.rules import Rule
from cia_authoring.documents.render import render_docx, render_limits
from cia_redaction.rules import fingerprint as rules_fingerprint
from cia_authoring.domain import canonical_json, sha256_hex
from cia_authoring.disclosure.models import PENDING_RELEASE, DisclosureCopy
from cia_authoring.cias.models import CiaVersion
from cia_authoring.documents.models import Document
from cia_authoring.operations.models import Operation
from cia_common.events import utcnow

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


def template_for(op: Operation, template=None):
    """``template`` if given, else the CIA template in force in the session ``op``
    belongs to (the shipped default for an operation outside any session)."""
    if template is not None:
        return template
    from cia_authoring.templates import service as templates  # the templates feature renders through us
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
    return render_docx(_context(op, version, version.content, cfg["FORCE_NAME"]),
                       title=_title(op, version, False), author_label=cfg["FORCE_NAME"],
                       template=template.data, limits=render_limits(cfg))


def disclosure_context(op: Operation, version, cfg: dict, rules: list[Rule],
                       names: list[str]) -> tuple[dict, disclosure_model.CopyModel]:
    """The render context of a disclosure copy, every text of it redacted."""
    model = disclosure_model.build(version.content, operation_context(op), cfg, rules, names)
    ctx = _context(op, version, model.content, cfg["FORCE_NAME"], model.log)
    ctx["operation"] = model.operation
    return ctx, model


def render_disclosure_context(op: Operation, version, ctx: dict, model, cfg: dict,
                              template=None) -> bytes:
    template = template_for(op, template)
    data = render_docx(ctx, title=model.redactor.text(_title(op, version, True), "/title"),
                       author_label=model.redactor.text(cfg["FORCE_NAME"], "/author"),
                       template=template.data, limits=render_limits(cfg))
    # The whole-document pass runs on every copy, so no template can print a
    # withheld value, not even one it writes into its own fixed text.
    return scrub_docx(data, model.redactor)


def context_hash(ctx: dict) -> str:
    """Equal hashes: identical documents (the render context is all a copy is made of)."""
    return hashlib.sha256(canonical_json(ctx).encode()).hexdigest()


def render_disclosure(session: Session, op: Operation, version: CiaVersion, cfg: dict,
                      rules: list[Rule], template=None) -> tuple[bytes, list, str]:
    """The disclosure DOCX, its log and its context's hash; the names it withholds
    join the register."""
    ctx, model = disclosure_context(op, version, cfg, rules, register.names(session))
    data = render_disclosure_context(op, version, ctx, model, cfg, template)
    register.add(session, version.cia_id, model.withheld_names)
    return data, model.log, context_hash(ctx)


def stored(session: Session, cia_id: str, version: int, kind: str,
           fmt: str = DOCX_FORMAT) -> Document | None:
    return session.execute(
        sa.select(Document).where(Document.cia_id == cia_id, Document.version == version,
                                  Document.kind == kind, Document.format == fmt)
    ).scalar_one_or_none()


def store_approved_documents(session: Session, op: Operation, version: CiaVersion,
                             cfg: dict, rules: list[Rule] | None = None) -> list[Document]:
    """Render the full and disclosure DOCX of an approved version, once.

    Their PDFs are made later from these stored files (see ``documents.pdfs``): LibreOffice
    is slow and may fail, and neither may hold up or undo an approval. Both are
    rendered with the CIA template in force, which each records."""
    docs = []
    template = None
    for kind in (FULL, DISCLOSURE):
        existing = stored(session, version.cia_id, version.number, kind)
        if existing is not None:
            docs.append(existing)
            continue
        template = template or template_for(op)
        if kind == FULL:
            data, log = render_full(op, version, cfg, template), None
        else:
            data, log, ctx_hash = render_disclosure(session, op, version, cfg, rules or [],
                                                    template)
            # The copy's row records what it was rendered from, so a later
            # change (rules, the name register) can tell whether it changes it.
            now = utcnow()
            session.merge(DisclosureCopy(
                cia_id=version.cia_id, version=version.number, state=PENDING_RELEASE,
                rules_fingerprint=rules_fingerprint(rules or []), context_sha256=ctx_hash,
                rendered_at=now, render_count=1, updated_at=now))
        doc = Document(cia_id=version.cia_id, version=version.number, kind=kind, format=DOCX_FORMAT,
                       sha256=sha256_hex(data), size=len(data), data=data, redaction_log=log,
                       template_kind=template.kind, template_version=template.version,
                       template_sha256=template.sha256)
        session.add(doc)
        docs.append(doc)
    session.flush()
    return docs
