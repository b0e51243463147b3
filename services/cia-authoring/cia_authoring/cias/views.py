"""/api/v1/cias — CIAs, versions, amendments, revisions, diffs and audit (a version's
documents: ``documents.views``; an operation's status: here, on the operations' routes)."""
from __future__ import annotations

import base64
import binascii
import json
import logging
from datetime import datetime
from urllib.parse import urlencode

from flask import Response, current_app, request
from flask_smorest import Blueprint
from marshmallow import fields

from cia_common.errors import InvalidContent
from cia_common.web import db
from cia_common.web.problems import Problem

from cia_authoring import domain
from cia_authoring.cias import audit
from cia_authoring.cias import service as cias
from cia_authoring.domain import verify_chain
from cia_authoring.cias import present
from cia_authoring.operations import present as operations_present
from cia_authoring.operations.schemas import OperationSchema, OperationStatusSchema
from cia_authoring.operations.views import blp as operations_blp
from cia_authoring.cias.content_doc import submission_requirements
from cia_authoring.roles import AUTHORS, READERS
from cia_common.web.kit import DOCX, actor, cfg, guarded, if_match, negotiate, unit_of_work
from cia_common.web.problems import PROBLEM_JSON
from cia_authoring.cias.schemas import (AmendmentSchema, AuditSchema, CiaCreateSchema, CiaPatchSchema, CiaQuerySchema, CiaSchema, DiffQuerySchema, DiffSchema, RevisionSchema, SubmitSchema, VersionSummarySchema)
from cia_schemas.errors import ProblemSchema

log = logging.getLogger(__name__)

blp = Blueprint("cias", __name__, url_prefix="/api/v1/cias",
                description="Community Impact Assessments and their versions. Role planner "
                            "writes; planner, reviewer and admin read; never foi.")

_ETAG_DOC = {"ETag": {"description": "Strong ETag of the version shown; send it as If-Match.",
                      "schema": {"type": "string"}}}


def _with_etag(view, status=200, extra=None):
    headers = {"ETag": view.etag, **(extra or {})}
    return present.cia(view), status, headers


def _written(view, status=200, extra=None):
    """A write's answer: the new state's representation as JSON bytes, kept for the
    reads that follow (the next GET of this state is a cache hit), and dumped once."""
    body = present.cia_json(view)
    present.representations(current_app).put(cias.read_key(view), body)
    return Response(body, status=status, mimetype="application/json",
                    headers={"ETag": view.etag, **(extra or {})})


def _read(view):
    """A read answered 304 when the client's If-None-Match names the current state."""
    if request.if_none_match.contains_weak(view.etag.strip('"')):
        return Response(status=304, headers={"ETag": view.etag})
    return _with_etag(view)


@blp.route("", methods=["POST"])
@guarded(blp, *AUTHORS)
@blp.arguments(CiaCreateSchema)
@blp.response(201, CiaSchema, headers=_ETAG_DOC)
@blp.alt_response(409, schema=ProblemSchema, content_type=PROBLEM_JSON,
                  description="The operation already has a CIA.")
def create_cia(data):
    """Create the CIA of an operation; version 1 is a draft.

    The content may be partial, but every value given must be valid: otherwise
    422 with one ``{pointer, detail}`` per failing field and nothing is saved.
    """
    with unit_of_work() as uow:
        view = cias.create(uow, data["operation_id"], data["content"], actor())
        uow.commit()
        return _written(view, 201, {"Location": f"/api/v1/cias/{view.cia.id}"})


class CiaListQuerySchema(CiaQuerySchema):
    cursor = fields.String(metadata={
        "description": "Keyset position: the `cursor` of the `Link: <…>; rel=\"next\"` header of "
                       "the page before. Given, the page starts right after that CIA in the "
                       "list's order and `page` is ignored; CIAs created meanwhile do not shift "
                       "it (they come first in the list)."})


def _cursor_out(position: tuple) -> str:
    at, cia_id = position
    raw = json.dumps([at.isoformat(), cia_id], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _cursor_in(cursor: str) -> tuple:
    try:
        at, cia_id = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        at = datetime.fromisoformat(at)
        if not isinstance(cia_id, str) or at.tzinfo is None:
            raise ValueError(cursor)
        return at, cia_id
    except (ValueError, TypeError, UnicodeDecodeError, binascii.Error):
        raise InvalidContent([{"pointer": "/cursor", "location": "query",
                               "detail": "Not a cursor of this list: use the one in the "
                                         "Link header of the page before."}]) from None


def _next_link(position: tuple) -> str:
    args = [(k, v) for k, v in request.args.items(multi=True) if k not in ("cursor", "page")]
    args.append(("cursor", _cursor_out(position)))
    return f'<{request.path}?{urlencode(args)}>; rel="next"'


@blp.route("", methods=["GET"])
@guarded(blp, *READERS)
@blp.arguments(CiaListQuerySchema, location="query")
@blp.response(200, CiaSchema(many=True), headers={"Link": {
    "description": 'The next page by keyset, `<…?cursor=…>; rel="next"`, when this page is full.',
    "schema": {"type": "string"}}})
@blp.paginate()
def list_cias(query, pagination_parameters):
    """List CIAs (each with its latest version), last changed first; filter by status,
    operation, borough. Pages by ``page`` (``X-Pagination``), or by keyset: follow the
    ``Link`` header's ``rel="next"`` (its ``cursor``)."""
    cursor = query.pop("cursor", None)
    after = _cursor_in(cursor) if cursor is not None else None
    page_size = pagination_parameters.page_size
    cache = present.representations(current_app)
    with unit_of_work() as uow:
        items, total = cias.list_(uow.session, page=pagination_parameters.page,
                                  page_size=page_size, after=after, **query)
        pagination_parameters.item_count = total
        parts = []
        for view in items:  # each as GET /api/v1/cias/{id} serves it, kept for it too
            key = cias.read_key(view)
            body = cache.get(key)
            if body is None:
                body = present.cia_json(view)
                cache.put(key, body)
            parts.append(body.rstrip(b"\n"))
        headers = {}
        if items and len(items) == page_size:
            headers["Link"] = _next_link(cias.list_position(items[-1]))
    return Response(b"[" + b",".join(parts) + b"]\n", mimetype="application/json"), 200, headers


@blp.route("/<string:cia_id>", methods=["GET"])
@guarded(blp, *READERS)
@blp.response(200, CiaSchema, headers=_ETAG_DOC)
@blp.alt_response(304, description="Not modified since the ETag in If-None-Match.")
def get_cia(cia_id):
    """The CIA with its latest version, and that version's ETag."""
    # Served from the bytes kept for the current state when there are any: the
    # state's key is a few columns, the content is neither loaded nor serialised.
    # The key is one statement: read outside a transaction (no BEGIN, no ROLLBACK).
    app = current_app._get_current_object()
    cache = present.representations(app)
    key = cias.latest_read_key(db(app).engine, cia_id)
    body = cache.get(key) if key is not None else None
    if body is None:
        with unit_of_work() as uow:
            view = cias.latest(uow.session, cia_id)  # 404 here when there is no such CIA
            etag = view.etag
            if request.if_none_match.contains_weak(etag.strip('"')):
                return Response(status=304, headers={"ETag": etag})
            key, body = cias.read_key(view), present.cia_json(view)
            cache.put(key, body)
    else:
        etag = domain.make_etag(cia_id, key[1], key[2])
    if_none_match = request.if_none_match
    if if_none_match and if_none_match.contains_weak(etag.strip('"')):
        return Response(status=304, headers={"ETag": etag})
    return Response(body, status=200, mimetype="application/json", headers={"ETag": etag})


@blp.route("/<string:cia_id>", methods=["PATCH"])
@guarded(blp, *AUTHORS)
@blp.arguments(CiaPatchSchema, content_type="application/merge-patch+json")
@blp.response(200, CiaSchema, headers=_ETAG_DOC)
@blp.alt_response(428, schema=ProblemSchema, content_type=PROBLEM_JSON,
                  description="No If-Match header, or `If-Match: *` (a specific ETag is "
                              "required).")
@blp.alt_response(412, schema=ProblemSchema, content_type=PROBLEM_JSON,
                  description="The ETag is stale.")
@blp.alt_response(409, schema=ProblemSchema, content_type=PROBLEM_JSON,
                  description="The version is not editable.")
def patch_cia(data, cia_id):
    """Edit the latest version's content with a JSON merge-patch (RFC 7396).

    ``If-Match`` with the current ETag is required (428 without it or with ``*``,
    412 when stale).
    Only a draft or changes_requested version is editable (409 otherwise).
    """
    with unit_of_work() as uow:
        view = cias.patch(uow, cia_id, data["content"], if_match(), actor())
        uow.commit()
        return _written(view)


@blp.route("/<string:cia_id>/submit", methods=["POST"])
@guarded(blp, *AUTHORS)
@blp.arguments(SubmitSchema, required=False)
@blp.response(200, CiaSchema, headers=_ETAG_DOC)
@blp.alt_response(409, schema=ProblemSchema, content_type=PROBLEM_JSON,
                  description="The version cannot be submitted: it is not a draft or "
                              "changes_requested, or it carries a post-deployment review "
                              "before the operation was deployed (or in its first version).")
@blp.doc(description="Every section a reviewer needs must be complete: otherwise 422 listing "
                     "every missing or failing field by JSON pointer, and nothing is submitted. "
                     "``If-Match`` is optional and checked when given. "
                     + submission_requirements())
def submit_cia(data, cia_id):
    """Submit the latest version for review (emits ``cia.submitted``)."""
    with unit_of_work() as uow:
        view = cias.submit(uow, cia_id, (data or {}).get("requested_reviewers") or [],
                           if_match(), actor())
        uow.commit()
        return _written(view)


@blp.route("/<string:cia_id>/amendments", methods=["POST"])
@guarded(blp, *AUTHORS)
@blp.arguments(AmendmentSchema)
@blp.response(201, CiaSchema, headers=_ETAG_DOC)
@blp.alt_response(409, schema=ProblemSchema, content_type=PROBLEM_JSON,
                  description="An open version exists, or nothing is approved yet.")
def amend_cia(data, cia_id):
    """Amend an approved CIA: opens version n+1 as a draft with the approved content."""
    with unit_of_work() as uow:
        view = cias.amend(uow, cia_id, data["reason"].strip(), actor())
        uow.commit()
        return _written(view, 201, {
            "Location": f"/api/v1/cias/{cia_id}/versions/{view.version.number}"})


@blp.route("/<string:cia_id>/revisions", methods=["POST"])
@guarded(blp, *AUTHORS)
@blp.arguments(RevisionSchema)
@blp.response(201, CiaSchema, headers=_ETAG_DOC)
@blp.alt_response(409, schema=ProblemSchema, content_type=PROBLEM_JSON,
                  description="The latest version was not rejected by review, or the operation "
                              "is cancelled.")
def revise_cia(data, cia_id):
    """Revise a rejected CIA: opens version n+1 as a draft from the rejected version.

    The reason is mandatory (422 on ``/reason`` without one). The new version
    carries the rejection (decision, comment, section comments) in ``rejection``
    and is edited, submitted and reviewed like any version. The other way out of
    a rejection is to cancel the operation.
    """
    with unit_of_work() as uow:
        view = cias.revise(uow, cia_id, data["reason"].strip(), actor())
        uow.commit()
        return _written(view, 201, {
            "Location": f"/api/v1/cias/{cia_id}/versions/{view.version.number}"})


@blp.route("/<string:cia_id>/versions", methods=["GET"])
@guarded(blp, *READERS)
@blp.response(200, VersionSummarySchema(many=True))
def list_versions(cia_id):
    """Every version of the CIA, oldest first."""
    with unit_of_work() as uow:
        return [present.version_summary(v) for v in cias.versions(uow.session, cia_id)]


@blp.route("/<string:cia_id>/versions/<int:number>", methods=["GET"])
@guarded(blp, *READERS)
@blp.response(200, CiaSchema, headers=_ETAG_DOC)
def get_version(cia_id, number):
    """One version, with its content."""
    with unit_of_work() as uow:
        return _read(cias.version_view(uow.session, cia_id, number))


@blp.route("/<string:cia_id>/versions/<int:number>/diff", methods=["GET"])
@guarded(blp, *READERS)
@blp.arguments(DiffQuerySchema, location="query")
@blp.response(200, DiffSchema)
def diff_versions(query, cia_id, number):
    """Field-level differences of version n against version ``against`` (default n-1)."""
    against = query.get("against", number - 1)
    if against < 1:
        raise InvalidContent([{"pointer": "/against", "location": "query",
                               "detail": "Give the version to compare with."}])
    with unit_of_work() as uow:
        changes = cias.diff_versions(uow.session, cia_id, number, against)
    return {"cia_id": cia_id, "version": number, "against": against, "changes": changes}


@blp.route("/<string:cia_id>/audit", methods=["GET"])
@guarded(blp, *READERS)
@blp.response(200, AuditSchema)
def get_audit(cia_id):
    """The CIA's audit trail (a hash chain), oldest first, and whether it verifies."""
    with unit_of_work() as uow:
        cias.get_cia(uow.session, cia_id)
        entries = audit.entries(uow.session, cia_id)
        valid = verify_chain([e.as_chain_dict() for e in entries]) is None
        return {"cia_id": cia_id, "chain_valid": valid,
                "entries": [present.audit_entry(e) for e in entries]}


# The operation's status, on the operations' routes: cancelling one withdraws its CIA's
# open version.
@operations_blp.route("/<string:operation_id>/status", methods=["POST"])
@guarded(operations_blp, *AUTHORS)
@operations_blp.arguments(OperationStatusSchema)
@operations_blp.response(200, OperationSchema)
@operations_blp.alt_response(409, schema=ProblemSchema, content_type=PROBLEM_JSON,
                             description="The transition is not allowed.")
def change_operation_status(data, operation_id):
    """Move the operation on: authorised → deployed (its CIA must have an approved
    version) → completed, or cancel a planned or authorised one.

    Cancelling withdraws the CIA's open version (draft, submitted or
    changes_requested) and emits ``cia.withdrawn``; the review service then
    cancels its open review (``review.cancelled``): action links are revoked,
    reminders stop and later decisions get 409."""
    with unit_of_work() as uow:
        op = cias.change_operation_status(uow, operation_id, data["status"], actor())
        uow.commit()
        return operations_present.operation(op)
