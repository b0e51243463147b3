"""Limits on what a client's JSON may hold, so hostile input gets a 4xx, never a 500.

- Nesting deeper than ``MAX_DEPTH`` is refused (400) before anything recurses on it.
- Integers outside 64 bits, non-finite numbers and ``NaN``/``Infinity`` literals
  are refused (422, by JSON pointer): no column or computation takes them.
- Date-times whose UTC value leaves ``[MIN_DATETIME, MAX_DATETIME]`` are refused
  (422): shifting ``0001-01-01T00:00+14:00`` to UTC overflows, and so does a day's
  arithmetic at either end of the calendar.
"""
from __future__ import annotations

import json
from datetime import datetime, timezone

from .errors import Invalid, InvalidContent

MAX_DEPTH = 64
INT_MIN, INT_MAX = -(2 ** 63), 2 ** 63 - 1
MIN_DATETIME = datetime(1, 1, 3, tzinfo=timezone.utc)
MAX_DATETIME = datetime(9999, 12, 29, tzinfo=timezone.utc)


class _Refused:
    """Stands in for a number that was refused, so its pointer can be reported."""

    def __init__(self, why: str):
        self.why = why


def _int(text: str):
    # Length first: converting a 5,000-digit literal is itself an error (and slow).
    if len(text.lstrip("-")) > 19:
        return _Refused("The integer is out of range (64-bit at most).")
    value = int(text)
    return value if INT_MIN <= value <= INT_MAX else \
        _Refused("The integer is out of range (64-bit at most).")


def _float(text: str):
    value = float(text)
    return value if value not in (float("inf"), float("-inf")) else \
        _Refused("The number is out of range.")


def _constant(text: str):
    return _Refused(f"{text} is not a JSON number.")


def _escape(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")


def _check_tree(doc) -> list[dict]:
    """Walk the parsed document once (iteratively): depth, then refused numbers."""
    errors: list[dict] = []
    stack = [(doc, "", 0)]
    while stack:
        node, pointer, depth = stack.pop()
        if isinstance(node, (dict, list)):
            if depth >= MAX_DEPTH:
                raise too_deep()
            items = node.items() if isinstance(node, dict) else enumerate(node)
            stack.extend((value, f"{pointer}/{_escape(str(key))}", depth + 1)
                         for key, value in items)
        elif isinstance(node, _Refused):
            errors.append({"pointer": pointer, "detail": node.why})
    return sorted(errors, key=lambda e: e["pointer"])


def too_deep() -> Invalid:
    return Invalid(f"The JSON body is nested more than {MAX_DEPTH} levels deep.")


def loads(data: str | bytes | bytearray):
    """Parse a request body within the limits; raise ``Invalid`` or ``InvalidContent`` beyond
    them, ``ValueError`` (as ``json.loads`` does) when it is not JSON at all."""
    if isinstance(data, (bytes, bytearray)):
        data = data.decode("utf-8")
    try:
        doc = json.loads(data, parse_int=_int, parse_float=_float, parse_constant=_constant)
    except RecursionError:
        raise too_deep() from None
    errors = _check_tree(doc)
    if errors:
        raise InvalidContent(errors, "The body has numbers out of range.")
    return doc


def datetime_problem(value: datetime) -> str | None:
    """Why a parsed date-time cannot be used, or None."""
    try:
        utc = value.astimezone(timezone.utc) if value.tzinfo else value.replace(tzinfo=timezone.utc)
    except OverflowError:
        utc = None
    if utc is None or not MIN_DATETIME <= utc <= MAX_DATETIME:
        return (f"The date-time is out of range: in UTC it must fall between "
                f"{MIN_DATETIME:%Y-%m-%d} and {MAX_DATETIME:%Y-%m-%d}.")
    return None


def datetime_errors(value, pointer: str = "") -> list[dict]:
    """Out-of-range date-times anywhere in loaded arguments, by JSON pointer."""
    if isinstance(value, datetime):
        why = datetime_problem(value)
        return [{"pointer": pointer, "detail": why}] if why else []
    if isinstance(value, dict):
        return [e for k, v in value.items() for e in datetime_errors(v, f"{pointer}/{_escape(str(k))}")]
    if isinstance(value, (list, tuple)):
        return [e for i, v in enumerate(value) for e in datetime_errors(v, f"{pointer}/{i}")]
    return []
