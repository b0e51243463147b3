"""Checks CloudEvents (Kafka values, webhook bodies) against docs/asyncapi.json: each
event against the payload schema of the message named by its type."""
from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import jsonschema_rs

DOCUMENT = Path(__file__).resolve().parents[1] / "docs" / "asyncapi.json"


@cache
def committed() -> dict:
    return json.loads(DOCUMENT.read_text(encoding="utf-8"))


def problems(event: dict, doc: dict | None = None) -> list[str]:
    """Why ``event`` is not a message of ``doc`` (docs/asyncapi.json by default); [] if it is."""
    doc = doc or committed()
    messages = doc["components"]["messages"]
    event_type = event.get("type") if isinstance(event, dict) else None
    if event_type not in messages:
        return [f"no message {event_type!r} in the AsyncAPI document"]
    # The payload's $refs point into the document's components.
    schema = {"$schema": "https://json-schema.org/draft/2020-12/schema",
              "$ref": f"#/components/messages/{event_type}/payload",
              "components": doc["components"]}
    validator = jsonschema_rs.validator_for(schema, validate_formats=True)
    return [f"{event_type} {'/'.join(map(str, e.instance_path)) or '(event)'}: {e.message}"
            for e in validator.iter_errors(event)]
