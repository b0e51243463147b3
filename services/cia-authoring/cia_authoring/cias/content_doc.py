"""What the OpenAPI says about CIA content beyond its field types.

The same content schema describes drafts (any subset of fields) and submitted
versions (every section a reviewer needs). A JSON-Schema ``required`` list would
tell clients that drafts must be complete, which they need not be, so the
served spec carries the submission requirements as ``x-required-for-submission``
(on each content schema: the fields required once that section is present; on
``CiaContent``: the sections) and spells them out in the descriptions. Every
content field keeps its ``x-disclosure`` class.
"""
from __future__ import annotations

from apispec import APISpec

from cia_schemas.content import (CiaContentSchema, PROTECTED_CHARACTERISTICS, SECTION_TITLES,
                                 SUBMISSION_OPTIONAL_SECTIONS)

CONTENT_COMPONENT = "CiaContent"
REQUIRED_KEY = "x-required-for-submission"
REF_PREFIX = "#/components/schemas/"


def required_sections() -> list[str]:
    return [name for name, f in CiaContentSchema().fields.items()
            if f.required and name not in SUBMISSION_OPTIONAL_SECTIONS]


def submission_requirements() -> str:
    """The submission rules in words, from the schema itself."""
    sections = ", ".join(f"{SECTION_TITLES[s].lower()} (`{s}`)" for s in required_sections())
    optional = ", ".join(f"`{s}`" for s in SUBMISSION_OPTIONAL_SECTIONS)
    return (
        "A draft may hold any subset of the fields, but every value given must be valid. "
        f"Submission for review requires these sections: {sections}; within each section, "
        f"the fields listed in its `{REQUIRED_KEY}`. The engagement log needs at least one "
        f"engagement, and the equality impact one entry for each of the "
        f"{len(PROTECTED_CHARACTERISTICS)} protected characteristics "
        f"({', '.join(PROTECTED_CHARACTERISTICS)}). "
        f"The post-deployment review ({optional}) is not required: it is added by an amendment "
        "after the operation has been marked deployed, and approving that amendment completes "
        "the operation; a first version cannot carry it. Cross-field rules hold in drafts and "
        "submissions alike: dates in order, per-IC-code alerts summing to the totals, true + "
        "false alerts = total alerts, engagements ≤ alerts. Failures come back as 422 with one "
        "JSON pointer per failing field.")


def document_content_schemas(spec: APISpec) -> None:
    """Rewrite the content components of ``spec`` in place (call after registering)."""
    schemas = spec.components.schemas
    if CONTENT_COMPONENT not in schemas:
        return
    for name in _content_components(schemas):
        schema = schemas[name]
        required = schema.pop("required", None)
        if required:
            schema[REQUIRED_KEY] = list(required)
    root = schemas[CONTENT_COMPONENT]
    root[REQUIRED_KEY] = required_sections()
    root["description"] = "The content of a Community Impact Assessment. " + submission_requirements()


def _content_components(schemas: dict) -> list[str]:
    """``CiaContent`` and every component it references, directly or not."""
    seen: list[str] = []
    todo = [CONTENT_COMPONENT]
    while todo:
        name = todo.pop()
        if name in seen or name not in schemas:
            continue
        seen.append(name)
        todo.extend(_refs(schemas[name]))
    return seen


def _refs(node) -> list[str]:
    out = []
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith(REF_PREFIX):
            out.append(ref[len(REF_PREFIX):])
        for value in node.values():
            out.extend(_refs(value))
    elif isinstance(node, list):
        for value in node:
            out.extend(_refs(value))
    return out
