"""The body of an inbound decision (documented in the review OpenAPI)."""
from __future__ import annotations

from marshmallow import fields, validate

from ..reviews.schemas import DecisionRequestSchema, PersonSchema


class InboundDecisionSchema(DecisionRequestSchema):
    """A decision sent by an integration: it names the review and the reviewer."""
    review_id = fields.String(required=True, validate=validate.Length(min=1, max=36))
    reviewer = fields.Nested(PersonSchema, required=True)
