"""The reviewed CIA as the action page shows it: every section in the SOP's order
(the DOCX's headings) and, from a second round or an amendment on, what changed.

Only display structures are built here; ``pages`` renders them with autoescaping.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from marshmallow import Schema, fields, validate

from cia_schemas.content import (IC_CODE_LABELS, PROTECTED_CHARACTERISTIC_LABELS, SECTION_TITLES,
                                 USE_CASE_LABELS, WATCHLIST_CATEGORY_LABELS, CiaContentSchema)
from cia_schemas.diff import diff

from .dates import day, when

# A section whose text is longer than this starts folded on the page.
FOLD_CHARS = 1200
_CODE = re.compile(r"^(ic\d|eia|dpia|iag|pso|cni|lfr|id|url)$", re.IGNORECASE)


def label(key) -> str:
    """``site_description`` → ``Site description``; ``ic1`` → ``IC1``."""
    if isinstance(key, int):
        return f"#{key + 1}"
    words = str(key).replace("_", " ").split()
    words = [w.upper() if _CODE.match(w) else w for w in words]
    text = " ".join(words)
    return text[:1].upper() + text[1:] if text else str(key)


_CHOICE_LABELS = {**USE_CASE_LABELS, **WATCHLIST_CATEGORY_LABELS,
                  **PROTECTED_CHARACTERISTIC_LABELS, **IC_CODE_LABELS}


def _readable_leaf(value, schema_field):
    """A date, time or choice as words (``crime_hotspot`` → ``Crime hotspot``); free
    text as it is."""
    if not isinstance(value, str) or schema_field is None:
        return value
    if isinstance(schema_field, fields.Date):
        return day(value)
    if isinstance(schema_field, fields.DateTime):
        return when(value)
    if any(isinstance(v, validate.OneOf) for v in schema_field.validators):
        return _CHOICE_LABELS.get(value) or label(value)
    return value


def in_schema_order(value, schema_field=None):
    """``value`` with every object's keys in the order its schema declares them (the
    order of the SOP and the DOCX), keys the schema does not know last, and dates,
    times and choices in words."""
    if isinstance(schema_field, fields.List):
        inner = schema_field.inner
        return [in_schema_order(v, inner) for v in value] if isinstance(value, list) else value
    nested = schema_field.schema if isinstance(schema_field, fields.Nested) else schema_field
    if isinstance(value, dict):
        declared = nested.fields if isinstance(nested, Schema) else {}
        keys = [k for k in declared if k in value] + [k for k in value if k not in declared]
        return {k: in_schema_order(value[k], declared.get(k)) for k in keys}
    if isinstance(value, list):
        return [in_schema_order(v) for v in value]
    return _readable_leaf(value, schema_field if isinstance(schema_field, fields.Field) else None)


_CONTENT_SCHEMA = CiaContentSchema()


@dataclass(frozen=True)
class SectionView:
    key: str
    title: str
    present: bool
    value: object
    folded: bool
    changed: bool


@dataclass(frozen=True)
class Change:
    field: str
    op: str  # added | removed | changed
    old: object
    new: object


@dataclass(frozen=True)
class SectionChanges:
    key: str
    title: str
    changes: list[Change] = field(default_factory=list)


@dataclass(frozen=True)
class ContentView:
    sections: list[SectionView]
    changes: list[SectionChanges] | None  # None: nothing to compare with
    compared_with: str | None


def _segments(pointer: str) -> list[str]:
    return [s.replace("~1", "/").replace("~0", "~") for s in pointer.split("/")[1:]]


def _field_label(parts: list[str]) -> str:
    return " › ".join(label(int(p)) if p.isdigit() else label(p) for p in parts) or "Whole section"


def changes_by_section(old: dict, new: dict) -> list[SectionChanges]:
    """Field-level changes from ``old`` to ``new``, grouped by section in the SOP's order."""
    grouped: dict[str, list[Change]] = {}
    for entry in diff(old or {}, new or {}):
        parts = _segments(entry["pointer"])
        if not parts:
            continue
        grouped.setdefault(parts[0], []).append(
            Change(field=_field_label(parts[1:]), op=entry["op"], old=entry["old"],
                   new=entry["new"]))
    order = list(SECTION_TITLES) + sorted(k for k in grouped if k not in SECTION_TITLES)
    return [SectionChanges(key=k, title=SECTION_TITLES.get(k, label(k)), changes=grouped[k])
            for k in order if k in grouped]


def build(content: dict | None, baseline: dict | None = None,
          compared_with: str | None = None) -> ContentView | None:
    """The page's view of ``content`` (None when the round has no content)."""
    if content is None:
        return None
    changes = changes_by_section(baseline, content) if baseline is not None else None
    changed = {c.key for c in changes or ()}
    sections = []
    for key, title in SECTION_TITLES.items():
        value = content.get(key)
        present = value not in (None, {}, [])
        size = len(json.dumps(value, ensure_ascii=False, default=str)) if present else 0
        value = in_schema_order(value, _CONTENT_SCHEMA.fields.get(key))
        sections.append(SectionView(key=key, title=title, present=present, value=value,
                                    folded=size > FOLD_CHARS, changed=key in changed))
    return ContentView(sections=sections, changes=changes,
                       compared_with=compared_with if baseline is not None else None)
