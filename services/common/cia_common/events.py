"""CloudEvents 1.0 envelope, structured JSON mode."""
from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field, fields
from datetime import datetime, timezone


class EnvelopeError(ValueError):
    """A message that is not a CloudEvent we can read."""


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def new_id() -> str:
    """A fresh random identifier (events, rows)."""
    return str(uuid.uuid4())


def isoformat(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


@dataclass(frozen=True)
class CloudEvent:
    type: str
    source: str
    subject: str
    data: dict
    id: str = field(default_factory=new_id)
    time: str = field(default_factory=lambda: isoformat(utcnow()))
    specversion: str = "1.0"
    datacontenttype: str = "application/json"
    # The CloudEvents distributed-tracing extension (W3C trace context), when traced.
    traceparent: str | None = None
    tracestate: str | None = None

    def to_dict(self) -> dict:
        # Shallow: asdict() would deep-copy the data (a whole CIA's content) for
        # nothing, since the result is only encoded.
        return {f.name: getattr(self, f.name) for f in fields(self)
                if getattr(self, f.name) is not None or f.name not in _OPTIONAL_EXTENSIONS}

    @property
    def trace_carrier(self) -> dict[str, str]:
        return {k: v for k, v in (("traceparent", self.traceparent),
                                  ("tracestate", self.tracestate)) if v}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), separators=(",", ":"), sort_keys=True)

    @classmethod
    def from_json(cls, raw: bytes | str) -> "CloudEvent":
        try:
            doc = json.loads(raw)
        except (TypeError, ValueError, UnicodeDecodeError) as exc:
            raise EnvelopeError(f"not JSON: {exc}") from exc
        if not isinstance(doc, dict):
            raise EnvelopeError("envelope is not a JSON object")
        missing = [k for k in ("id", "source", "type", "specversion") if not doc.get(k)]
        if missing:
            raise EnvelopeError(f"missing CloudEvents attributes: {', '.join(missing)}")
        if doc["specversion"] != "1.0":
            raise EnvelopeError(f"unsupported specversion {doc['specversion']!r}")
        data = doc.get("data")
        if data is not None and not isinstance(data, dict):
            raise EnvelopeError("data must be a JSON object")
        return cls(
            id=str(doc["id"]),
            source=str(doc["source"]),
            type=str(doc["type"]),
            subject=str(doc.get("subject") or ""),
            time=str(doc.get("time") or isoformat(utcnow())),
            data=data or {},
            datacontenttype=str(doc.get("datacontenttype") or "application/json"),
            traceparent=_extension(doc, "traceparent"),
            tracestate=_extension(doc, "tracestate"),
        )


_OPTIONAL_EXTENSIONS = ("traceparent", "tracestate")


def _extension(doc: dict, name: str) -> str | None:
    # A malformed trace context is dropped, never a reason to refuse the event.
    value = doc.get(name)
    return value if isinstance(value, str) and 0 < len(value) <= 512 else None
