"""JSON pointers (RFC 6901): where in an output a redaction was made."""
from __future__ import annotations

from typing import Any


def escape_segment(segment: Any) -> str:
    """Escape one reference token per RFC 6901 (``~`` → ``~0``, ``/`` → ``~1``)."""
    return str(segment).replace("~", "~0").replace("/", "~1")


def join_pointer(base: str, *segments: Any) -> str:
    return base + "".join("/" + escape_segment(s) for s in segments)
