"""Problem details (RFC 9457) as every service answers them, and marshmallow error
messages as RFC 6901 JSON pointers.

``to_json_pointers({"deployment": {"end": ["End must be after start."]}})``
→ ``[{"pointer": "/deployment/end", "detail": "End must be after start."}]``

List indices become pointer segments (``/engagement_log/0/date``); ``_schema``
errors point at the object they belong to (``""`` is the whole document).
"""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields
from marshmallow.schema import SCHEMA  # "_schema"

from cia_redaction.pointers import escape_segment, join_pointer  # noqa: F401 - the contract's pointers


class ProblemSchema(Schema):
    """An ``application/problem+json`` body."""
    type = fields.String()
    title = fields.String()
    status = fields.Integer()
    detail = fields.String()
    errors = fields.List(fields.Dict(), metadata={
        "description": "Validation errors (422): [{pointer (RFC 6901), detail}]."})

_FRIENDLIER = {
    "Missing data for required field.": "This field is required.",
    "Unknown field.": "This field is not allowed.",
}


def to_json_pointers(messages: Any, base: str = "") -> list[dict[str, str]]:
    """Flatten marshmallow ``ValidationError.messages`` into pointer/detail pairs."""
    out: list[dict[str, str]] = []
    _walk(messages, base, out)
    return out


def _walk(node: Any, pointer: str, out: list[dict[str, str]]) -> None:
    if isinstance(node, dict):
        # _schema first so an object's own errors precede its children's.
        for key in sorted(node, key=lambda k: (k != SCHEMA, str(k))):
            value = node[key]
            if key == SCHEMA:
                _walk(value, pointer, out)
            else:
                _walk(value, join_pointer(pointer, key), out)
    elif isinstance(node, (list, tuple)):
        for item in node:
            _walk(item, pointer, out)
    elif node is not None:
        text = str(node)
        out.append({"pointer": pointer, "detail": _FRIENDLIER.get(text, text)})
