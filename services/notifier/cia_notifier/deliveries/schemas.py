"""Request and response bodies of the delivery-log endpoints (they document the OpenAPI too)."""
from __future__ import annotations

from marshmallow import Schema, fields, validate


class AttemptSchema(Schema):
    attempt = fields.Integer(attribute="attempt_no")
    at = fields.AwareDateTime()
    status_code = fields.Integer(allow_none=True)
    latency_ms = fields.Integer(allow_none=True)
    error = fields.String(allow_none=True)


class DeliverySchema(Schema):
    id = fields.String()
    subscription_id = fields.String()
    event_id = fields.String()
    webhook_id = fields.String(metadata={
        "description": "The webhook-id header (the event id); same on every retry."})
    event_type = fields.String()
    subject = fields.String(allow_none=True)
    status = fields.String(metadata={"description": "pending | succeeded | failed | cancelled"})
    attempt_count = fields.Integer()
    next_attempt_at = fields.AwareDateTime(allow_none=True)
    last_status_code = fields.Integer(allow_none=True)
    last_error = fields.String(allow_none=True)
    created_at = fields.AwareDateTime()
    delivered_at = fields.AwareDateTime(allow_none=True)
    attempts = fields.List(fields.Nested(AttemptSchema))


class DeliveryListArgsSchema(Schema):
    status = fields.String(validate=validate.OneOf(["pending", "succeeded", "failed", "cancelled"]))
