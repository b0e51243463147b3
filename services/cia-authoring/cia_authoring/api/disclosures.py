"""/api/v1/disclosures — redacted disclosure copies for the FOI team: list, one
copy, its DOCX or PDF, its redaction log (JSON or CSV), release, bundles."""
from __future__ import annotations

import csv
import io
import logging

from flask import Response, stream_with_context
from flask_smorest import Blueprint

from cia_common.errors import Problem
from cia_common.web import db

from .. import disclosures, pdfs, rendering
from ..documents.pdf import PdfConversionError
from ..pdfs import ConversionInProgress
from ..disclosure.model import detectors_for
from ..foi import bundle, copies, release
from ..foi.schemas import (DisclosureQuerySchema, DisclosureSchema, DocumentQuerySchema,
                           FormatQuerySchema, RangeQuerySchema, RedactionSchema, ReleaseSchema)
from ..foi.views import BINARY, CSV, REF, ok_doc
from ..legacy.schemas import LegacyDisclosureSchema
from .common import (DISCLOSURE_READERS, DOCX, PROBLEM_JSON, actor, cfg, guarded, negotiate,
                     unit_of_work)
from .schemas import ProblemSchema

log = logging.getLogger(__name__)

PDF = rendering.PDF
ZIP = "application/zip"
RELEASERS = ("foi",)

blp = Blueprint("disclosures", __name__, url_prefix="/api/v1/disclosures",
                description="Disclosure copies of approved CIA versions, redacted under FOIA "
                            "s.40(2) and s.31(1)(a)(b) and by the FOI team's censor rules. A copy "
                            "starts pending_release; role foi releases it. Roles foi and admin "
                            "read; neither ever gets unredacted content here.")


@blp.route("", methods=["GET"])
@guarded(blp, *DISCLOSURE_READERS)
@blp.arguments(DisclosureQuerySchema, location="query")
@blp.response(200, LegacyDisclosureSchema(many=True))
@blp.paginate()
def list_disclosures(query, pagination_parameters):
    """Disclosure copies, newest approval first, then the released legacy documents (kind
    legacy; from/to filter them by the date they bear); filter by state, approval date and
    borough."""
    with unit_of_work() as uow:
        items, total = disclosures.list_(
            uow.session, approved_from=query.get("from_"), approved_to=query.get("to"),
            borough=query.get("borough"), state=query.get("state"),
            page=pagination_parameters.page, page_size=pagination_parameters.page_size)
        pagination_parameters.item_count = total
        return items


@blp.route("/bundle", methods=["GET"])
@guarded(blp, *DISCLOSURE_READERS)
@blp.arguments(RangeQuerySchema, location="query")
@blp.doc(**ok_doc("A zip, streamed: per copy its DOCX, PDF and redaction log (CSV and JSON); "
                  "index.csv with the SHA-256 of every file.", {ZIP: BINARY}, headers={
                      "X-Bundle-Copies": {"schema": {"type": "integer"},
                                          "description": "Copies in the bundle."},
                      "X-Bundle-Left-Out": {"schema": {"type": "integer"},
                                            "description": "Released copies left out because "
                                                           "their censor rules changed."}}))
def get_bundle(query):
    """The released copies of the operations planned to start in [from, to), as one zip."""
    start_from, start_to = query.get("from_"), query.get("to")
    with unit_of_work() as uow:
        items, left_out = bundle.released_copies(uow.session, start_from, start_to,
                                                 detectors_for(cfg()))
        legacy = bundle.released_legacy(uow.session, start_from, start_to, detectors_for(cfg()))
    sessions = db().sessions
    body = bundle.stream(sessions, items, start_from=start_from, start_to=start_to, legacy=legacy)
    span = "-".join(d.date().isoformat() for d in (start_from, start_to) if d) or "all"
    return Response(stream_with_context(body), mimetype=ZIP, headers={
        "Content-Disposition": f'attachment; filename="disclosures-{span}.zip"',
        "X-Bundle-Copies": str(len(items)), "X-Bundle-Legacy-Documents": str(len(legacy)),
        "X-Bundle-Left-Out": str(left_out)})


@blp.route("/<string:cia_id>/versions/<int:number>", methods=["GET"])
@guarded(blp, *DISCLOSURE_READERS)
@blp.response(200, DisclosureSchema)
def get_disclosure(cia_id, number):
    """One disclosure copy: its files, state and release."""
    with unit_of_work() as uow:
        return disclosures.get(uow.session, cia_id, number)


@blp.route("/<string:cia_id>/versions/<int:number>/document", methods=["GET"])
@guarded(blp, *DISCLOSURE_READERS)
@blp.arguments(DocumentQuerySchema, location="query")
@blp.doc(**ok_doc("The redacted DOCX; the PDF with Accept: application/pdf or format=pdf.",
                  {DOCX: BINARY, PDF: BINARY}, headers={
                      "X-Content-SHA256": {"schema": {"type": "string"},
                                           "description": "SHA-256 of the stored file."},
                      "ETag": {"schema": {"type": "string"}}}))
@blp.alt_response(406, schema=ProblemSchema, content_type=PROBLEM_JSON,
                  description="Neither DOCX nor PDF is acceptable (a format that does not exist).")
@blp.alt_response(503, schema=ProblemSchema, content_type=PROBLEM_JSON,
                  description="The PDF is still being produced, or converting it failed just "
                              "now: retry after the Retry-After delay (seconds); the DOCX is "
                              "available meanwhile.",
                  headers={"Retry-After": {"description": "Seconds to wait before asking again.",
                                           "schema": {"type": "integer"}}})
def get_disclosure_document(query, cia_id, number):
    """The disclosure copy of an approved version, as stored: DOCX, or PDF.

    The PDF is converted from the stored DOCX by the worker soon after approval or
    after a censor rule re-rendered the copy; until then a PDF request gets 503
    with ``Retry-After`` (with ``PDF_RENDER_AHEAD`` off, the request converts it).
    """
    media = negotiate([DOCX, PDF], query.get("format"), {"docx": DOCX, "pdf": PDF})
    fmt = "pdf" if media == PDF else "docx"
    with unit_of_work() as uow:
        doc, op = disclosures.document(uow.session, cia_id, number)  # 404: no such copy
        reference = op.reference
        if fmt == "pdf":
            doc = disclosures.pdf(uow.session, cia_id, number)
        data, sha = (doc.data, doc.sha256) if doc is not None else (None, None)
    if data is None:
        if cfg().get("PDF_RENDER_AHEAD", True):
            raise Problem(503, "Service Unavailable",
                          "The PDF of this disclosure copy is not ready yet; retry shortly, or "
                          f"take the DOCX ({DOCX}).", headers={"Retry-After": "10"})
        try:
            stored = pdfs.ensure(unit_of_work, pdfs.DocKey(cia_id, number, rendering.DISCLOSURE),
                                 actor(), cfg())
        except PdfConversionError as exc:
            # Another worker converting it now is no failure.
            log.log(logging.INFO if isinstance(exc, ConversionInProgress) else logging.ERROR,
                    "PDF of the disclosure copy %s v%s failed: %s", cia_id, number, exc)
            raise Problem(503, "Service Unavailable", "The PDF could not be produced right now; "
                          f"try again shortly, or take the DOCX ({DOCX}).",
                          headers={"Retry-After": "30"}) from None
        except ValueError:  # a censor rule re-rendered the DOCX while it was converted
            raise Problem(503, "Service Unavailable", "The disclosure copy changed while its "
                          "PDF was made; ask again.", headers={"Retry-After": "5"}) from None
        if stored is None:
            raise Problem(404, "Not Found", f"A disclosure copy of version {number} of CIA "
                                            f"{cia_id} does not exist")
        data, sha = stored.data, stored.sha256
    return Response(data, mimetype=media, headers={
        "ETag": f'"{sha}"', "X-Content-SHA256": sha, "Vary": "Accept",
        "Content-Disposition": f'attachment; filename="{reference}-v{number}-disclosure.{fmt}"'})


@blp.route("/<string:cia_id>/versions/<int:number>/redaction-log", methods=["GET"])
@guarded(blp, *DISCLOSURE_READERS)
@blp.arguments(FormatQuerySchema, location="query")
@blp.response(200, RedactionSchema(many=True))
@blp.doc(**ok_doc("The redaction log: JSON, or CSV (pointer, rule_id, exemption, reason).",
                  {"application/json": {"type": "array", "items": {"$ref": REF + "Redaction"}},
                   CSV: {"type": "string"}}))
def get_redaction_log(query, cia_id, number):
    """What was withheld from the disclosure copy, where (field pointer), by which censor rule
    if any, under which exemption and why. JSON, or CSV (Accept: text/csv or format=csv)."""
    media = negotiate(["application/json", CSV], query.get("format"),
                      {"json": "application/json", "csv": CSV})
    with unit_of_work() as uow:
        doc, op = disclosures.document(uow.session, cia_id, number)
        rows, reference = copies.log_rows(doc.redaction_log), op.reference
    if media != CSV:
        return rows
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(bundle.LOG_COLUMNS))
    writer.writeheader()
    writer.writerows(rows)
    return Response(buf.getvalue(), mimetype=CSV, headers={
        "Content-Disposition": f'attachment; filename="{reference}-v{number}-redaction-log.csv"'})


@blp.route("/<string:cia_id>/versions/<int:number>/release", methods=["POST"])
@guarded(blp, *RELEASERS)
@blp.arguments(ReleaseSchema, required=False)
@blp.response(200, DisclosureSchema)
@blp.alt_response(409, schema=ProblemSchema, content_type=PROBLEM_JSON,
                  description="Already released, or being re-rendered after a censor-rule change.")
def release_disclosure(data, cia_id, number):
    """Release a disclosure copy (pending_release → released), recorded in the CIA's audit
    trail with the SHA-256 of the files released."""
    with unit_of_work() as uow:
        release.release(uow, cia_id, number, actor(), (data or {}).get("note"),
                        bool((data or {}).get("confirm_superseded")))
        uow.commit()
    with unit_of_work() as uow:
        return disclosures.get(uow.session, cia_id, number)
