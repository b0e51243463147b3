"""Model objects as API representations (plain dicts the response schemas dump)."""
from __future__ import annotations

import json

import orjson

from cia_common.lru import LRU

from cia_authoring.cias.service import CiaView
from cia_authoring.domain import APPROVED_STATUSES
from cia_authoring.cias.models import AuditEntry, CiaVersion
from cia_authoring.operations.models import Operation
from cia_authoring.operations.present import operation, person as _person
from cia_authoring.cias.schemas import CiaSchema

_CIA_SCHEMA = CiaSchema()


def _version_fields(v: CiaVersion) -> dict:
    return {
        "version": v.number,
        "status": v.status,
        "content_hash": v.content_sha256,
        "author": _person(v.author_sub, v.author_name),
        "last_editor": _person(v.last_editor_sub, v.last_editor_name),
        "amendment_reason": v.amendment_reason,
        "amended_from": v.amended_from,
        "revised_from": v.revised_from,
        "revision_reason": v.revision_reason,
        "submitted_at": v.submitted_at,
        "approved_at": v.approved_at,
        "superseded_at": v.superseded_at,
        "status_reason": v.status_reason,
        "created_at": v.created_at,
        "updated_at": v.updated_at,
    }


def version_summary(v: CiaVersion) -> dict:
    return _version_fields(v)


def cia(view: CiaView) -> dict:
    v = view.version
    out = _version_fields(v)
    review = None
    if v.decision or v.approval_blocked_reason:
        review = {
            "review_id": v.review_id, "decision": v.decision, "decided_at": v.decided_at,
            "decided_by": _person(v.decided_by_sub, v.decided_by_name),
            "comment": v.decision_comment, "section_comments": v.section_comments or [],
            "approval_blocked_reason": v.approval_blocked_reason,
        }
    out.update({
        "id": view.cia.id,
        "operation_id": view.cia.operation_id,
        "operation_reference": view.operation.reference,
        "latest_version": view.cia.latest_version,
        "content": v.content,
        "etag": view.etag,
        "revision": v.revision,
        "submitted_by": _person(v.submitted_by_sub, v.submitted_by_name),
        "requested_reviewers": v.requested_reviewers or [],
        "review": review,
        "rejection": v.rejection,
        "documents": stored_documents(v),
        "created_at": v.created_at,
        "updated_at": v.updated_at,
    })
    return out


def stored_documents(v: CiaVersion) -> list[dict]:
    """The files stored for an approved version, each with the template that produced it."""
    if v.status not in APPROVED_STATUSES:
        return []  # only approved versions have stored documents: no query for the others
    return [{"kind": d.kind, "format": d.format, "sha256": d.sha256, "size": d.size,
             "created_at": d.created_at,
             "template": None if d.template_sha256 is None else {
                 "kind": d.template_kind, "version": d.template_version,
                 "sha256": d.template_sha256}}
            for d in v.documents]


def audit_entry(e: AuditEntry) -> dict:
    return {"seq": e.seq, "action": e.action, "version": e.version,
            "actor": {"sub": e.actor_sub, "name": e.actor_name}, "at": e.at,
            "content_sha256": e.content_sha256, "detail": e.detail,
            "prev_hash": e.prev_hash, "entry_hash": e.entry_hash}


# --------------------------------------------------------------------------
# Served representations of CIAs, kept as the bytes sent
# --------------------------------------------------------------------------


class Representations(LRU[tuple, bytes]):
    """The JSON bytes of ``GET /api/v1/cias/{id}`` as served, by ``cias.read_key``
    (least recently used dropped past ``size``). An entry never goes stale: any
    change to what it shows changes the key it is asked for with, so a write
    needs no invalidation here; the entry of an older state is just not asked
    for again. Every role that may read a CIA (``READERS``) sees the same
    representation, so the role is not part of the key."""

    def __init__(self, size: int = 1024):
        super().__init__(size)


def representations(app) -> Representations:
    """The app's cache of served CIA representations (one per process)."""
    cache = app.extensions.get("cia_representations")
    if cache is None:
        cache = app.extensions.setdefault(
            "cia_representations",
            Representations(int(app.config.get("CIA_REPRESENTATION_CACHE_SIZE", 1024))))
    return cache


def dump_json(data) -> bytes:
    """JSON bytes as Flask's ``jsonify`` sends them (sorted keys, a final newline),
    by orjson; whatever orjson refuses (an integer beyond 64 bits) goes through
    the standard library's encoder, as Flask's does."""
    try:
        return orjson.dumps(data, option=orjson.OPT_SORT_KEYS | orjson.OPT_APPEND_NEWLINE)
    except TypeError:
        return (json.dumps(data, sort_keys=True, separators=(",", ":")) + "\n").encode()


def cia_json(view: CiaView) -> bytes:
    """The representation of ``view`` as ``CiaSchema`` dumps it, as JSON bytes."""
    return dump_json(_CIA_SCHEMA.dump(cia(view)))
