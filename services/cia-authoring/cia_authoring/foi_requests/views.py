"""/api/v1/foi-requests (FOI request cases, roles foi and admin; foi writes) and
/api/v1/statistics/foi-timeliness: thin views over the service functions. The public
disclosure log is served by its own process (``cia_authoring.public``)."""
from __future__ import annotations

import logging

from flask import Flask, Response, stream_with_context
from flask_smorest import Api, Blueprint

from cia_common.web.problems import Problem
from cia_common.web import db

from cia_common.web.kit import DOCX, actor, cfg, guarded, negotiate, unit_of_work
from cia_authoring.documents.libreoffice import PdfConversionError, docx_to_pdf
from cia_authoring.releases import bundle
from cia_common.web.kit import BINARY, inline_png, ok_doc
from cia_common.web.problems import PROBLEM_JSON
from cia_schemas.errors import ProblemSchema
from cia_authoring.documents.service import PDF
from cia_authoring.foi_requests import letter, letter_checks, service, timeliness
from cia_authoring.foi_requests.schemas import (AnswerSchema, ClarificationRequestSchema, ClarificationSchema,
                      DocumentQuerySchema, ExtensionSchema, FoiRequestCreateSchema,
                      FoiRequestQuerySchema, FoiRequestSchema, RedactionsSchema, SendSchema,
                      TimelinessQuerySchema, TimelinessSchema, answer_body)
from cia_authoring import published

log = logging.getLogger(__name__)

OFFICERS = ("foi",)
READERS = ("foi", "admin")
ZIP = "application/zip"

blp = Blueprint(
    "foi_requests", __name__, url_prefix="/api/v1/foi-requests",
    description="FOI request cases: the statutory clock (FOIA s.10), answers per question, the "
                "response letter and its attachments, approval by a second officer, sending. "
                "Role foi writes; foi and admin read.")
timeliness_blp = Blueprint(
    "foi_timeliness", __name__, url_prefix="/api/v1/statistics",
    description="How promptly FOI requests are answered. Roles foi and admin.")

def _present(uow, req, **extra) -> dict:
    return {**service.present(req, service.get_answers(uow.session, req.id)), **extra}


@blp.route("", methods=["POST"])
@guarded(blp, *OFFICERS)
@blp.arguments(FoiRequestCreateSchema)
@blp.response(201, FoiRequestSchema)
def create_request(data):
    """Log a request received: its due date is the 20th working day after receipt."""
    with unit_of_work() as uow:
        req = service.create(uow, data, actor())
        uow.commit()
        return _present(uow, req), 201, {"Location": f"/api/v1/foi-requests/{req.id}"}


@blp.route("", methods=["GET"])
@guarded(blp, *READERS)
@blp.arguments(FoiRequestQuerySchema, location="query")
@blp.response(200, FoiRequestSchema(many=True))
@blp.paginate()
def list_requests(query, pagination_parameters):
    """Requests, earliest due first; filter by state and due date."""
    with unit_of_work() as uow:
        items, total = service.list_(uow.session, state=query.get("state"),
                                     due_before=query.get("due_before"),
                                     page=pagination_parameters.page,
                                     page_size=pagination_parameters.page_size)
        pagination_parameters.item_count = total
        return [_present(uow, r) for r in items]


@blp.route("/<string:request_id>", methods=["GET"])
@guarded(blp, *READERS)
@blp.response(200, FoiRequestSchema)
def get_request(request_id):
    """One request: its clock, answers, approval and history."""
    with unit_of_work() as uow:
        return _present(uow, service.get(uow.session, request_id))


@blp.route("/<string:request_id>/questions/<int:number>/answer", methods=["PUT"])
@guarded(blp, *OFFICERS)
@blp.arguments(AnswerSchema)
@blp.response(200, FoiRequestSchema)
def put_answer(data, request_id, number):
    """Answer one question (replaces its answer; a submitted or approved draft reopens)."""
    with unit_of_work() as uow:
        req, _row, proposal = service.answer(uow, request_id, number, answer_body(data), actor(),
                                             cfg())
        uow.commit()
        return _present(uow, req, **({"proposal": proposal} if proposal else {}))


def _transition(fn, request_id, *args):
    with unit_of_work() as uow:
        req = fn(uow, request_id, *args)
        uow.commit()
        return _present(uow, req)


@blp.route("/<string:request_id>/clarification-request", methods=["POST"])
@guarded(blp, *OFFICERS)
@blp.arguments(ClarificationRequestSchema)
@blp.response(200, FoiRequestSchema)
def ask_clarification(data, request_id):
    """s.1(3): ask the requester to clarify; the clock stops (awaiting_clarification)."""
    return _transition(service.request_clarification, request_id, data["note"],
                       data.get("requested_on"), actor())


@blp.route("/<string:request_id>/clarification", methods=["POST"])
@guarded(blp, *OFFICERS)
@blp.arguments(ClarificationSchema)
@blp.response(200, FoiRequestSchema)
def record_clarification(data, request_id):
    """The clarification arrived: the clock restarts from its date."""
    return _transition(service.clarified, request_id, data["received_on"], actor())


@blp.route("/<string:request_id>/extension", methods=["POST"])
@guarded(blp, *OFFICERS)
@blp.arguments(ExtensionSchema)
@blp.response(200, FoiRequestSchema)
def extend(data, request_id):
    """s.10(3): extend for the public interest test, at most 20 working days in all."""
    return _transition(service.extend, request_id, data["working_days"], data["reason"], actor(),
                       data.get("granted_on"))


@blp.route("/<string:request_id>/submit-for-approval", methods=["POST"])
@guarded(blp, *OFFICERS)
@blp.response(200, FoiRequestSchema)
def submit(request_id):
    """Every question answered: ask a second FOI officer to approve."""
    return _transition(service.submit, request_id, actor())


@blp.route("/<string:request_id>/approve", methods=["POST"])
@guarded(blp, *OFFICERS)
@blp.response(200, FoiRequestSchema)
def approve(request_id):
    """Approve the letter and the attachments as they are now (403 for an officer who
    drafted it): their SHA-256 are recorded, and ``send`` refuses them changed."""
    return _transition(service.approve, request_id, actor(), cfg())


@blp.route("/<string:request_id>/redactions", methods=["GET"])
@guarded(blp, *READERS)
@blp.response(200, RedactionsSchema)
def get_redactions(request_id):
    """What the letter and the attachments withhold, for the approver: each redaction
    with the redacted form of its text (never the value), the detector and the
    exemption; the SHA-256 of the letter and attachments as they are now and as
    approved."""
    with unit_of_work() as uow:
        return service.redactions(uow.session, request_id, cfg())


@blp.route("/<string:request_id>/send", methods=["POST"])
@guarded(blp, *OFFICERS)
@blp.arguments(SendSchema)
@blp.response(200, FoiRequestSchema)
def send(data, request_id):
    """Record the approved response as sent (today unless ``sent_on``, on or after the day
    of approval): the letter is stored as sent and published with the attachments and
    the public entry. 409 if the letter or the attachments changed since the approval."""
    return _transition(service.send, request_id, actor(), cfg(), data.get("sent_on"))


@blp.route("/<string:request_id>/response/pages/<int:page>.png", methods=["GET"])
@guarded(blp, *READERS)
@blp.doc(**ok_doc("Page n (1-based) of the approved letter as LibreOffice renders it, as a PNG, "
                  "with what its reading by sight found boxed in red.", {"image/png": BINARY}))
@blp.alt_response(409, schema=ProblemSchema, content_type=PROBLEM_JSON,
                  description="The response is not approved, or changed since.")
def get_letter_page(request_id, page):
    """A preview of one page of the approved letter, its hits boxed (looking at it lets an
    FOI officer confirm the page)."""
    png = letter_checks.preview(unit_of_work, request_id, page, cfg())
    return inline_png(png, f"response-page-{page}.png")


@blp.route("/<string:request_id>/response/pages/<int:page>/confirm", methods=["POST"])
@guarded(blp, *OFFICERS)
@blp.response(200, FoiRequestSchema)
@blp.alt_response(409, schema=ProblemSchema, content_type=PROBLEM_JSON,
                  description="Not a page with a hit, still being checked, or its preview was "
                              "not looked at.")
def confirm_letter_page(request_id, page):
    """Confirm a page of the approved letter whose reading by sight found a hit, after
    looking at its preview."""
    return _transition(letter_checks.confirm, request_id, page, cfg())


def _pdf(docx: bytes) -> bytes:
    try:
        return docx_to_pdf(docx, timeout_s=float(cfg().get("PDF_TIMEOUT_SECONDS") or 120),
                           soffice=cfg().get("SOFFICE"))
    except PdfConversionError as exc:
        log.error("PDF of an FOI response letter failed: %s", exc)
        raise Problem(503, "Service Unavailable", "The PDF could not be produced right now; try "
                      f"again shortly, or take the DOCX ({DOCX}).",
                      headers={"Retry-After": "30"}) from None


def _letter_response(request_id: str, query: dict):
    media = negotiate([DOCX, PDF], query.get("format"), {"docx": DOCX, "pdf": PDF})
    fmt = "pdf" if media == PDF else "docx"
    with unit_of_work() as uow:
        req = service.get(uow.session, request_id)
        reference, req_id, sent = req.reference, req.id, req.sent_on is not None
        data = None
        if sent:  # the letter as sent (its PDF as published, once the worker made it)
            stored = service.stored_letter(uow.session, req_id, fmt)
            if stored is None and fmt == "pdf":
                stored = published.get(uow.session, reference, published.LETTER_PDF)
            data = stored.data if stored is not None else None
            docx = service.stored_letter(uow.session, req_id, "docx").data if data is None else None
        else:  # a draft (or the letter approved): made from the answers as they are now
            resolved = letter.resolve(uow.session, req, service.get_answers(uow.session, req_id),
                                      cfg())
            docx = service.render_letter(uow.session, req, resolved, cfg())
    if data is None:
        data = _pdf(docx) if fmt == "pdf" else docx
        if sent and fmt == "pdf":  # the letter as sent never changes: convert it once
            with unit_of_work() as uow:
                service.store_letter_pdf(uow, req_id, data)
                uow.commit()
    return Response(data, mimetype=media, headers={
        "Vary": "Accept", "Content-Disposition": f'attachment; filename="{reference}-response.{fmt}"'})


_LETTER_DOC = ok_doc("The response letter: DOCX, or PDF with Accept: application/pdf or format=pdf. "
                     "Before approval, the draft dated today; approved, as approved; after "
                     "sending, the letter as sent.",
                     {DOCX: BINARY, PDF: BINARY})


@blp.route("/<string:request_id>/response", methods=["GET"])
@guarded(blp, *READERS)
@blp.arguments(DocumentQuerySchema, location="query")
@blp.doc(**_LETTER_DOC)
def get_response(query, request_id):
    """The response letter (reference, questions, decision, exemptions applied with their
    reasoning, answers with counts and statistics tables, internal review and ICO rights)."""
    return _letter_response(request_id, query)


def _zip(items, legacy, name: str, clean=None) -> Response:
    body = bundle.stream(db().sessions, items, legacy=legacy, clean=clean)
    return Response(stream_with_context(body), mimetype=ZIP, headers={
        "Content-Disposition": f'attachment; filename="{name}"',
        "X-Bundle-Copies": str(len(items) + len(legacy))})


@blp.route("/<string:request_id>/attachments", methods=["GET"])
@guarded(blp, *READERS)
@blp.doc(**ok_doc("A zip of the released disclosure copies the answers attach.", {ZIP: BINARY}))
def get_attachments(request_id):
    """The attachments of the response: the released copies and legacy documents of the
    ``disclosed`` answers (those cited as published under s.21 left out), their index and
    redaction logs through the public redactor; after sending, the attachments as sent."""
    with unit_of_work() as uow:
        req = service.get(uow.session, request_id)
        reference = req.reference
        if req.sent_on is not None:
            sent = published.get(uow.session, reference, published.ATTACHMENTS)
            if sent is not None:
                return Response(sent.data, mimetype=ZIP, headers={
                    "Content-Disposition": f'attachment; filename="{reference}-attachments.zip"'})
        resolved = letter.resolve(uow.session, req, service.get_answers(uow.session, req.id),
                                  cfg())
        items = [c.item for c in resolved.attached_copies]
        legacy = [d.item for d in resolved.attached_legacy]
        clean = letter.Clean(letter.redactor_for(uow.session, req, cfg()))
    return _zip(items, legacy, f"{reference}-attachments.zip", clean)


@timeliness_blp.route("/foi-timeliness", methods=["GET"])
@guarded(timeliness_blp, *READERS)
@timeliness_blp.arguments(TimelinessQuerySchema, location="query")
@timeliness_blp.response(200, TimelinessSchema)
def foi_timeliness(query):
    """Requests answered within 20 working days, per month of receipt (ICO threshold 90%)."""
    with unit_of_work() as uow:
        return timeliness.report(uow.session, query.get("from_"), query.get("to"), service.today())


def register(app: Flask, api: Api) -> None:
    letter.check_template(app.config)
    api.register_blueprint(blp)
    api.register_blueprint(timeliness_blp)
