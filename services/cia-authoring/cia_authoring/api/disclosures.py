"""/api/v1/disclosures — redacted disclosure copies for the FOI team."""
from __future__ import annotations

from flask import Response, request
from flask_smorest import Blueprint

from cia_common.errors import Problem

from .. import disclosures
from .common import PROBLEM_JSON, DISCLOSURE_READERS, DOCX, guarded, unit_of_work
from .schemas import DisclosureQuerySchema, DisclosureSchema, ProblemSchema, RedactionSchema

blp = Blueprint("disclosures", __name__, url_prefix="/api/v1/disclosures",
                description="Disclosure copies of approved CIA versions, redacted under FOIA "
                            "s.40(2) and s.31(1)(a)(b). Roles foi and admin.")


@blp.route("", methods=["GET"])
@guarded(blp, *DISCLOSURE_READERS)
@blp.arguments(DisclosureQuerySchema, location="query")
@blp.response(200, DisclosureSchema(many=True))
@blp.paginate()
def list_disclosures(query, pagination_parameters):
    """Disclosure copies, newest approval first; filter by approval date and borough."""
    with unit_of_work() as uow:
        items, total = disclosures.list_(
            uow.session, approved_from=query.get("from_"), approved_to=query.get("to"),
            borough=query.get("borough"), page=pagination_parameters.page,
            page_size=pagination_parameters.page_size)
        pagination_parameters.item_count = total
        return items


@blp.route("/<string:cia_id>/versions/<int:number>/document", methods=["GET"])
@guarded(blp, *DISCLOSURE_READERS)
@blp.response(200, content_type=DOCX, description="The redacted DOCX stored at approval.",
              headers={"X-Content-SHA256": {"schema": {"type": "string"}},
                       "ETag": {"schema": {"type": "string"}}})
@blp.alt_response(406, schema=ProblemSchema, content_type=PROBLEM_JSON,
                  description="PDF is not available yet.")
def get_disclosure_document(cia_id, number):
    """The disclosure copy of an approved version."""
    if request.accept_mimetypes and request.accept_mimetypes.best_match([DOCX]) is None:
        raise Problem(406, "Not Acceptable",
                      f"Disclosure copies are available as {DOCX}; PDF is not available yet.")
    with unit_of_work() as uow:
        doc, op = disclosures.document(uow.session, cia_id, number)
        data, sha, reference = doc.data, doc.sha256, op.reference
    return Response(data, mimetype=DOCX, headers={
        "ETag": f'"{sha}"', "X-Content-SHA256": sha,
        "Content-Disposition": f'attachment; filename="{reference}-v{number}-disclosure.docx"'})


@blp.route("/<string:cia_id>/versions/<int:number>/redaction-log", methods=["GET"])
@guarded(blp, *DISCLOSURE_READERS)
@blp.response(200, RedactionSchema(many=True))
def get_redaction_log(cia_id, number):
    """What was withheld from the disclosure copy, where, and under which exemption."""
    with unit_of_work() as uow:
        doc, _op = disclosures.document(uow.session, cia_id, number)
        return list(doc.redaction_log or [])
