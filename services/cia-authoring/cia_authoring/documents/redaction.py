"""Redaction of CIA content for the FOI disclosure copy.

Pure function, driven only by the schema's field metadata (``x-disclosure``,
``x-rank-exempt-field``): there is no hand-written list of fields here.

- ``s40`` values become ``[Redacted — s.40(2)]``, ``s31`` values
  ``[Redacted — s.31(1)(a)(b)]``, whatever their type (strings, numbers, lists).
- An ``s40`` field with ``x-rank-exempt-field`` (a signatory's name) is released
  when the sibling rank field is at or above ``rank_cutoff``.
- E-mail addresses and UK phone numbers found inside ``open`` free text are
  replaced in place by the s.40 marker.
- Keys the schema does not describe are withheld (fail closed).

Every redaction is logged as ``{"pointer", "exemption", "reason"}`` with an
RFC 6901 pointer into the content.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from marshmallow import Schema, fields

from cia_schemas.content import content_schema
from cia_schemas.disclosure import (
    DEFAULT_REASONS,
    DISCLOSURE_KEY,
    EXEMPTIONS,
    MARKERS,
    OPEN,
    RANK_EXEMPT_KEY,
    REASON_KEY,
    S31,
    S40,
)
from cia_schemas.errors import join_pointer
from cia_schemas.ranks import RANK_LABELS, rank_at_least, rank_level

S40_MARKER = MARKERS[S40]
S31_MARKER = MARKERS[S31]

EMAIL_RE = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}")
# UK numbers: +44 / 0044 / 0 followed by 9–10 digits, with single spaces, hyphens
# or brackets between digit groups (07700 900123, 020 7946 0018, (0117) 496 0123,
# +44 (0)20 7946 0018).
PHONE_RE = re.compile(
    r"(?<![\w+])"
    r"(?:(?:\+|00)44[ \-]?(?:\(0\)[ \-]?)?|\(?0)"
    r"(?:\d\)?[ \-]?){8,9}\d"
    r"(?!\d)"
)

Log = list[dict[str, str]]


def redact(
    content: dict,
    schema: Schema | type[Schema] | None = None,
    rank_cutoff: str = "superintendent",
) -> tuple[dict, Log]:
    """Return ``(redacted_copy, redaction_log)``; ``content`` is not modified."""
    rank_level(rank_cutoff)  # unknown cut-off: configuration error, raise early
    if schema is None:
        schema = content_schema()
    elif isinstance(schema, type):
        schema = schema()
    log: Log = []
    ctx = _Ctx(rank_cutoff, log)
    if not isinstance(content, dict):
        raise TypeError("content must be a dict")
    redacted = ctx.object(copy.deepcopy(content), schema, "")
    return redacted, log


def scrub_free_text(text: str) -> tuple[str, list[str]]:
    """Replace e-mail addresses and UK phone numbers in ``text`` by the s.40 marker.

    Returns the new text and one reason per replacement.
    """
    reasons: list[str] = []

    def _email(m: re.Match) -> str:
        reasons.append("E-mail address found in free text: personal information (FOIA s.40(2)&(3)).")
        return S40_MARKER

    def _phone(m: re.Match) -> str:
        reasons.append("Phone number found in free text: personal information (FOIA s.40(2)&(3)).")
        return S40_MARKER

    text = EMAIL_RE.sub(_email, text)
    text = PHONE_RE.sub(_phone, text)
    return text, reasons


class _Ctx:
    def __init__(self, rank_cutoff: str, log: Log):
        self.cutoff = rank_cutoff
        self.log = log

    # -- helpers ---------------------------------------------------------
    def withhold(self, pointer: str, disclosure: str, reason: str) -> str:
        self.log.append({"pointer": pointer, "exemption": EXEMPTIONS[disclosure], "reason": reason})
        return MARKERS[disclosure]

    @staticmethod
    def _by_data_key(schema: Schema) -> dict[str, fields.Field]:
        return {(f.data_key or name): f for name, f in schema.fields.items()}

    # -- walk ------------------------------------------------------------
    def object(self, obj: Any, schema: Schema, pointer: str) -> Any:
        if obj is None:
            return None
        if not isinstance(obj, dict):
            return self.withhold(pointer, S40, "Value does not match the schema; withheld by default.")
        by_key = self._by_data_key(schema)
        out: dict[str, Any] = {}
        for key, value in obj.items():
            ptr = join_pointer(pointer, key)
            f = by_key.get(key)
            if f is None:
                out[key] = (None if value is None else
                            self.withhold(ptr, S40, "Field not described by the schema; withheld by default."))
                continue
            out[key] = self.value(value, f, ptr, obj)
        return out

    def value(self, value: Any, f: fields.Field, pointer: str, siblings: dict,
              inherited: str | None = None) -> Any:
        disclosure = f.metadata.get(DISCLOSURE_KEY, inherited)
        if disclosure is None:
            # A leaf without a disclosure class is a schema bug: fail closed.
            disclosure = OPEN if isinstance(f, (fields.Nested, fields.List)) else S40
        if value is None:
            return None

        if disclosure in (S40, S31):
            exempt_field = f.metadata.get(RANK_EXEMPT_KEY)
            if exempt_field:
                rank = siblings.get(exempt_field)
                if rank_at_least(rank if isinstance(rank, str) else None, self.cutoff):
                    return value  # released: rank at or above the cut-off
                label = RANK_LABELS.get(self.cutoff, self.cutoff)
                return self.withhold(
                    pointer, disclosure,
                    f"Name of a person below the rank of {label}: personal "
                    "information (FOIA s.40(2)&(3)).")
            reason = f.metadata.get(REASON_KEY) or f"{_describe(f)} {DEFAULT_REASONS[disclosure]}"
            return self.withhold(pointer, disclosure, reason)

        # open
        if isinstance(f, fields.Nested):
            if isinstance(value, list):
                return [self.object(item, f.schema, join_pointer(pointer, i))
                        for i, item in enumerate(value)]
            return self.object(value, f.schema, pointer)
        if isinstance(f, fields.List):
            if not isinstance(value, list):
                return self._scalar(value, pointer)
            return [self.value(item, f.inner, join_pointer(pointer, i), {}, inherited=OPEN)
                    for i, item in enumerate(value)]
        return self._scalar(value, pointer)

    def _scalar(self, value: Any, pointer: str) -> Any:
        if isinstance(value, str):
            text, reasons = scrub_free_text(value)
            for reason in reasons:
                self.log.append({"pointer": pointer, "exemption": EXEMPTIONS[S40], "reason": reason})
            return text
        if isinstance(value, (dict, list)):
            # Structure where the schema expects a scalar: never trust it.
            return self.withhold(pointer, S40, "Value does not match the schema; withheld by default.")
        return value


def _describe(f: fields.Field) -> str:
    desc = (f.metadata.get("description") or "").strip()
    if desc and not desc.endswith("."):
        desc += "."
    return desc
