"""What a template may use: the render context described from the content schema.

One tree (:func:`context_tree`) serves both the validation of uploaded
templates (every variable a template names must be in it) and the template
author's guide (``GET /api/v1/templates/{kind}/fields``, ``docs/templates.md``):
every variable with its type, section, disclosure class and an example taken
from the example CIA, the loops, and the helpers (Jinja filters) available.
"""
from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from marshmallow import Schema, fields as ma

from cia_schemas.content import SECTION_TITLES, CiaContentSchema, IcBreakdownSchema
from cia_schemas.disclosure import DISCLOSURE_KEY, OPEN

from cia_authoring.documents.sandbox import SAFE_FILTERS

EXAMPLE_PATH = Path(__file__).with_name("example-cia.json")

TEXT, INTEGER, NUMBER, BOOLEAN, DATE, DATETIME = (
    "text", "integer", "number", "yes/no", "date", "date-time")
OBJECT, LIST = "object", "list"


@dataclass
class Var:
    """A variable of the render context: a leaf, an object (``children``) or a
    list (``item``: what one element is)."""
    path: str
    type: str
    description: str = ""
    section: str | None = None
    disclosure: str = OPEN
    children: dict[str, "Var"] | None = None
    item: "Var | None" = None
    only_in: str | None = None  # "disclosure": the variable exists in disclosure copies only

    def child(self, name: str) -> "Var | None":
        return (self.children or {}).get(name)


@functools.cache
def example() -> dict:
    """The example CIA every template must render (operation fields and content)."""
    return json.loads(EXAMPLE_PATH.read_text(encoding="utf-8"))


def _leaf_type(f: ma.Field) -> str:
    if isinstance(f, (ma.DateTime,)):
        return DATETIME
    if isinstance(f, ma.Date):
        return DATE
    if isinstance(f, ma.Boolean):
        return BOOLEAN
    if isinstance(f, ma.Integer):
        return INTEGER
    if isinstance(f, (ma.Float, ma.Number, ma.Decimal)):
        return NUMBER
    return TEXT


def _from_field(f: ma.Field, path: str, section: str | None) -> Var:
    meta = f.metadata or {}
    description = meta.get("description", "")
    disclosure = meta.get(DISCLOSURE_KEY, OPEN)
    if isinstance(f, ma.Nested):
        schema = f.schema if isinstance(f.schema, Schema) else f.nested()
        return Var(path, OBJECT, description, section, disclosure,
                   children=_from_schema(schema, path, section))
    if isinstance(f, ma.List):
        item = _from_field(f.inner, path + "[]", section)
        if not item.description:
            item.description = description
        if item.type != OBJECT and item.disclosure == OPEN:
            item.disclosure = disclosure
        return Var(path, LIST, description, section, disclosure, item=item)
    return Var(path, _leaf_type(f), description, section, disclosure)


def _from_schema(schema: Schema, prefix: str, section: str | None) -> dict[str, Var]:
    out = {}
    for name, f in schema.fields.items():
        out[name] = _from_field(f, f"{prefix}.{name}", section or name)
    return out


def _content() -> Var:
    schema = CiaContentSchema()
    children = {name: _from_field(f, f"cia.content.{name}", name)
                for name, f in schema.fields.items()}
    return Var("cia.content", OBJECT, "The CIA content (redacted in a disclosure copy).",
               children=children)


def _leaf(path, type_, description, only_in=None) -> Var:
    return Var(path, type_, description, only_in=only_in)


@functools.cache
def context_tree() -> Var:
    """The whole render context, as :mod:`cia_authoring.documents.service` builds it."""
    operation = {name: _leaf(f"operation.{name}", type_, description) for name, type_, description in (
        ("reference", TEXT, "Operation reference, e.g. LFR-2026-0042."),
        ("name", TEXT, "Name of the operation."),
        ("borough", TEXT, "Borough."),
        ("ward", TEXT, "Ward."),
        ("location_name", TEXT, "Name of the location."),
        ("use_case", TEXT, "Use case (crime_hotspot, event_pso, cni_pso); use the label helper."),
        ("planned_start", DATETIME, "Planned start of the deployment."),
        ("planned_end", DATETIME, "Planned end of the deployment."),
    )}
    log_item = Var("redaction_log[]", OBJECT, "One redaction.", only_in="disclosure", children={
        name: _leaf(f"redaction_log[].{name}", TEXT, description, "disclosure")
        for name, description in (
            ("pointer", "The field withheld (JSON pointer); the fieldname helper spells it out."),
            ("exemption", "The exemption relied on, e.g. s.40(2)."),
            ("reason", "Why it was withheld."),
            ("rule_id", "The censor rule that withheld it, if any."),
            ("detector", "What found it (disclosure_class, censor_rule or a detector)."))})
    return Var("", OBJECT, "The render context.", children={
        "force_name": _leaf("force_name", TEXT, "The force's name (setting FORCE_NAME)."),
        "rendered_at": _leaf("rendered_at", DATETIME, "When the document was rendered."),
        "operation": Var("operation", OBJECT, "The LFR operation the CIA is for.",
                         children=operation),
        "cia": Var("cia", OBJECT, "The CIA version rendered.", children={
            "version": _leaf("cia.version", INTEGER, "Version number."),
            "status": _leaf("cia.status", TEXT, "Status of the version (approved, draft...)."),
            "content": _content(),
        }),
        "redaction_log": Var("redaction_log", LIST,
                             "What was withheld from a disclosure copy (undefined in the full "
                             "document: test it with `redaction_log is defined`).",
                             item=log_item, only_in="disclosure"),
    })


# -- the FOI response letter -------------------------------------------------------------
# Declared here, where the templates feature checks uploads against it; the letter
# (foi_requests.letter) builds its context to this shape.
MEASURES = tuple(n for n in IcBreakdownSchema().fields if n != "ic_code")
LETTER_SAMPLE = {
    "force_name": "Force", "reference": "01.FOI.00.000000", "letter_date": "1 January 2026",
    "received_on": "1 December 2025", "questions": [{"number": 1, "text": "Question"}],
    "decision": ["Decision"],
    "exemptions": [{"key": "s21", "title": "Exemption", "paragraphs": ["Reasoning"]}],
    "answers": [{"number": 1, "lines": ["Answer"], "table": {
        "rows": [{"group": "IC1", "label": "Label", **{m: "0" for m in MEASURES}}],
        "total": {m: "0" for m in MEASURES}, "note": "Note"}}],
}
_LETTER_DESCRIPTIONS = {
    "force_name": "The force's name (setting FORCE_NAME).",
    "reference": "The FOI request's reference.",
    "letter_date": "The date of the letter, written out.",
    "received_on": "The date the request was received, written out.",
    "questions": "The questions asked: number and text.",
    "decision": "The paragraphs of the decision.",
    "exemptions": "The exemptions applied: key, title and paragraphs of reasoning.",
    "answers": "The answers: number, lines, and for statistics a table (rows, total, note).",
}


def _sample_var(path: str, value: Any, description: str = "") -> Var:
    if isinstance(value, dict):
        return Var(path, OBJECT, description, children={
            k: _sample_var(f"{path}.{k}" if path else k, v) for k, v in value.items()})
    if isinstance(value, list):
        return Var(path, LIST, description, item=_sample_var(path + "[]", value[0]))
    return Var(path, {int: INTEGER, float: NUMBER, bool: BOOLEAN}.get(type(value), TEXT),
               description)


@functools.cache
def letter_tree() -> Var:
    """The render context of the FOI response letter."""
    return Var("", OBJECT, "The render context.", children={
        k: _sample_var(k, v, _LETTER_DESCRIPTIONS.get(k, "")) for k, v in LETTER_SAMPLE.items()})


def tree(kind: str) -> Var:
    """The render context of a kind of template."""
    return letter_tree() if kind == "foi-response" else context_tree()


def context_names() -> set[str]:
    return set(context_tree().children or {})


# --------------------------------------------------------------------------
# The author's guide
# --------------------------------------------------------------------------

# The Jinja filters of documents/render.py, as a template author uses them.
HELPERS: dict[str, tuple[str, str, str]] = {
    # name: (group, what it does, example)
    "dt": ("dates", "A date-time written out, with its UTC offset.",
           "{{ c.deployment.start | dt }} → Thursday 14 May 2026, 10:00 (UTC+01:00)"),
    "d": ("dates", "A date.", "{{ c.watchlist.last_reviewed | d }} → 2 May 2026"),
    "span": ("dates", "A period; one day is written once.",
             "{{ c.deployment.start | span(c.deployment.end) }}"),
    "label": ("ranks and labels", "The label of a code: ranks, use cases, watchlist categories, "
              "protected characteristics, engagement bodies, levels.",
              "{{ c.sign_off.author.rank | label }} → Inspector"),
    "iclabel": ("IC labels", "The description of an IC code.", "{{ r.ic_code | iclabel }} → Black"),
    "nyp": ("text", "The value, or “Not yet provided” (or the default given) when missing.",
            "{{ c.communications.leaflets | nyp('—') }}"),
    "lines": ("text", "A list as bulleted lines; lines(true) labels each code.",
              "{{ c.watchlist.categories | lines(true) }}"),
    "yesno": ("text", "Yes / No.", "{{ c.community_sentiment.protest_expected | yesno }}"),
    "num": ("numbers", "A number with thousands separators.", "{{ pdr.faces_seen | num }} → 12,450"),
    "pct": ("numbers", "A percentage.", "{{ e.percent | pct }} → 47.8%"),
    "rate": ("numbers", "A false-alert rate, with “1 in n faces seen”.",
             "{{ pdr.false_alert_rate | rate }}"),
    "minutes": ("numbers", "A duration in minutes, also in hours.",
                "{{ pdr.duration_minutes | minutes }}"),
    "rows": ("loops", "The entries of a list that are objects (safe in a loop).",
             "{%tr for x in redaction_log | rows %}"),
    "contact": ("people", "An engagement's contact: name, role, e-mail, phone.", "{{ g | contact }}"),
    "owner": ("people", "A risk's owner and role.", "{{ k | owner }}"),
    "fieldname": ("disclosure", "A redaction's field pointer in words.",
                  "{{ x.pointer | fieldname }} → sign-off › author › name"),
}

LOOPS = {
    "cia.content.engagement_log": ("g", "Engagement log: one row per meeting."),
    "cia.content.risks": ("k", "Risks: one row per risk."),
    "cia.content.equality_impacts.entries": ("q", "Equality impact: one row per protected characteristic."),
    "cia.content.legal_basis.alternatives_considered": ("a", "Less intrusive alternatives."),
    "cia.content.watchlist.category_counts": ("w", "Watchlist composition by category."),
    "cia.content.area_profile.ethnicity_mix": ("e", "Census ethnicity mix."),
    "cia.content.post_deployment_review.ic_breakdown": ("r", "Alerts and engagements per IC code."),
    "redaction_log": ("x", "Redactions (disclosure copy only)."),
}


def _example_at(path: str) -> Any:
    data = {"operation": example()["operation"], "cia": {"version": 1, "status": "approved",
                                                         "content": example()["content"]},
            "force_name": "Metropolitan Police Service",
            "rendered_at": "2026-05-20T09:00:00+00:00"}
    node: Any = data
    for part in path.replace("[]", ".[]").split("."):
        if not part:
            continue
        if part == "[]":
            node = node[0] if isinstance(node, list) and node else None
        elif isinstance(node, dict):
            node = node.get(part)
        else:
            return None
        if node is None:
            return None
    return node


def _walk(var: Var):
    for child in (var.children or {}).values():
        yield child
        if child.children:
            yield from _walk(child)
        if child.item is not None:
            yield child.item
            yield from _walk(child.item)


def variables() -> list[dict]:
    """Every variable of the context, parents before children."""
    out = []
    for v in _walk(context_tree()):
        ex = _example_at(v.path) if v.type not in (OBJECT, LIST) else None
        out.append({
            "name": v.path, "type": v.type, "description": v.description,
            "section": SECTION_TITLES.get(v.section) if v.section else None,
            "disclosure": v.disclosure, "example": ex, "only_in": v.only_in,
        })
    return out


def loops() -> list[dict]:
    out = []
    for path, (alias, description) in LOOPS.items():
        node = _resolve(path)
        item_fields = sorted((node.item.children or {}) if node and node.item else {})
        out.append({"name": path, "item": alias, "description": description,
                    "item_fields": item_fields,
                    "usage": f"{{%tr for {alias} in {path} %}} … {{{{ {alias}.{item_fields[0]} }}}} … "
                             "{%tr endfor %}" if item_fields else ""})
    return out


def helpers() -> list[dict]:
    return [{"name": name, "group": group, "description": description, "example": ex}
            for name, (group, description, ex) in HELPERS.items()]


def _resolve(path: str) -> Var | None:
    node: Var | None = context_tree()
    for part in path.split("."):
        node = node.child(part) if node else None
    return node


def guide(kind: str) -> dict:
    """The template author's guide of a kind."""
    if kind == "foi-response":
        return _letter_guide()
    return {"kind": kind, "variables": variables(), "loops": loops(), "helpers": helpers(),
            "rules": RULES}


def _letter_guide() -> dict:
    """The FOI letter's context, every variable of it."""
    variables = [{"name": v.path, "type": v.type, "description": v.description, "section": None,
                  "disclosure": OPEN, "only_in": None,
                  "example": None if v.type in (OBJECT, LIST) else _letter_example(v.path)}
                 for v in _walk(letter_tree())]
    return {"kind": "foi-response", "loops": [], "helpers": helpers(),
            "rules": [*RULES[:2], *RULES[-2:]],
            "variables": variables}


def _letter_example(path: str) -> Any:
    node: Any = LETTER_SAMPLE
    for part in path.replace("[]", ".[]").split("."):
        if part == "[]":
            node = node[0]
        elif part:
            node = node[part]
    return node


RULES = [
    "Write every value as {{ … }} within one run of text; Word splits runs when "
    "formatting changes, so type each tag in one go.",
    "{%p … %} tags sit alone in their paragraph, {%tr … %} tags alone in their table row "
    "(never two in one paragraph or row).",
    "`{% set c = cia.content %}` at the top of the body lets the rest write c.deployment.… "
    "(each header and footer is rendered on its own: write cia.content there).",
    "A disclosure copy is rendered from the redacted content: a withheld value arrives as "
    "[Redacted — s.40(2)] or [Redacted — s.31(1)(a)(b)], whatever the template prints; "
    "`{% if redaction_log is defined %}` shows text in disclosure copies only.",
    "Uploads are checked before they are kept: every variable must be one listed here, the "
    "template must parse and must render the example CIA; macro-enabled files and files with "
    "comments (they would be copied into every document) are refused.",
    "Templates render in a sandbox: a tag reads the variables listed here (their fields by name "
    "or index, and loop.index, loop.first, loop.last …) and formats them with the helpers. "
    "Calls, attributes of anything else, keys computed in the template, and the include, "
    "extends, import, macro, call, block and autoescape tags are refused at upload, naming the "
    "expression. Besides the helpers, the filters " + ", ".join(f"`{f}`" for f in SAFE_FILTERS) +
    " and Jinja's comparison tests (`defined`, `none`, `number`, `eq` …) are available.",
    "A template uploaded by a force renders in a process of its own, stopped after "
    "CIA_TEMPLATE_RENDER_SECONDS (20 s) or CIA_UNTRUSTED_MEMORY_MB (768 MiB); a render that "
    "fails produces no document.",
]


def markdown(kind: str = "cia") -> str:
    """``docs/templates.md``: the guide as Markdown (regenerate with
    ``python -m cia_authoring.templates.fields > docs/templates.md``)."""
    g = guide(kind)

    def cell(text: str) -> str:
        return text.replace("|", "\\|")  # a pipe would end the table cell

    lines = [
        "# Writing a CIA template",
        "",
        "<!-- Generated from the content schema by `python -m cia_authoring.templates.fields`;"
        " do not edit by hand. -->",
        "",
        "A force's policy or communications team edits the CIA template in Word or LibreOffice: "
        "its branding, headings and fixed wording. Download the template in force with "
        "`GET /api/v1/templates/cia`, edit it, try it with `POST /api/v1/templates/cia/preview` "
        "(multipart `file`; PDF with `Accept: application/pdf`), and upload it with "
        "`PUT /api/v1/templates/cia` (multipart `file`, `note`; role admin). Every upload is "
        "kept as a numbered version; `GET /api/v1/templates/cia/versions` lists them and "
        "`POST /api/v1/templates/cia/versions/{n}/activate` goes back to one (version 0 is the "
        "default shipped with the service). Every stored document records the template kind, "
        "version and SHA-256 that produced it. The same guide, as JSON: "
        "`GET /api/v1/templates/cia/fields`.",
        "",
        "## Rules",
        "",
        *[f"- {r}" for r in g["rules"]],
        "",
        "## Helpers",
        "",
        "| helper | group | what it does | example |",
        "|---|---|---|---|",
        *[f"| `{h['name']}` | {h['group']} | {h['description']} | `{cell(h['example'])}` |"
          for h in g["helpers"]],
        "",
        "## Loops",
        "",
        "| list | item | item fields | what it is |",
        "|---|---|---|---|",
        *[f"| `{lp['name']}` | `{lp['item']}` | {', '.join(lp['item_fields'])} | "
          f"{lp['description']} |" for lp in g["loops"]],
        "",
        "For example: `" + cell(g["loops"][1]["usage"]) + "` in a table row of its own above and "
        "below the row that prints one risk.",
        "",
        "## Variables",
        "",
        "Disclosure class: `open` is printed in disclosure copies; `s40` (personal information) "
        "and `s31` (law enforcement) arrive redacted there.",
        "",
        "| variable | type | section | disclosure | example |",
        "|---|---|---|---|---|",
    ]
    for v in g["variables"]:
        ex = v["example"]
        ex = "" if ex is None else json.dumps(ex, ensure_ascii=False)
        if len(ex) > 60:
            ex = ex[:57] + "…\""
        note = " (disclosure copy only)" if v["only_in"] else ""
        lines.append(f"| `{v['name']}` | {v['type']}{note} | {v['section'] or ''} | "
                     f"{v['disclosure']} | {cell(ex)} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":  # pragma: no cover - writes docs/templates.md
    print(markdown(), end="")
