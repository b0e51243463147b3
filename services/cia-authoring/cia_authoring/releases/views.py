"""What has been released, on the disclosures' routes: ``GET /api/v1/disclosures`` (CIA
copies, then legacy documents) and ``GET /api/v1/disclosures/bundle`` (one zip)."""
from __future__ import annotations

from flask import Response, stream_with_context

from cia_common.web import db
from cia_common.web.kit import BINARY, cfg, guarded, ok_doc, unit_of_work

from cia_authoring.disclosure.schemas import DisclosureQuerySchema, RangeQuerySchema
from cia_authoring.disclosure.views import ZIP, blp
from cia_authoring.legacy.schemas import LegacyDisclosureSchema
from cia_authoring.releases import bundle
from cia_authoring.releases import service as releases
from cia_authoring.roles import DISCLOSURE_READERS


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
        items, total = releases.list_(
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
        items, left_out = bundle.released_copies(uow.session, start_from, start_to, cfg())
        legacy = bundle.released_legacy(uow.session, start_from, start_to, cfg())
    sessions = db().sessions
    body = bundle.stream(sessions, items, start_from=start_from, start_to=start_to, legacy=legacy)
    span = "-".join(d.date().isoformat() for d in (start_from, start_to) if d) or "all"
    return Response(stream_with_context(body), mimetype=ZIP, headers={
        "Content-Disposition": f'attachment; filename="disclosures-{span}.zip"',
        "X-Bundle-Copies": str(len(items)), "X-Bundle-Legacy-Documents": str(len(legacy)),
        "X-Bundle-Left-Out": str(left_out)})
