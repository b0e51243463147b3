"""Request and response bodies of the subscription endpoints (they document the OpenAPI too)."""
from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate

from .rules import FORMATS, is_valid_filter

_EVENT_TYPES_HELP = ("Event types to receive: exact types (`review.requested`), a prefix "
                     "wildcard (`review.*`) or `*` for all.")
_RECIPIENT_HELP = ("Only events naming this user (as reviewer, requested or former reviewer, "
                   "decider or author) are delivered; personal action links of others are "
                   "left out.")
_REVIEWER_SUB_HELP = ("Binds the subscription to this reviewer: it carries their one-time action "
                      "link (their power to decide) and nobody else's. Without it (a channel) "
                      "review requests carry the summary and a link to the review, never a "
                      "decision link.")
_FORMAT_HELP = ("`cloudevent`: the body is the CloudEvent; `teams`: a Microsoft Teams message "
                "with an Adaptive Card.")


def _event_filter(value: str) -> None:
    if not is_valid_filter(value):
        raise ValidationError("Must be a dotted event type (cia.approved), a prefix wildcard "
                              "(review.*) or *.")


_url = dict(schemes={"http", "https"}, require_tld=False, validate=validate.Length(max=2048),
            metadata={"description": "http(s) endpoint receiving the webhooks. Private, loopback "
                                     "and link-local destinations are refused unless allowed "
                                     "by the WEBHOOK_ALLOWED_HOSTS configuration."})


class SubscriptionCreateSchema(Schema):
    url = fields.Url(required=True, **_url)
    event_types = fields.List(fields.String(validate=_event_filter), required=True,
                              validate=validate.Length(min=1, max=50),
                              metadata={"description": _EVENT_TYPES_HELP})
    description = fields.String(load_default=None, allow_none=True,
                                validate=validate.Length(max=1000))
    recipient = fields.String(load_default=None, allow_none=True,
                              validate=validate.Length(min=1, max=255),
                              metadata={"description": _RECIPIENT_HELP})
    reviewer_sub = fields.String(load_default=None, allow_none=True,
                                 validate=validate.Length(min=1, max=255),
                                 metadata={"description": _REVIEWER_SUB_HELP})
    format = fields.String(load_default="cloudevent", validate=validate.OneOf(FORMATS),
                           metadata={"description": _FORMAT_HELP})


class SubscriptionPatchSchema(Schema):
    url = fields.Url(**_url)
    event_types = fields.List(fields.String(validate=_event_filter),
                              validate=validate.Length(min=1, max=50),
                              metadata={"description": _EVENT_TYPES_HELP})
    description = fields.String(allow_none=True, validate=validate.Length(max=1000))
    recipient = fields.String(allow_none=True, validate=validate.Length(max=255),
                              metadata={"description": _RECIPIENT_HELP + " null clears it."})
    reviewer_sub = fields.String(allow_none=True, validate=validate.Length(max=255),
                                 metadata={"description": _REVIEWER_SUB_HELP + " null clears it."})
    format = fields.String(validate=validate.OneOf(FORMATS), metadata={"description": _FORMAT_HELP})
    active = fields.Boolean(metadata={"description": "false pauses deliveries; true re-enables "
                                                     "(and resets the failure count)."})
    rotate_secret = fields.Boolean(metadata={
        "description": "true issues a new secret (returned once, in this response); the "
                       "previous one stays valid for SECRET_ROTATION_HOURS, during which "
                       "deliveries carry both signatures."})


class SubscriptionListArgsSchema(Schema):
    active = fields.Boolean(metadata={"description": "Only active (or only disabled) ones."})


class SubscriptionSchema(Schema):
    id = fields.String()
    url = fields.String()
    description = fields.String(allow_none=True)
    event_types = fields.List(fields.String())
    recipient = fields.String(allow_none=True)
    reviewer_sub = fields.String(allow_none=True)
    format = fields.String()
    active = fields.Boolean()
    disabled_reason = fields.String(allow_none=True)
    disabled_at = fields.AwareDateTime(allow_none=True)
    consecutive_failures = fields.Integer()
    last_success_at = fields.AwareDateTime(allow_none=True)
    last_failure_at = fields.AwareDateTime(allow_none=True)
    secret_rotation_ends_at = fields.AwareDateTime(
        allow_none=True, metadata={"description": "Until then the previous secret also signs."})
    created_by = fields.String(allow_none=True)
    created_at = fields.AwareDateTime()
    updated_at = fields.AwareDateTime()


class SubscriptionWithSecretSchema(SubscriptionSchema):
    secret = fields.String(metadata={
        "description": "Standard Webhooks signing secret (whsec_...). Shown only when created "
                       "or rotated; store it now."})
