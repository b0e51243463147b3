"""A CIA version's full document, DOCX or PDF: ``GET /api/v1/cias/{id}/versions/{n}/document``
(on the CIAs' routes: the documents feature comes after them)."""
from __future__ import annotations

import logging

from flask import Response

from cia_common.web.kit import DOCX, actor, cfg, guarded, negotiate, unit_of_work
from cia_common.web.problems import PROBLEM_JSON, Problem
from cia_schemas.errors import ProblemSchema

from cia_authoring.cias.views import blp
from cia_authoring.documents import downloads
from cia_authoring.documents.libreoffice import PdfConversionError
from cia_authoring.documents.pdfs import ConversionInProgress
from cia_authoring.documents.service import PDF
from cia_authoring.roles import READERS

log = logging.getLogger(__name__)


_DOCUMENT_CONTENT = {media: {"schema": {"type": "string", "format": "binary"}}
                     for media in (DOCX, PDF)}


@blp.route("/<string:cia_id>/versions/<int:number>/document", methods=["GET"])
@guarded(blp, *READERS)
@blp.doc(responses={"200": {
    "description": "The full document: DOCX, or PDF when the Accept header prefers "
                   "application/pdf.",
    "headers": {"X-Content-SHA256": {"schema": {"type": "string"},
                                     "description": "SHA-256 of the file."},
                "X-Document-Stored": {"schema": {"type": "string", "enum": ["true", "false"]},
                                      "description": "Whether this is the stored file."},
                "ETag": {"schema": {"type": "string"}}},
    "content": _DOCUMENT_CONTENT}})
@blp.alt_response(406, schema=ProblemSchema, content_type=PROBLEM_JSON,
                  description="The Accept header allows neither DOCX nor PDF (a format that "
                              "does not exist).")
@blp.alt_response(503, schema=ProblemSchema, content_type=PROBLEM_JSON,
                  description="The PDF is still being produced, or could not be produced right "
                              "now: retry after the Retry-After delay (seconds); the DOCX is "
                              "available meanwhile.",
                  headers={"Retry-After": {"description": "Seconds to wait before asking again.",
                                           "schema": {"type": "integer"}}})
def get_document(cia_id, number):
    """The full document of a version (never a disclosure copy), as DOCX or PDF.

    ``Accept: application/pdf`` asks for the PDF; otherwise the DOCX. An approved
    (or superseded) version's documents are rendered once — the DOCX at approval,
    the PDF from that DOCX soon after (or on the first request, if that comes
    first) — stored with their SHA-256 and served from storage. Any other version
    is rendered on the fly, never stored, and each such render is audited.
    """
    wanted = negotiate([DOCX, PDF])
    if wanted == PDF:
        try:
            doc = downloads.full_document_pdf(unit_of_work, cia_id, number, actor(), cfg())
        except PdfConversionError as exc:
            # Another worker converting it now is no failure.
            log.log(logging.INFO if isinstance(exc, ConversionInProgress) else logging.ERROR,
                    "PDF of CIA %s v%s failed: %s", cia_id, number, exc)
            raise Problem(503, "Service Unavailable",
                          "The PDF could not be produced right now; try again shortly, or ask "
                          f"for the DOCX (Accept: {DOCX}).", headers={"Retry-After": "30"}) from None
    else:
        with unit_of_work() as uow:
            doc = downloads.full_document(uow, cia_id, number, actor(), cfg())
            uow.commit()
    return Response(doc.data, mimetype=wanted, headers={
        "ETag": f'"{doc.sha256}"', "X-Content-SHA256": doc.sha256,
        "Content-Disposition": f'attachment; filename="{doc.filename}"',
        "X-Document-Stored": "true" if doc.stored else "false",
        "Vary": "Accept"})
