"""``POST /api/v1/inbound/decisions``: a decision sent by a reviewer's own tooling,
authenticated by a Standard Webhooks signature instead of a bearer token."""
from __future__ import annotations

from flask import request
from flask_smorest import Blueprint
from marshmallow import ValidationError
from sqlalchemy.exc import IntegrityError

from cia_common import json_input
from cia_common.errors import Conflict, DomainError, InvalidContent
from cia_common.web.problems import Problem
from cia_common.events import utcnow
from cia_schemas.errors import to_json_pointers

from ..reviews import service as services
from ..reviews.policy import PolicyError
from ..reviews.schemas import ReviewSchema
from ..reviews.views import settings, unit_of_work
from . import service as inbound
from .schemas import InboundDecisionSchema

blp = Blueprint("inbound", __name__, url_prefix="/api/v1/inbound",
                description="Signed decisions from integrations (Standard Webhooks).")

_HEADERS = [
    {"in": "header", "name": "webhook-id", "required": True, "schema": {"type": "string"},
     "description": "Unique per message and kept on retries; a repeated id is refused (409)."},
    {"in": "header", "name": "webhook-timestamp", "required": True,
     "schema": {"type": "integer"}, "description": "Unix seconds; at most 5 minutes off."},
    {"in": "header", "name": "webhook-signature", "required": True, "schema": {"type": "string"},
     "description": "Space-separated `v1,<base64 HMAC-SHA256 of id.timestamp.body>` entries, "
                    "keyed with the integration's whsec_ secret."},
]


@blp.route("/decisions", methods=["POST"])
@blp.doc(security=[], parameters=_HEADERS, requestBody={
    "required": True, "content": {"application/json": {"schema": InboundDecisionSchema}}})
@blp.response(201, ReviewSchema, description="The decision was recorded.")
@blp.alt_response(401, description="Missing, wrong or stale signature.")
@blp.alt_response(403, description="The named reviewer is not an active registered reviewer, "
                                   "or may not decide on this review.")
@blp.alt_response(404, description="No such review.")
@blp.alt_response(409, description="Replayed webhook-id, closed review or repeated decision.")
@blp.alt_response(422, description="Invalid body.")
def inbound_decision():
    """Record a decision signed by a configured integration (``INBOUND_SECRETS``).

    The same policy applies as for the API, and the reviewer it names must be an
    active registered reviewer (403 otherwise): a signature proves which
    integration sent the decision, not that the person it names may decide. Every accepted webhook-id is remembered, whatever the
    outcome, so a replay is refused.
    """
    cfg = settings()
    raw = request.get_data(cache=True)
    try:
        integration = inbound.verify(cfg.inbound_secrets, raw, request.headers,
                                     tolerance_seconds=cfg.inbound_tolerance_seconds)
    except inbound.SignatureRejected as exc:
        raise Problem(401, "Unauthorized", str(exc)) from None
    webhook_id = request.headers["webhook-id"]
    now = utcnow()

    refusal: DomainError | None = None
    with unit_of_work() as uow:
        if inbound.already_received(uow.session, integration, webhook_id):
            raise Conflict(f"Webhook {webhook_id} was already received; replays are refused.")
        try:
            body = InboundDecisionSchema().load(json_input.loads(raw))
        except DomainError as exc:  # nested too deep, numbers out of range
            refusal = exc
        except (ValueError, ValidationError) as exc:
            messages = exc.messages if isinstance(exc, ValidationError) else \
                {"_schema": ["The body is not JSON."]}
            refusal = InvalidContent(to_json_pointers(messages))
        if refusal is None:
            try:
                review = inbound.decide_by_webhook(uow, integration, webhook_id, body,
                                                   settings=cfg, now=now)
                representation = services.describe(review, cfg)
                uow.commit()
                return representation
            except PolicyError as exc:
                refusal = exc
            except IntegrityError:
                raise Conflict("This webhook or decision was recorded at the same moment.") \
                    from None

    # Refused: remember the id all the same (after the first transaction ended,
    # since SQLite holds one writer at a time), then answer the refusal.
    with unit_of_work() as uow:
        inbound.remember(uow.session, integration, webhook_id, now)
        try:
            uow.commit()
        except IntegrityError:
            pass
    raise refusal
