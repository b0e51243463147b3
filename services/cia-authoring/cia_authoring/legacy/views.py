"""/api/v1/operations/{id}/documents and /api/v1/documents: legacy CIA documents,
their redaction, previews and release. Thin views over ``service``."""
from __future__ import annotations

import io

from flask import Flask, Response, request
from flask_smorest import Api, Blueprint

from cia_common.errors import InvalidContent
from cia_common.web import db

from cia_common.web.kit import DOCX, actor, cfg, guarded, negotiate, unit_of_work
from cia_common.web.problems import PROBLEM_JSON
from cia_schemas.errors import ProblemSchema
from cia_authoring import cells
from cia_authoring.disclosure.copies import LOG_COLUMNS, log_rows
from cia_authoring.disclosure.schemas import DocumentQuerySchema, FormatQuerySchema, RedactionSchema
from cia_common.web.kit import BINARY, CSV, PNG, REF, inline_png, ok_doc
from cia_authoring.legacy import service
from cia_authoring.legacy.schemas import (DocumentListQuerySchema, LegacyDocumentSchema, LegacyRedactionCreateSchema,
                      LegacyRedactionSchema, LegacyReleaseSchema, RedactionAddedSchema)

PDF = "application/pdf"
WRITERS = ("foi", "admin")
READERS = ("foi", "admin")
REDACTORS = ("foi",)
# Room for the multipart envelope and the form fields around the file.
_ENVELOPE = 64 * 1024

blp = Blueprint(
    "legacy_documents", __name__, url_prefix="/api/v1",
    description="Legacy CIA documents (Word or PDF, written before the system): brought in per "
                "operation, redacted for real by the same detectors, name register and censor "
                "rules as the born-digital copies plus the FOI team's own terms and areas, "
                "previewed, released. The original file is never served. Roles foi and admin; "
                "role foi redacts and releases.")


def _present(session, doc) -> dict:
    return service.present(doc, service.reference_of(session, doc))


def _present_redaction(item) -> dict:
    return {"id": item.id, "document_id": item.document_id, "text": item.text, "page": item.page,
            "rect": item.rect, "exemption": item.exemption, "reason": item.reason,
            "created_by": {"sub": item.created_by_sub, "name": item.created_by_name},
            "created_at": item.created_at}


@blp.route("/operations/<string:operation_id>/documents", methods=["POST"])
@guarded(blp, *WRITERS)
@blp.doc(requestBody={"required": True, "content": {"multipart/form-data": {
    "schema": {"type": "object", "required": ["file", "title"], "properties": {
        "file": {"type": "string", "format": "binary",
                 "description": "A .docx or a PDF, told apart by content, not name."},
        "title": {"type": "string", "maxLength": service.MAX_TITLE},
        "dated": {"type": "string", "format": "date"}}},
    "encoding": {"file": {"contentType": f"{DOCX}, {PDF}"}}}}})
@blp.response(201, LegacyDocumentSchema)
@blp.alt_response(409, schema=ProblemSchema, content_type=PROBLEM_JSON,
                  description="The same file (SHA-256) was brought in already.")
@blp.alt_response(413, schema=ProblemSchema, content_type=PROBLEM_JSON,
                  description="Larger than LEGACY_MAX_UPLOAD_BYTES (default 25 MiB).")
@blp.alt_response(422, schema=ProblemSchema, content_type=PROBLEM_JSON,
                  description="Not a DOCX or PDF by content, password-protected, macro-enabled, "
                              "corrupt; or a missing title or bad date.")
def upload(operation_id):
    """Bring in a legacy document of an operation. A Word document's copy is rebuilt at
    once (detectors, name register, censor rules), pending release; a PDF's is flattened
    by the worker: the document is processing, with its progress, until it is ready."""
    limit = service.max_bytes(cfg())
    request.max_content_length = limit + _ENVELOPE
    upload_file = request.files.get("file")
    errors = []
    if upload_file is None:
        errors.append({"pointer": "/file", "detail": "Attach the document as the multipart field file."})
    try:
        dated = service.parse_date(request.form.get("dated"))
    except ValueError:
        dated = None
        errors.append({"pointer": "/dated", "detail": "A date, YYYY-MM-DD."})
    if errors:
        raise InvalidContent(errors)
    data = upload_file.read(limit + 1)
    with unit_of_work() as uow:
        doc = service.add(uow, operation_id, data=data, filename=upload_file.filename or "",
                          title=request.form.get("title"), dated=dated, actor=actor(), cfg=cfg())
        uow.commit()
        return (_present(uow.session, doc), 201, {"Location": f"/api/v1/documents/{doc.id}"})


@blp.route("/documents", methods=["GET"])
@guarded(blp, *READERS)
@blp.arguments(DocumentListQuerySchema, location="query")
@blp.response(200, LegacyDocumentSchema(many=True))
@blp.paginate()
def list_documents(query, pagination_parameters):
    """Legacy documents, newest first; filter by operation and state."""
    with unit_of_work() as uow:
        docs, total = service.list_(uow.session, operation_id=query.get("operation_id"),
                                    state=query.get("state"), page=pagination_parameters.page,
                                    page_size=pagination_parameters.page_size)
        pagination_parameters.item_count = total
        return [_present(uow.session, d) for d in docs]


@blp.route("/documents/<string:document_id>", methods=["GET"])
@guarded(blp, *READERS)
@blp.response(200, LegacyDocumentSchema)
def get_document(document_id):
    """One legacy document: its format, redacted copy, scanned pages and release."""
    with unit_of_work() as uow:
        return _present(uow.session, service.get(uow.session, document_id))


@blp.route("/documents/<string:document_id>/redactions", methods=["POST"])
@guarded(blp, *REDACTORS)
@blp.arguments(LegacyRedactionCreateSchema)
@blp.response(201, RedactionAddedSchema)
@blp.alt_response(409, schema=ProblemSchema, content_type=PROBLEM_JSON,
                  description="The document is released.")
def add_redaction(data, document_id):
    """Withhold a term wherever it occurs in the document, or (PDF) an area of a page;
    the redacted copy is made again at once."""
    with unit_of_work() as uow:
        doc, item = service.add_redaction(uow, document_id, data, actor(), cfg())
        uow.commit()
        return {"redaction": _present_redaction(item), "document": _present(uow.session, doc)}, 201


@blp.route("/documents/<string:document_id>/redactions", methods=["GET"])
@guarded(blp, *READERS)
@blp.response(200, LegacyRedactionSchema(many=True))
def list_redactions(document_id):
    """The terms and areas the FOI team added to the document, oldest first."""
    with unit_of_work() as uow:
        service.get(uow.session, document_id)
        return [_present_redaction(i) for i in service.redactions(uow.session, document_id)]


@blp.route("/documents/<string:document_id>/disclosure", methods=["GET"])
@guarded(blp, *READERS)
@blp.arguments(DocumentQuerySchema, location="query")
@blp.doc(**ok_doc("The redacted copy in the original format; a DOCX as PDF with Accept: "
                  "application/pdf or format=pdf.", {DOCX: BINARY, PDF: BINARY}))
@blp.alt_response(409, schema=ProblemSchema, content_type=PROBLEM_JSON,
                  description="The copy is still being made (state processing, with progress).")
@blp.alt_response(503, schema=ProblemSchema, content_type=PROBLEM_JSON,
                  description="The PDF of a DOCX could not be produced just now.")
def get_disclosure(query, document_id):
    """The redacted copy of a legacy document."""
    with unit_of_work() as uow:
        doc = service.get(uow.session, document_id)
        flat = service.flattened(doc)
    # A PDF (or a Word file that cannot be made clean) is disclosed as its flattened copy only.
    offered = [PDF] if flat else [DOCX, PDF]
    media = negotiate(offered, query.get("format"), {"docx": DOCX, "pdf": PDF})
    if media == PDF:
        data, sha = service.redacted_pdf(db().sessions, unit_of_work, document_id, cfg())
        ext = "pdf"
    else:
        with unit_of_work() as uow:
            data, sha = service.redacted_docx(uow.session, document_id)
        ext = "docx"
    return Response(data, mimetype=media, headers={
        "ETag": f'"{sha}"', "X-Content-SHA256": sha, "Vary": "Accept",
        "Content-Disposition": f'attachment; filename="legacy-{document_id[:8]}-disclosure.{ext}"'})


@blp.route("/documents/<string:document_id>/disclosure/pages/<int:number>.png", methods=["GET"])
@guarded(blp, *READERS)
@blp.doc(**ok_doc("Page n (1-based) of the redacted copy, as a PNG.", {PNG: BINARY}))
def get_preview(document_id, number):
    """A preview image of one page of the redacted copy (a DOCX through its PDF)."""
    png = service.preview(unit_of_work, db().sessions, document_id, number, cfg())
    return inline_png(png, f"legacy-{document_id[:8]}-page-{number}.png")


@blp.route("/documents/<string:document_id>/pages/<int:number>/confirm", methods=["POST"])
@guarded(blp, *REDACTORS)
@blp.response(200, LegacyDocumentSchema)
@blp.alt_response(409, schema=ProblemSchema, content_type=PROBLEM_JSON,
                  description="Not a scanned page, or its preview of the current copy was not looked at.")
def confirm_page(document_id, number):
    """Confirm a scanned page (no text layer) after looking at its preview."""
    with unit_of_work() as uow:
        doc = service.confirm_page(uow, document_id, number, actor())
        uow.commit()
        return _present(uow.session, doc)


@blp.route("/documents/<string:document_id>/redaction-log", methods=["GET"])
@guarded(blp, *READERS)
@blp.arguments(FormatQuerySchema, location="query")
@blp.response(200, RedactionSchema(many=True))
@blp.doc(**ok_doc("The redaction log: JSON, or CSV.",
                  {"application/json": {"type": "array", "items": {"$ref": REF + "Redaction"}},
                   CSV: {"type": "string"}}))
def get_redaction_log(query, document_id):
    """What was withheld from the document, where (part or page), by which term or rule,
    under which exemption and why."""
    media = negotiate(["application/json", CSV], query.get("format"),
                      {"json": "application/json", "csv": CSV})
    with unit_of_work() as uow:
        rows = log_rows(service.get(uow.session, document_id).redaction_log)
    if media != CSV:
        return rows
    buf = io.StringIO()
    writer = cells.DictWriter(buf, fieldnames=list(LOG_COLUMNS))
    writer.writeheader()
    writer.writerows(rows)
    return Response(buf.getvalue(), mimetype=CSV, headers={
        "Content-Disposition": f'attachment; filename="legacy-{document_id[:8]}-redaction-log.csv"'})


@blp.route("/documents/<string:document_id>/release", methods=["POST"])
@guarded(blp, *REDACTORS)
@blp.arguments(LegacyReleaseSchema, required=False)
@blp.response(200, LegacyDocumentSchema)
@blp.alt_response(409, schema=ProblemSchema, content_type=PROBLEM_JSON,
                  description="Already released; scanned pages not confirmed; or the copy was "
                              "redacted again because the rules or register changed.")
def release_document(data, document_id):
    """Release the redacted copy (or, with published_url, cite the document as published
    elsewhere)."""
    data = data or {}
    with unit_of_work() as uow:
        doc = service.release(uow, document_id, actor(), cfg(), note=data.get("note"),
                              published_url=data.get("published_url"))
        uow.commit()
        return _present(uow.session, doc)


def register(app: Flask, api: Api) -> None:
    api.register_blueprint(blp)
