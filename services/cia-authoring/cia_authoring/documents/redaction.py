"""Redaction of CIA content for the FOI disclosure copy, field by field.

Driven only by the schema's field metadata (``x-disclosure``,
``x-rank-exempt-field``, ``x-person-name``): there is no hand-written list of
fields here.

- ``s40`` values become ``[Redacted — s.40(2)]``, ``s31`` values
  ``[Redacted — s.31(1)(a)(b)]``, whatever their type (strings, numbers, lists).
- An ``s40`` field with ``x-rank-exempt-field`` (a signatory's name) is released
  when the sibling rank field is at or above ``rank_cutoff``.
- Keys the schema does not describe are withheld (fail closed).
- Every withheld value goes into a ``WithheldSet`` (names with their partial
  forms; an ``s31`` text with its distinctive parts, unless a field that publishes
  the deployment — ``x-published``, an open number or date, or the operation's
  printed fields given as ``published`` — prints the same part), and the whole
  content then goes through the one redaction pass
  (``cia_redaction.redactor``): values withheld here are withheld
  wherever else they appear, and the detectors scrub open free text.

Every redaction is logged as ``{"pointer", "exemption", "reason"}`` with an
RFC 6901 pointer into the content.
"""

from __future__ import annotations

import copy
from datetime import date, datetime
from typing import Any, Iterable
from zoneinfo import ZoneInfo

from marshmallow import Schema, fields, validate

from cia_schemas.content import content_schema
from cia_schemas.disclosure import (
    DEFAULT_REASONS,
    DISCLOSURE_KEY,
    EXEMPTIONS,
    MARKERS,
    OPEN,
    PERSON_NAME_KEY,
    PUBLISHED_KEY,
    RANK_EXEMPT_KEY,
    REASON_KEY,
    S31,
    S40,
)
from cia_schemas.errors import join_pointer
from cia_redaction.ranks import RANK_LABELS, rank_at_least, rank_level

from cia_redaction.detectors import Detectors
from cia_redaction.redactor import Redactor
from cia_redaction.withheld import WithheldSet

S40_MARKER = MARKERS[S40]
S31_MARKER = MARKERS[S31]

Log = list[dict[str, str]]


def withhold_fields(
    content: dict,
    schema: Schema | type[Schema] | None = None,
    rank_cutoff: str = "superintendent",
    withheld: WithheldSet | None = None,
    published: Iterable[Any] = (),
) -> tuple[dict, Log, WithheldSet]:
    """The field-level step: ``(copy with withheld fields marked, log, withheld values)``.

    ``published``: what else the copy prints as the force's own statement of the
    deployment (the operation's printed fields); with the content's published fields
    it decides which parts of an s31 value stay open."""
    rank_level(rank_cutoff)  # unknown cut-off: configuration error, raise early
    if schema is None:
        schema = content_schema()
    elif isinstance(schema, type):
        schema = schema()
    if not isinstance(content, dict):
        raise TypeError("content must be a dict")
    log: Log = []
    printed = [form for value in (*published_values(content, schema), *published)
               for form in _printed_forms(value)]
    ctx = _Ctx(rank_cutoff, log, withheld if withheld is not None else WithheldSet(), printed)
    redacted = ctx.object(copy.deepcopy(content), schema, "")
    return redacted, log, ctx.withheld


def redact(
    content: dict,
    schema: Schema | type[Schema] | None = None,
    rank_cutoff: str = "superintendent",
) -> tuple[dict, Log]:
    """Return ``(redacted_copy, redaction_log)``; ``content`` is not modified.

    The content alone, through the whole pass (without censor rules or the
    name register: ``cia_authoring.disclosure.model`` adds those for a copy)."""
    redacted, log, withheld = withhold_fields(content, schema, rank_cutoff)
    redactor = Redactor(Detectors(rank_cutoff), withheld)
    redactor.collect(redacted)
    redacted = redactor.tree(redacted)
    return redacted, [*(as_entry(e) for e in log), *redactor.log]


# What a model's finding adds to its entry: its score, and for one it is unsure of,
# that it is listed for review with the term (for the FOI officer, never printed).
OPTIONAL_KEYS = ("score", "review", "term")


def as_entry(e: dict) -> dict:
    """A log entry in the one shape: pointer, exemption, reason, rule_id, detector
    (and a model finding's ``score``, ``review`` and ``term``)."""
    return {"pointer": e["pointer"], "exemption": e["exemption"], "reason": e["reason"],
            "rule_id": e.get("rule_id"), "detector": e.get("detector") or "disclosure_class",
            **{k: e[k] for k in OPTIONAL_KEYS if k in e}}


def published_values(content: Any, schema: Schema) -> list[Any]:
    """The values of ``content``'s fields that publish the deployment: open text
    fields marked ``x-published``, and every open number, date or date-time."""
    out: list[Any] = []

    def walk(obj: Any, schema: Schema) -> None:
        if not isinstance(obj, dict):
            return
        by_key = {(f.data_key or name): f for name, f in schema.fields.items()}
        for key, value in obj.items():
            f = by_key.get(key)
            if f is None or value is None or f.metadata.get(DISCLOSURE_KEY, OPEN) != OPEN:
                continue
            if isinstance(f, fields.Nested):
                for item in value if isinstance(value, list) else [value]:
                    walk(item, f.schema)
            elif isinstance(f, fields.List):
                if isinstance(f.inner, fields.Nested) and isinstance(value, list):
                    for item in value:
                        walk(item, f.inner.schema)
            elif f.metadata.get(PUBLISHED_KEY) or isinstance(
                    f, (fields.Number, fields.Date, fields.DateTime)):
                out.append(value)

    walk(content, schema)
    return out


_LONDON = ZoneInfo("Europe/London")


def _printed_forms(value: Any) -> list[str]:
    """A published value as the copy may print it: a date-time as stored and as the
    wall-clock time in London (an s31 "cameras live from 10:00" is the published start)."""
    if isinstance(value, bool) or value is None:
        return []
    if isinstance(value, str) and len(value) >= 16 and value[4:5] == "-" and "T" in value:
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return [value]
    if isinstance(value, datetime):
        local = value.astimezone(_LONDON) if value.tzinfo else value
        return [f"{value:%Y-%m-%d %H:%M}", f"{local:%Y-%m-%d %H:%M}"]
    if isinstance(value, date):
        return [value.isoformat()]
    return [str(value)]


class _Ctx:
    def __init__(self, rank_cutoff: str, log: Log, withheld: WithheldSet,
                 published: list[str] = ()):
        self.cutoff = rank_cutoff
        self.log = log
        self.withheld = withheld
        self.published = list(published)

    # -- helpers ---------------------------------------------------------
    def withhold(self, pointer: str, disclosure: str, reason: str, value: Any = None,
                 person_name: bool = False) -> str:
        self.log.append({"pointer": pointer, "exemption": EXEMPTIONS[disclosure], "reason": reason})
        if person_name and isinstance(value, str):
            self.withheld.add_name(value, disclosure, reason, pointer)
        elif value is not None:
            self.withheld.add(value, disclosure, reason, pointer)
            if disclosure == S31:
                # s.31 said in other words: its places, call signs, counts and times.
                self.withheld.add_parts(value, disclosure, reason, pointer, self.published)
        return MARKERS[disclosure]

    @staticmethod
    def _by_data_key(schema: Schema) -> dict[str, fields.Field]:
        return {(f.data_key or name): f for name, f in schema.fields.items()}

    # -- walk ------------------------------------------------------------
    def object(self, obj: Any, schema: Schema, pointer: str) -> Any:
        if obj is None:
            return None
        if not isinstance(obj, dict):
            return self.withhold(pointer, S40, "Value does not match the schema; withheld by default.",
                                 obj)
        by_key = self._by_data_key(schema)
        out: dict[str, Any] = {}
        for key, value in obj.items():
            ptr = join_pointer(pointer, key)
            f = by_key.get(key)
            if f is None:
                out[key] = (None if value is None else
                        self.withhold(ptr, S40, "Field not described by the schema; withheld by default.",
                                      value))
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
            person_name = bool(f.metadata.get(PERSON_NAME_KEY))
            if exempt_field:
                rank = siblings.get(exempt_field)
                if rank_at_least(rank if isinstance(rank, str) else None, self.cutoff):
                    if isinstance(value, str):
                        self.withheld.release_name(value)
                    return value  # released: rank at or above the cut-off
                label = RANK_LABELS.get(self.cutoff, self.cutoff)
                return self.withhold(
                    pointer, disclosure,
                    f"Name of a person below the rank of {label}: personal "
                    "information (FOIA s.40(2)&(3)).", value, person_name)
            reason = f.metadata.get(REASON_KEY) or f"{_describe(f)} {DEFAULT_REASONS[disclosure]}"
            # A category from a fixed list says nothing specific on its own:
            # it is withheld here, not looked for elsewhere.
            return self.withhold(pointer, disclosure, reason,
                                 None if _enumerated(f) else value, person_name)

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
        if isinstance(value, (dict, list)):
            # Structure where the schema expects a scalar: never trust it.
            return self.withhold(pointer, S40, "Value does not match the schema; withheld by default.",
                                 value)
        return value  # open text: the whole pass scrubs it


def _enumerated(f: fields.Field) -> bool:
    target = f.inner if isinstance(f, fields.List) else f
    if isinstance(target, fields.Nested):
        return False
    return any(isinstance(v, validate.OneOf) for v in target.validators)


def _describe(f: fields.Field) -> str:
    desc = (f.metadata.get("description") or "").strip()
    if desc and not desc.endswith("."):
        desc += "."
    return desc
