"""The template author's guide (templates/fields.py), generated from the content
schema: it must list what the schema holds, as the schema classes it, and the
committed docs/templates.md must be what it generates. Also builds the "prints
every field" template the integration tests upload."""
from __future__ import annotations

import io
import json
from pathlib import Path

import docx
from marshmallow import fields as ma

from cia_authoring.documents.render import FILTERS
from cia_authoring.templates import fields, service, validate
from cia_schemas.content import CiaContentSchema
from cia_schemas.disclosure import DISCLOSURE_KEY

ROOT = Path(__file__).resolve().parents[2]


def _schema_leaves(schema, prefix="cia.content"):
    for name, f in schema.fields.items():
        path = f"{prefix}.{name}"
        inner = f.inner if isinstance(f, ma.List) else f
        if isinstance(inner, ma.Nested):
            nested = inner.schema
            yield from _schema_leaves(nested, path + ("[]" if inner is not f or f.many else ""))
        else:
            yield path, f.metadata.get(DISCLOSURE_KEY, "open")


def test_every_schema_field_is_listed_with_its_disclosure_class():
    listed = {v["name"]: v for v in fields.variables()}
    leaves = dict(_schema_leaves(CiaContentSchema()))
    assert len(leaves) > 80
    for path, cls in leaves.items():
        assert path in listed, path
        assert listed[path]["disclosure"] == cls, path
    assert listed["cia.content.risks[].owner"]["disclosure"] == "s40"
    assert listed["cia.content.intelligence_case.summary"]["disclosure"] == "s31"
    assert listed["cia.content.risks[].owner"]["section"] == "Risks"


def test_examples_come_from_the_example_cia():
    listed = {v["name"]: v for v in fields.variables()}
    example = fields.example()
    assert listed["cia.content.header.title"]["example"] == example["content"]["header"]["title"]
    assert listed["cia.content.risks[].risk"]["example"] == example["content"]["risks"][0]["risk"]
    assert listed["operation.reference"]["example"] == example["operation"]["reference"]


def test_loops_and_helpers():
    loops = {lp["name"]: lp for lp in fields.loops()}
    for name in ("cia.content.risks", "cia.content.engagement_log",
                 "cia.content.equality_impacts.entries"):
        assert loops[name]["item_fields"], name
    assert "owner" in loops["cia.content.risks"]["item_fields"]
    # Every helper the renderer has is documented, and nothing else.
    assert {h["name"] for h in fields.helpers()} == set(FILTERS)
    assert {"dates", "ranks and labels", "IC labels"} <= {h["group"] for h in fields.helpers()}


def test_committed_guide_is_the_generated_one():
    assert (ROOT / "docs" / "templates.md").read_text(encoding="utf-8") == fields.markdown(), \
        "regenerate: python -m cia_authoring.templates.fields > docs/templates.md"


def test_packaged_example_is_the_examples_directory():
    ex = ROOT / "examples"
    content = json.loads((ex / "cia-content.json").read_text())
    content["post_deployment_review"] = json.loads((ex / "post-deployment-review.json").read_text())
    operation = json.loads((ex / "operation.json").read_text())
    packaged = fields.example()
    assert packaged["content"] == content
    assert packaged["operation"] == {k: operation[k] for k in packaged["operation"]}


# --------------------------------------------------------------------------
# A template that prints every field of the context
# --------------------------------------------------------------------------


def _lines(var: fields.Var, expr: str, depth: int = 0):
    if var.type == fields.OBJECT:
        for name, child in (var.children or {}).items():
            yield from _lines(child, f"{expr}.{name}" if expr else name, depth)
    elif var.type == fields.LIST and var.item is not None and var.item.type == fields.OBJECT:
        alias = f"item{depth}"
        yield f"{{%p for {alias} in {expr} %}}"
        yield from _lines(var.item, alias, depth + 1)
        yield "{%p endfor %}"
    else:
        yield f"{expr}: {{{{ {expr} }}}}"


def every_field_lines() -> list[str]:
    return list(_lines(fields.context_tree(), ""))


def every_field_template() -> bytes:
    """The shipped default with, after its body, a paragraph printing every variable
    of the render context, every list walked."""
    d = docx.Document(io.BytesIO(service.default_template(service.CIA).data))
    for line in every_field_lines():
        d.add_paragraph(line)
    out = io.BytesIO()
    d.save(out)
    return out.getvalue()


def test_the_every_field_template_passes_the_checks():
    lines = every_field_lines()
    assert "cia.content.intelligence_case.summary: {{ cia.content.intelligence_case.summary }}" in lines
    assert "{%p for item0 in cia.content.risks %}" in lines and "item0.owner: {{ item0.owner }}" in lines
    assert validate.check(every_field_template(), lambda _d: None) == []
