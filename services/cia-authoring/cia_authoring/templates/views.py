"""/api/v1/templates — a force's own Word templates (role admin), and the FOI
officer's re-render of a disclosure copy with the template of their choice."""
from __future__ import annotations

import logging

from flask import Response, request
from flask_smorest import Api, Blueprint

from cia_common.errors import InvalidContent, NotFound
from cia_common.web.problems import Problem

from cia_authoring.documents import pdfs
from cia_authoring.documents import service as rendering
from cia_common.web.kit import DOCX, actor, cfg, guarded, negotiate, unit_of_work
from cia_common.web.problems import PROBLEM_JSON
from cia_schemas.errors import ProblemSchema
from cia_authoring.documents.libreoffice import PdfConversionError
from cia_authoring.disclosure import copies
from cia_common.web.kit import BINARY, ok_doc
from cia_authoring.templates import fields, service
from cia_authoring.templates.schemas import (GuideSchema, RerenderOutcomeSchema, RerenderSchema, TemplateKindSchema,
                      TemplateVersionSchema)

log = logging.getLogger(__name__)

ADMIN = ("admin",)
FOI = ("foi",)
PDF = rendering.PDF

blp = Blueprint(
    "templates", __name__, url_prefix="/api/v1/templates",
    description="The force's own Word templates: cia (the full and disclosure copies of a CIA) "
                "and foi-response (the FOI response letter). Each upload is checked (it must "
                "render the example CIA and use only the variables of the author's guide) and "
                "kept as a numbered version; version 0 is the default shipped with the service. "
                "Every stored document records the template kind, version and SHA-256 that "
                "produced it. Role admin.")

rerender_blp = Blueprint(
    "disclosure_rerender", __name__, url_prefix="/api/v1/disclosures",
    description="Re-rendering a disclosure copy with the template of the FOI officer's choice.")

_UPLOAD_BODY = {"required": True, "content": {"multipart/form-data": {"schema": {
    "type": "object", "required": ["file"],
    "properties": {"file": {"type": "string", "format": "binary",
                            "description": "The DOCX template (.docx, no macros)."},
                   "note": {"type": "string", "maxLength": service.MAX_NOTE,
                            "description": "What changed, for the version list."}}}}}}
_PREVIEW_BODY = {"required": True, "content": {"multipart/form-data": {"schema": {
    "type": "object", "required": ["file"],
    "properties": {"file": {"type": "string", "format": "binary",
                            "description": "The DOCX template to try."}}}}}}
_INVALID = {"description": "The template cannot be used: each problem in errors[] with its "
                           "code and location (part, paragraph, text)."}


def present(v: service.VersionInfo) -> dict:
    return {"kind": v.kind, "version": v.version, "sha256": v.sha256, "size": v.size,
            "active": v.active, "filename": v.filename, "note": v.note,
            "uploaded_by": v.uploaded_by, "uploaded_at": v.uploaded_at}


def _uploaded_file() -> tuple[bytes, str | None]:
    if not (request.mimetype or "").startswith("multipart/form-data"):
        raise InvalidContent([{"pointer": "/file", "location": "body",
                               "detail": "Send the template as multipart/form-data, field file."}])
    upload = request.files.get("file")
    if upload is None:
        raise InvalidContent([{"pointer": "/file", "location": "body",
                               "detail": "Missing the template (multipart field file)."}])
    data = upload.read()
    if not data:
        raise InvalidContent([{"pointer": "/file", "location": "body",
                               "detail": "The uploaded file is empty."}])
    return data, upload.filename


def _kind(kind: str) -> str:
    if kind not in service.kinds():
        raise NotFound(f"Template kind {kind!r}")
    return kind


@blp.route("", methods=["GET"])
@guarded(blp, *ADMIN)
@blp.response(200, TemplateKindSchema(many=True))
def list_kinds():
    """The kinds of template, each with the version in force."""
    with unit_of_work() as uow:
        out = []
        for kind in service.kinds():
            summary = service.summary(uow.session, kind)
            out.append({**summary, "active": present(summary["active"])})
        return out


@blp.route("/<string:kind>", methods=["GET"])
@guarded(blp, *ADMIN)
@blp.doc(**ok_doc("The DOCX of the template in force.", {DOCX: BINARY}, headers={
    "X-Template-Version": {"schema": {"type": "integer"}},
    "X-Template-SHA256": {"schema": {"type": "string"}},
    "ETag": {"schema": {"type": "string"}}}))
@blp.alt_response(404, schema=ProblemSchema, content_type=PROBLEM_JSON,
                  description="No such kind of template.")
def download(kind):
    """Download the template in force, to edit it in Word or LibreOffice."""
    with unit_of_work() as uow:
        t = service.active(uow.session, _kind(kind))
    return Response(t.data, mimetype=DOCX, headers={
        "ETag": f'"{t.sha256}"', "X-Template-Version": str(t.version),
        "X-Template-SHA256": t.sha256,
        "Content-Disposition": f'attachment; filename="{kind}-template-v{t.version}.docx"'})


@blp.route("/<string:kind>", methods=["PUT"])
@guarded(blp, *ADMIN)
@blp.doc(requestBody=_UPLOAD_BODY)
@blp.response(201, TemplateVersionSchema)
@blp.alt_response(404, schema=ProblemSchema, content_type=PROBLEM_JSON,
                  description="No such kind of template.")
@blp.alt_response(422, schema=ProblemSchema, content_type=PROBLEM_JSON, **_INVALID)
def upload(kind):
    """Upload a new version of a template; once it passes the checks it is kept and put in
    force. A template that fails them is not kept and changes nothing."""
    _kind(kind)
    data, filename = _uploaded_file()
    note = request.form.get("note") or None
    with unit_of_work() as uow:
        version = service.upload(uow, kind, data, filename, note, actor(), cfg())
        uow.commit()
        return present(version), 201, {
            "Location": f"/api/v1/templates/{kind}/versions/{version.version}"}


@blp.route("/<string:kind>/versions", methods=["GET"])
@guarded(blp, *ADMIN)
@blp.response(200, TemplateVersionSchema(many=True))
@blp.alt_response(404, schema=ProblemSchema, content_type=PROBLEM_JSON,
                  description="No such kind of template.")
def list_versions(kind):
    """Every version of a template, the shipped default (0) first."""
    with unit_of_work() as uow:
        return [present(v) for v in service.versions(uow.session, _kind(kind))]


@blp.route("/<string:kind>/versions/<int:number>/activate", methods=["POST"])
@guarded(blp, *ADMIN)
@blp.response(200, TemplateVersionSchema)
@blp.alt_response(404, schema=ProblemSchema, content_type=PROBLEM_JSON,
                  description="No such kind or version.")
@blp.alt_response(409, schema=ProblemSchema, content_type=PROBLEM_JSON,
                  description="That version is already in force.")
def activate(kind, number):
    """Put a version back in force (a roll-back); documents rendered from now on use it."""
    with unit_of_work() as uow:
        version = service.activate(uow, _kind(kind), number, actor())
        uow.commit()
        return present(version)


@blp.route("/<string:kind>/fields", methods=["GET"])
@guarded(blp, *ADMIN)
@blp.response(200, GuideSchema)
@blp.alt_response(404, schema=ProblemSchema, content_type=PROBLEM_JSON,
                  description="No such kind of template.")
def guide(kind):
    """The template author's guide, from the content schema: every variable with its type,
    section, disclosure class and an example; the loops; the helpers."""
    return fields.guide(_kind(kind))


@blp.route("/<string:kind>/preview", methods=["POST"])
@guarded(blp, *ADMIN)
@blp.doc(requestBody=_PREVIEW_BODY)
@blp.doc(**ok_doc("The example CIA rendered with the template: DOCX, or PDF when the Accept "
                  "header prefers application/pdf.", {DOCX: BINARY, PDF: BINARY}))
@blp.alt_response(404, schema=ProblemSchema, content_type=PROBLEM_JSON,
                  description="No such kind of template.")
@blp.alt_response(406, schema=ProblemSchema, content_type=PROBLEM_JSON,
                  description="The Accept header allows neither DOCX nor PDF.")
@blp.alt_response(422, schema=ProblemSchema, content_type=PROBLEM_JSON, **_INVALID)
@blp.alt_response(503, schema=ProblemSchema, content_type=PROBLEM_JSON,
                  description="The PDF could not be produced right now; the DOCX is available.",
                  headers={"Retry-After": {"schema": {"type": "integer"}}})
def preview(kind):
    """Render the example CIA with an uploaded template, without keeping or activating it."""
    _kind(kind)
    media = negotiate([DOCX, PDF], None, {})
    data, _filename = _uploaded_file()
    docx = service.preview(kind, data, cfg())
    if media == PDF:
        try:
            out = pdfs.convert(docx, cfg())
        except PdfConversionError as exc:
            log.error("preview PDF failed: %s", exc)
            raise Problem(503, "Service Unavailable", "The PDF could not be produced right now; "
                          f"ask for the DOCX ({DOCX}).", headers={"Retry-After": "30"}) from None
    else:
        out = docx
    ext = "pdf" if media == PDF else "docx"
    return Response(out, mimetype=media, headers={
        "Content-Disposition": f'attachment; filename="{kind}-preview.{ext}"', "Vary": "Accept"})


@rerender_blp.route("/<string:cia_id>/versions/<int:number>/rerender", methods=["POST"])
@guarded(rerender_blp, *FOI)
@rerender_blp.arguments(RerenderSchema, required=False)
@rerender_blp.response(200, RerenderOutcomeSchema)
@rerender_blp.alt_response(404, schema=ProblemSchema, content_type=PROBLEM_JSON,
                           description="No disclosure copy of that version.")
def rerender(data, cia_id, number):
    """Render a disclosure copy again with the censor rules in force: with the template
    version it was rendered with (``original``, the default) or the one in force now
    (``active``). A released copy that changes goes back for review."""
    which = (data or {}).get("template", copies.ORIGINAL)
    with unit_of_work() as uow:
        outcome = copies.ensure_current(uow, cia_id, number, cfg(), force=True, template=which,
                                        reason="re-rendered at the FOI officer's request "
                                               f"({which} template)")
        if outcome.status == "missing":
            raise NotFound(f"A disclosure copy of version {number} of CIA {cia_id}")
        doc = rendering.stored(uow.session, cia_id, number, rendering.DISCLOSURE)
        body = {"cia_id": cia_id, "version": number, "status": outcome.status,
                "docx_sha256": doc.sha256, **rendering.provenance(doc)}
        uow.commit()
        return body


def register(api: Api) -> None:
    api.register_blueprint(blp)
    api.register_blueprint(rerender_blp)
