"""CloudEvents 1.0 envelope (JSON format), as used on Kafka and in webhooks."""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timezone
from typing import Any

from marshmallow import INCLUDE, Schema, ValidationError, fields, validate, validates_schema

SPECVERSION = "1.0"
DATACONTENTTYPE = "application/json"
EVENT_TYPE_PATTERN = r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$"  # e.g. cia.submitted
_EXTENSION_NAME = re.compile(r"^[a-z0-9]{1,20}$")

CORE_ATTRIBUTES = ("specversion", "id", "source", "type", "subject", "time",
                   "datacontenttype", "dataschema", "data")


class CloudEventSchema(Schema):
    """Loading validates the envelope. Extension attributes (lower-case
    alphanumerics, CloudEvents naming rules) are kept as they are."""

    class Meta:
        unknown = INCLUDE

    specversion = fields.String(required=True, validate=validate.Equal(SPECVERSION))
    id = fields.String(required=True, validate=validate.Length(min=1, max=200))
    source = fields.String(required=True, validate=validate.Length(min=1, max=500),
                           metadata={"description": "URI-reference of the producer, e.g. /cia-authoring."})
    type = fields.String(required=True, validate=validate.Regexp(EVENT_TYPE_PATTERN),
                         metadata={"description": "Dotted event type, e.g. cia.approved."})
    subject = fields.String(load_default=None, allow_none=True,
                            metadata={"description": "Subject, e.g. the CIA id."})
    time = fields.AwareDateTime(required=True, format="iso")
    datacontenttype = fields.String(load_default=DATACONTENTTYPE, validate=validate.Equal(DATACONTENTTYPE))
    dataschema = fields.String(load_default=None, allow_none=True)
    data = fields.Raw(required=True, allow_none=True)
    traceparent = fields.String(load_default=None, metadata={
        "description": "W3C trace context of the change that emitted this event (the "
                       "CloudEvents distributed-tracing extension); present when traced."})
    tracestate = fields.String(load_default=None, metadata={
        "description": "W3C trace state that goes with traceparent, when there is one."})

    @validates_schema(pass_original=True)
    def _extensions(self, data, original, **kwargs):
        if not isinstance(original, dict):
            return
        bad = [k for k in original if k not in CORE_ATTRIBUTES and not _EXTENSION_NAME.match(k)]
        if bad:
            raise ValidationError({k: ["Not a valid CloudEvents extension attribute name."] for k in bad})


def make_event(type: str, source: str, data: Any, *, subject: str | None = None,
               id: str | None = None, time: datetime | None = None,
               **extensions: Any) -> dict:
    """Build a CloudEvent as a JSON-ready dict (validated)."""
    event = {
        "specversion": SPECVERSION,
        "id": id or str(uuid.uuid4()),
        "source": source,
        "type": type,
        "subject": subject,
        "time": (time or datetime.now(timezone.utc)).isoformat(),
        "datacontenttype": DATACONTENTTYPE,
        "data": data,
        **extensions,
    }
    if subject is None:
        del event["subject"]
    CloudEventSchema().load(event)  # raises ValidationError on a bad envelope
    return event
