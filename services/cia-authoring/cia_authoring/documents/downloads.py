"""A version's full document as it is served: the stored file of an approved version,
or one rendered on the fly (never stored, and the render audited)."""
from __future__ import annotations

from dataclasses import dataclass

from cia_common.db import DomainEvent, UnitOfWork

from cia_authoring import domain
from cia_authoring.cias import audit
from cia_authoring.cias import service as cias
from cia_authoring.documents import pdfs
from cia_authoring.documents import service as rendering

@dataclass(frozen=True)
class DocumentFile:
    data: bytes
    sha256: str
    filename: str
    stored: bool


def full_document(uow: UnitOfWork, cia_id: str, number: int, actor, cfg: dict) -> DocumentFile:
    """The stored full DOCX of an approved version; any other version is rendered
    on the fly (never stored) and the render recorded in the audit trail."""
    view = cias.version_view(uow.session, cia_id, number)
    op, version = view.operation, view.version
    filename = f"{op.reference}-v{number}.docx"
    if version.status in domain.APPROVED_STATUSES:
        doc = rendering.stored(uow.session, cia_id, number, rendering.FULL)
        if doc is not None:
            return DocumentFile(doc.data, doc.sha256, filename, stored=True)
    data = rendering.render_full(op, version, cfg)
    digest = domain.sha256_hex(data)
    audit.lock_cia(uow.session, cia_id)
    uow.record(DomainEvent(audit.DOCUMENT_RENDERED, cia_id, actor=actor, version=number,
                           content_sha256=version.content_sha256,
                           detail={"kind": rendering.FULL, "format": rendering.DOCX_FORMAT,
                                   "sha256": digest, "stored": False}))
    return DocumentFile(data, digest, filename, stored=False)


def full_document_pdf(unit_of_work: pdfs.UnitOfWorkFactory, cia_id: str, number: int, actor,
                      cfg: dict) -> DocumentFile:
    """The full PDF of a version.

    An approved version's PDF is made once from its stored DOCX and stored (by
    the worker soon after approval, or here if this request comes first); any
    other version is rendered and converted on the fly, never stored, and the
    render recorded in the audit trail. Raises ``PdfConversionError`` when
    LibreOffice fails; nothing is written then.
    """
    with unit_of_work() as uow:
        view = cias.version_view(uow.session, cia_id, number)
        op, version = view.operation, view.version
        filename = f"{op.reference}-v{number}.pdf"
        approved = version.status in domain.APPROVED_STATUSES
        content_sha256 = version.content_sha256  # of what is rendered, even if edited meanwhile
        if not approved:
            docx = rendering.render_full(op, version, cfg)
    if approved:
        pdf = pdfs.ensure(unit_of_work, pdfs.DocKey(cia_id, number, rendering.FULL), actor, cfg)
        if pdf is not None:
            return DocumentFile(pdf.data, pdf.sha256, filename, stored=True)
        # Approved before documents were stored: render it like a draft.
        with unit_of_work() as uow:
            view = cias.version_view(uow.session, cia_id, number)
            docx = rendering.render_full(view.operation, view.version, cfg)
    data = pdfs.convert(docx, cfg)  # outside any transaction: it takes seconds
    digest = domain.sha256_hex(data)
    with unit_of_work() as uow:
        audit.lock_cia(uow.session, cia_id)
        uow.record(DomainEvent(audit.DOCUMENT_RENDERED, cia_id, actor=actor, version=number,
                               content_sha256=content_sha256,
                               detail={"kind": rendering.FULL, "format": rendering.PDF_FORMAT,
                                       "sha256": digest, "stored": False}))
        uow.commit()
    return DocumentFile(data, digest, filename, stored=False)
