"""Checks an uploaded DOCX template passes before it is kept or previewed.

- a Word document (a zip with a main document part), not macro-enabled, and
  without comments (docxtpl would copy them, and their authors, into every file);
- every part docxtpl renders (body, headers, footers, footnotes) parses as
  Jinja once docxtpl has patched it, and uses only known filters and tests;
- every variable it uses exists in the render context built from the content
  schema (``fields.context_tree``): docxtpl's undeclared-variable check for
  the top-level names, and each ``a.b.c`` path followed through the tree
  (through ``{% set %}`` aliases and loop variables);
- it renders the example CIA, as the full document and as a disclosure copy.

Each problem names its location: the part, the paragraph (counted from 1 in
that part, table cells included) and that paragraph's text.
"""
from __future__ import annotations

import html
import io
import re
import zipfile
from dataclasses import dataclass

from docx.oxml import parse_xml
from lxml import etree
from jinja2 import TemplateError, TemplateSyntaxError, meta, nodes

from cia_authoring.documents import render
from cia_authoring.templates import fields

MACRO_CONTENT_TYPES = ("macroEnabled", "vbaProject")
MAIN_PART = "word/document.xml"
_NEW_PARAGRAPH = re.compile(r"<w:p([ >])")
_TAGS = re.compile(r"<[^>]+>")
_WHITESPACE = re.compile(r"\s+")
_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


@dataclass(frozen=True)
class Problem:
    code: str  # not_docx | macro_enabled | comments | syntax | unknown_variable | unknown_filter | unsafe | render | limit
    detail: str
    part: str | None = None
    paragraph: int | None = None
    text: str | None = None

    def as_error(self) -> dict:
        """As an entry of a problem document's ``errors`` (the upload's field: ``file``)."""
        location = {k: v for k, v in (("part", self.part), ("paragraph", self.paragraph),
                                      ("text", self.text)) if v is not None}
        return {"pointer": "/file", "location": "body", "code": self.code,
                "detail": self.detail, **({"where": location} if location else {})}


class InvalidTemplate(Exception):
    def __init__(self, problems: list[Problem]):
        super().__init__("; ".join(p.detail for p in problems))
        self.problems = problems


# --------------------------------------------------------------------------
# The file
# --------------------------------------------------------------------------


def _check_package(data: bytes) -> list[Problem]:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            names = set(zf.namelist())
            types = zf.read("[Content_Types].xml").decode("utf-8", "replace") \
                if "[Content_Types].xml" in names else ""
    except (zipfile.BadZipFile, OSError, ValueError):
        return [Problem("not_docx", "Not a Word document (.docx): the file is not a zip package.")]
    if any(n.lower().endswith("vbaproject.bin") for n in names) or \
            any(t in types for t in MACRO_CONTENT_TYPES):
        return [Problem("macro_enabled", "Macro-enabled documents (.docm) are refused: save the "
                                         "template as a Word Document (.docx) without macros.")]
    if MAIN_PART not in names:
        return [Problem("not_docx", "Not a Word document (.docx): it has no word/document.xml.")]
    if any(re.fullmatch(r"word/comments\w*\.xml", n) for n in names):
        # docxtpl copies comments into every document it renders, names of their authors too.
        return [Problem("comments", "The template has comments, which would be copied into "
                                    "every document: delete them and upload it again.")]
    return []


def _clean(text: str) -> str:
    return _WHITESPACE.sub(" ", text).strip()


@dataclass(frozen=True)
class _Part:
    name: str
    source: str  # the Jinja source docxtpl renders, a line per paragraph
    paragraphs: tuple[str, ...]  # the text of each paragraph of the part as uploaded

    def paragraph(self, lineno: int | None) -> tuple[int | None, str | None]:
        """(paragraph number in the uploaded part, its text) of a Jinja line number."""
        if not lineno:
            return None, None
        lines = self.source.split("\n")
        if lineno > len(lines):
            return None, None
        text = _clean(html.unescape(_TAGS.sub("", lines[lineno - 1])))
        # docxtpl folds {%p %} paragraphs and {%tr %} rows away, so its line numbers
        # are not the author's paragraphs: find the paragraph by its text.
        number = next((i for i, p in enumerate(self.paragraphs, 1) if text and p == text), None)
        if number is None:
            number = next((i for i, p in enumerate(self.paragraphs, 1)
                           if text and p and (p in text or text in p)), None)
        if number is not None:
            text = self.paragraphs[number - 1]  # as the author wrote it
        return number, text[:200]


def _parts(data: bytes) -> list[_Part]:
    """The parts docxtpl renders, patched as docxtpl patches them, with a line
    break before each paragraph (as docxtpl renders them)."""
    tpl = render._Template(io.BytesIO(data))
    tpl.init_docx()
    doc = tpl.docx
    out = [(MAIN_PART, tpl.xml_to_string(doc._element.body))]
    for rel in doc.part.rels.values():
        if rel.is_external:
            continue
        if rel.reltype in (tpl.HEADER_URI, tpl.FOOTER_URI) or rel.reltype.endswith("/footnotes"):
            part = rel.target_part
            out.append((str(part.partname).lstrip("/"), tpl.xml_to_string(parse_xml(part.blob))))
    return [_Part(name, _NEW_PARAGRAPH.sub(r"\n<w:p\1", tpl.patch_xml(xml)), _texts(xml))
            for name, xml in out]


def _texts(xml: str) -> tuple[str, ...]:
    root = etree.fromstring(xml.encode("utf-8"))
    return tuple(_clean("".join(t.text or "" for t in p.iter(_W + "t")))
                 for p in root.iter(_W + "p"))


# --------------------------------------------------------------------------
# Variables
# --------------------------------------------------------------------------


class _Unknown:
    """A value the check cannot follow (a loop counter, a string method...)."""


UNKNOWN = _Unknown()


def _path_of(node) -> tuple[nodes.Node, list[str]] | None:
    """``a.b['c'].d`` → (Name a, ['b', 'c', 'd']); None when a key is not a constant."""
    attrs: list[str] = []
    while isinstance(node, (nodes.Getattr, nodes.Getitem)):
        if isinstance(node, nodes.Getattr):
            attrs.append(node.attr)
        elif isinstance(node.arg, nodes.Const) and isinstance(node.arg.value, str):
            attrs.append(node.arg.value)
        elif isinstance(node.arg, nodes.Const) and isinstance(node.arg.value, int):
            attrs.append("[]")
        else:
            return None
        node = node.node
    return node, list(reversed(attrs))


LOOP = _Unknown()  # the ``loop`` of a for loop
LOOP_ATTRIBUTES = frozenset({"index", "index0", "revindex", "revindex0", "first", "last",
                             "length", "depth", "depth0", "previtem", "nextitem"})
# Tags that reach other templates or change how output is escaped: none is needed to
# lay out a document, and each is a way around the sandbox's rules.
_REFUSED_TAGS = {nodes.Include: "include", nodes.Extends: "extends", nodes.Import: "import",
                 nodes.FromImport: "from … import", nodes.Macro: "macro",
                 nodes.CallBlock: "call", nodes.Block: "block",
                 nodes.ScopedEvalContextModifier: "autoescape",
                 nodes.EvalContextModifier: "autoescape"}
_UNSAFE_HINT = ("templates read the variables of the render context and format them with the "
                "helpers; see GET /api/v1/templates/{kind}/fields.")


def _expr(node) -> str:
    """An expression written back roughly as the author wrote it (for messages)."""
    if isinstance(node, nodes.Name):
        return node.name
    if isinstance(node, nodes.Const):
        return repr(node.value)
    if isinstance(node, nodes.Getattr):
        return f"{_expr(node.node)}.{node.attr}"
    if isinstance(node, nodes.Getitem):
        return f"{_expr(node.node)}[{_expr(node.arg)}]"
    if isinstance(node, nodes.Call):
        return f"{_expr(node.node)}(…)"
    if isinstance(node, nodes.Filter):
        return f"{_expr(node.node) if node.node is not None else '…'} | {node.name}"
    return "…"


class _VariableCheck:
    """Follows every expression of a part through the render context. Only what the
    context holds may be read: its variables (and their fields, by name or index),
    names the template sets, loop variables and ``loop``'s counters. Attributes of
    anything else, keys computed in the template, calls and the tags in
    ``_REFUSED_TAGS`` are refused as unsafe, naming the expression."""

    def __init__(self, part: _Part, env, undeclared: set[str]):
        self.part = part
        self.env = env
        self.undeclared = undeclared  # top-level names the context lacks
        self.problems: list[Problem] = []
        self._seen: set[tuple[str, int | None]] = set()
        self.located: set[str] = set()

    def _unknown_name(self, name: str, lineno: int | None) -> None:
        self.located.add(name)
        self._report("unknown_variable", f"Unknown variable {name}: not in the render context; "
                                         "see GET /api/v1/templates/{kind}/fields.", lineno, name)

    def _unsafe(self, node, why: str) -> _Unknown:
        text = _expr(node)
        self._report("unsafe", f"Unsafe expression {text}: {why}; {_UNSAFE_HINT}",
                     node.lineno, "unsafe:" + text)
        return UNKNOWN

    def _report(self, code: str, detail: str, lineno: int | None, key: str) -> None:
        if (key, lineno) in self._seen:
            return
        self._seen.add((key, lineno))
        paragraph, text = self.part.paragraph(lineno)
        self.problems.append(Problem(code, detail, self.part.name, paragraph, text))

    def resolve(self, node, scope: dict):
        """The context variable an expression denotes (a ``fields.Var``) or UNKNOWN."""
        if isinstance(node, nodes.Name):
            if node.name not in scope:
                self._unknown_name(node.name, node.lineno)
            return scope.get(node.name, UNKNOWN)
        if isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Slice):
            self.resolve(node.node, scope)  # a slice of a text or list: still text or a list
            self.visit(node.arg, scope)
            return UNKNOWN
        if isinstance(node, (nodes.Getattr, nodes.Getitem)):
            return self._resolve_path(node, scope)
        if isinstance(node, nodes.Filter):
            inner = self.resolve(node.node, scope) if node.node is not None else UNKNOWN
            self._visit_args(node, scope)
            self._check_filter(node)
            return inner if node.name == "rows" else UNKNOWN
        if isinstance(node, nodes.Call):
            return self._unsafe(node, "calls are not available")
        self.visit(node, scope)
        return UNKNOWN

    def _resolve_path(self, node, scope: dict):
        found = _path_of(node)
        if found is None:
            return self._unsafe(node, "a key computed in the template")
        root, attrs = found
        hidden = next((a for a in attrs if a.startswith("_")), None)
        if hidden is not None:
            return self._unsafe(node, f"{hidden} is not a variable of the render context")
        if not isinstance(root, nodes.Name):
            return self._unsafe(node, "attributes of a literal, a call or a helper's result "
                                      "are not available")
        var = self.resolve(root, scope)
        if root.name not in scope:
            return UNKNOWN  # reported as an unknown variable
        if var is LOOP:
            if len(attrs) != 1 or attrs[0] not in LOOP_ATTRIBUTES:
                return self._unsafe(node, "loop offers only its counters (" +
                                    ", ".join(sorted(LOOP_ATTRIBUTES)) + ")")
            return UNKNOWN
        written = root.name
        for attr in attrs:
            if not isinstance(var, fields.Var):
                return self._unsafe(node, "only the fields of context variables can be read")
            if attr == "[]" and var.type == fields.LIST:
                var = var.item or UNKNOWN
            elif attr != "[]" and var.type == fields.OBJECT:
                child = var.child(attr)
                if child is None:
                    full = f"{var.path}.{attr}" if var.path else attr
                    self._report("unknown_variable",
                                 f"Unknown variable {written}.{attr}"
                                 + ("" if written.startswith(var.path or "\0") else f" ({full})")
                                 + ": not in the "
                                 "render context; see GET /api/v1/templates/{kind}/fields.",
                                 node.lineno, full)
                    return UNKNOWN
                var = child
            else:
                return self._unsafe(node, f"{written} is a {var.type}, with no field {attr}")
            written += attr if attr == "[]" else "." + attr
        return var

    def _visit_args(self, node, scope) -> None:
        for arg in [*node.args, *(k.value for k in node.kwargs)]:
            self.resolve(arg, scope)
        for extra in (node.dyn_args, node.dyn_kwargs):
            if extra is not None:
                self.resolve(extra, scope)

    def _check_filter(self, node) -> None:
        if node.name not in self.env.filters:
            self._report("unknown_filter", f"Unknown helper (filter) '{node.name}'; see the "
                                           "helpers in GET /api/v1/templates/{kind}/fields.",
                         node.lineno, "filter:" + node.name)

    def _bind(self, target, value, scope: dict) -> None:
        if isinstance(target, nodes.Name):
            scope[target.name] = value
        elif isinstance(target, nodes.Tuple):
            for item in target.items:
                self._bind(item, UNKNOWN, scope)
        else:  # {% set x.y = … %}: a namespace attribute
            self._unsafe(target, "only plain names can be set")

    def visit(self, node, scope: dict) -> None:
        refused = _REFUSED_TAGS.get(type(node))
        if refused is not None:
            self._report("unsafe", f"The {{% {refused} %}} tag is not available in templates; "
                                   f"{_UNSAFE_HINT}", node.lineno, "tag:" + refused)
            return
        if isinstance(node, nodes.For):
            iterable = self.resolve(node.iter, scope)
            inner = dict(scope)
            item = iterable.item if isinstance(iterable, fields.Var) and iterable.item else UNKNOWN
            self._bind(node.target, item, inner)
            inner["loop"] = LOOP
            if node.test is not None:
                self.resolve(node.test, inner)
            for child in node.body:
                self.visit(child, inner)
            for child in node.else_:
                self.visit(child, scope)
        elif isinstance(node, nodes.Assign):
            self._bind(node.target, self.resolve(node.node, scope), scope)
        elif isinstance(node, nodes.AssignBlock):
            for child in node.body:
                self.visit(child, scope)
            if node.filter is not None:
                self.resolve(node.filter, scope)
            self._bind(node.target, UNKNOWN, scope)
        elif isinstance(node, nodes.With):
            inner = dict(scope)
            for target, value in zip(node.targets, node.values):
                self._bind(target, self.resolve(value, scope), inner)
            for child in node.body:
                self.visit(child, inner)
        elif isinstance(node, nodes.FilterBlock):
            self.resolve(node.filter, scope)
            for child in node.body:
                self.visit(child, scope)
        elif isinstance(node, (nodes.Name, nodes.Getattr, nodes.Getitem, nodes.Filter,
                               nodes.Call)):
            self.resolve(node, scope)
        elif isinstance(node, nodes.Test):
            if node.name not in self.env.tests:
                self._report("unknown_filter", f"Unknown test '{node.name}'.", node.lineno,
                             "test:" + node.name)
            self.resolve(node.node, scope)
            self._visit_args(node, scope)
        else:
            for child in node.iter_child_nodes():
                self.visit(child, scope)


def _check_part(part: _Part, env, known: dict) -> list[Problem]:
    try:
        tree = env.parse(part.source)
    except TemplateSyntaxError as exc:
        paragraph, text = part.paragraph(exc.lineno)
        return [Problem("syntax", f"Template syntax error: {exc.message}", part.name,
                        paragraph, text)]
    # Top-level names: docxtpl's check (jinja2.meta), against the context's names.
    failed = None
    try:
        undeclared = meta.find_undeclared_variables(tree) - set(known)
    except TemplateError as exc:  # it compiles: an unknown filter or test fails here
        undeclared, failed = set(), exc
    check = _VariableCheck(part, env, undeclared)
    check.visit(tree, dict(known))
    if failed is not None and not check.problems:
        paragraph, text = part.paragraph(getattr(failed, "lineno", None))
        check.problems.append(Problem("syntax", f"Template error: {failed.message}", part.name,
                                      paragraph, text))
    for name in sorted(undeclared - check.located):
        check._unknown_name(name, None)
    return check.problems


# --------------------------------------------------------------------------
# The whole check
# --------------------------------------------------------------------------


def check(data: bytes, render_example, known: dict | None = None) -> list[Problem]:
    """Every problem of the template ``data``; ``render_example(data)`` renders the
    example with it (for a CIA: full and disclosure copy) and raises on failure.
    ``known``: the context's top-level names (default: the CIA render context)."""
    problems = _check_package(data)
    if problems:
        return problems
    try:
        parts = _parts(data)
    except Exception as exc:  # noqa: BLE001 - any unreadable package is the upload's fault
        return [Problem("not_docx", f"The Word document cannot be read: {type(exc).__name__}.")]
    env = render.jinja_env()
    if known is None:
        known = dict(fields.context_tree().children or {})
    for part in parts:
        problems += _check_part(part, env, known)
    if problems:
        return problems
    try:
        render_example(data)
    except render.TemplateRenderError as exc:
        return [Problem("render", f"Rendering the example failed: {exc}")]
    except TemplateError as exc:
        return [Problem("render", "Rendering the example failed: "
                                  f"{exc.message or type(exc).__name__}")]
    except Exception as exc:  # noqa: BLE001 - whatever breaks, the upload is refused, not a 500
        # The kind only: a message could carry the process's internals.
        return [Problem("render", f"Rendering the example failed ({type(exc).__name__}).")]
    return []
