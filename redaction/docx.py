"""The redaction pass over a rendered DOCX: every paragraph of every part.

The copy is rendered from a redacted model, so this pass normally changes
nothing. It exists for what the template makes from the model (a date
formatted, a label looked up) and for the parts a template can reach
(headers, footers, footnotes, comments, document properties): each
paragraph's text, its runs joined, goes through the same ``Redactor``; a
paragraph that changes is written back as one run, so no withheld text
survives split across runs.
"""
from __future__ import annotations

import html
import io
import re
import zipfile

from lxml import etree

from cia_redaction.redactor import Redactor

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_T = f"{{{W}}}t"
_P = f"{{{W}}}p"
_XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"
_TEXT_PARTS = re.compile(r"^(word/(document|header\d*|footer\d*|footnotes|endnotes|comments)|"
                         r"docProps/(core|app|custom))\.xml$")


def scrub_docx(data: bytes, redactor: Redactor) -> bytes:
    src = zipfile.ZipFile(io.BytesIO(data))
    changed: dict[str, bytes] = {}
    for info in src.infolist():
        if not _TEXT_PARTS.match(info.filename):
            continue
        raw = src.read(info)
        pointer = f"/document/{info.filename}"
        if info.filename.startswith("word/") and _clean_at_a_glance(raw, redactor, pointer):
            continue
        root = etree.fromstring(raw)
        if info.filename.startswith("docProps/"):
            dirty = _scrub_properties(root, redactor, pointer)
        else:
            dirty = _scrub_paragraphs(root, redactor, pointer)
        if dirty:
            changed[info.filename] = etree.tostring(root, xml_declaration=True, encoding="UTF-8",
                                                    standalone=True)
    if not changed:
        return data
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info, changed.get(info.filename) or src.read(info))
    return out.getvalue()


_W_T = re.compile(rb"<w:t(?:\s[^>]*)?>([^<]*)</w:t>")


def _clean_at_a_glance(raw: bytes, redactor: Redactor, pointer: str) -> bool:
    """True when no paragraph of the part needs a change, read without parsing.

    Each chunk up to a closing ``</w:p>`` holds one paragraph's runs (and, in a
    text box, the outer paragraph's runs before it: a superset, so a value split
    there is still seen). Any change, or a part this reading cannot vouch for
    (alternate content), goes to the full parse."""
    if b"<mc:AlternateContent" in raw or b"<w:txbxContent" in raw:
        return False
    paragraphs = []
    for chunk in raw.split(b"</w:p>"):
        texts = _W_T.findall(chunk)
        if texts:
            paragraphs.append(html.unescape(b"".join(texts).decode("utf-8")))
    redactor.prepare(paragraphs)  # the name model reads them in one batch
    for text in paragraphs:
        if redactor.text(text, pointer) != text:
            return False
    return True


def _scrub_paragraphs(root, redactor: Redactor, pointer: str) -> bool:
    dirty = False
    for p in root.iter(_P):
        runs = [t for t in p.iter(_T) if _own_paragraph(t, p)]
        if not runs:
            continue
        text = "".join(t.text or "" for t in runs)
        new = redactor.text(text, pointer)
        if new == text:
            continue
        dirty = True
        runs[0].text = new
        runs[0].set(_XML_SPACE, "preserve")
        for t in runs[1:]:
            t.text = ""
    return dirty


def _own_paragraph(t, p) -> bool:
    # A text box nests paragraphs: each text belongs to its innermost one.
    parent = t.getparent()
    while parent is not None and parent.tag != _P:
        parent = parent.getparent()
    return parent is p


def _scrub_properties(root, redactor: Redactor, pointer: str) -> bool:
    dirty = False
    for el in root.iter():
        if el.text and el.text.strip():
            new = redactor.text(el.text, pointer)
            if new != el.text:
                el.text, dirty = new, True
    return dirty


# -- legacy documents: a DOCX written elsewhere, redacted as a whole ------------------
_CORE_NS = {"dc": "http://purl.org/dc/elements/1.1/",
            "cp": "http://schemas.openxmlformats.org/package/2006/metadata/core-properties"}
# Parts that hold what a reviewer or an author left, never the document: comments
# (and their extensions), the people who commented or changed, custom properties and
# custom XML (data bindings, often a copy of the properties).
_DROPPED_PARTS = re.compile(r"^(word/comments[A-Za-z]*\.xml|word/people\.xml|docProps/custom\.xml|"
                            r"customXml/.*|word/_rels/comments[A-Za-z]*\.xml\.rels)$")
# Tracked changes: deletions go with their text, insertions are accepted, and the
# record of formatting changes (which holds the old formatting and its author) goes.
_DELETED = {f"{{{W}}}{n}" for n in ("del", "moveFrom", "moveFromRangeStart", "moveFromRangeEnd",
                                     "moveToRangeStart", "moveToRangeEnd", "commentRangeStart",
                                     "commentRangeEnd", "commentReference", "rPrChange", "pPrChange",
                                     "sectPrChange", "tblPrChange", "trPrChange", "tcPrChange",
                                     "tblGridChange", "numberingChange", "tblPrExChange",
                                     "cellDel", "cellIns", "cellMerge")}
_ACCEPTED = {f"{{{W}}}ins", f"{{{W}}}moveTo"}
# Texts outside ``w:t`` that a reader sees: field codes, text in drawings and equations.
_OTHER_TEXTS = {f"{{{W}}}instrText", "{http://schemas.openxmlformats.org/drawingml/2006/main}t",
                "{http://schemas.openxmlformats.org/officeDocument/2006/math}t"}
# Attributes that hold free text: alt text of pictures, field instructions, tooltips,
# content-control labels.
_TEXT_ATTRIBUTES = {"descr", "title", "name", "instr", "tooltip"}
_TEXT_ATTRIBUTE_OWNERS = {
    "{http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing}docPr",
    "{http://schemas.openxmlformats.org/drawingml/2006/picture}cNvPr",
    f"{{{W}}}fldSimple", f"{{{W}}}hyperlink"}
_SDT_LABELS = {f"{{{W}}}alias", f"{{{W}}}tag"}


def redact_document(data: bytes, redactor: Redactor, title: str | None = None) -> bytes:
    """A DOCX from outside the system, redacted for disclosure: comments and tracked
    changes removed (insertions accepted), core properties reduced to the (redacted)
    ``title``, company and template names dropped, custom properties and custom XML
    removed; then every paragraph of every part, field codes, drawing text, alt text
    and external link targets through ``redactor``, names and rule matches found
    anywhere withheld everywhere."""
    src = zipfile.ZipFile(io.BytesIO(data))
    dropped = {n for n in src.namelist() if _DROPPED_PARTS.match(n)}
    trees = {}
    for info in src.infolist():
        name = info.filename
        if name in dropped or not (name.endswith(".xml") or name.endswith(".rels")):
            continue
        trees[name] = etree.fromstring(src.read(info))
    for name, root in trees.items():
        if name.startswith("word/") and name.endswith(".xml"):
            _accept_changes(root)
        elif name.endswith(".rels"):
            _drop_relationships(root, dropped, name)
        elif name == "[Content_Types].xml":
            for el in list(root):
                if el.get("PartName", "").lstrip("/") in dropped:
                    root.remove(el)
        elif name == "docProps/core.xml":
            _reduce_core(root, title)
        elif name == "docProps/app.xml":
            for el in list(root):
                if etree.QName(el).localname in ("Company", "Manager", "HyperlinkBase", "Template"):
                    root.remove(el)
    redactor.collect([_paragraph_text(p) for root in trees.values() for p in root.iter(_P)])
    for name, root in trees.items():
        pointer = f"/document/{name}"
        if name.startswith("docProps/"):
            _scrub_properties(root, redactor, pointer)
        elif name.endswith(".rels"):
            _scrub_targets(root, redactor, pointer)
        elif name != "[Content_Types].xml":
            _scrub_paragraphs(root, redactor, pointer)
            _scrub_other_texts(root, redactor, pointer)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            if info.filename in dropped:
                continue
            root = trees.get(info.filename)
            body = (etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
                    if root is not None else src.read(info))
            dst.writestr(info, body)
    return out.getvalue()


def _paragraph_text(p) -> str:
    return "".join(t.text or "" for t in p.iter(_T) if _own_paragraph(t, p))


def _accept_changes(root) -> None:
    for el in [e for e in root.iter() if e.tag in _DELETED]:
        parent = el.getparent()
        if parent is not None:
            parent.remove(el)
    for el in [e for e in root.iter() if e.tag in _ACCEPTED]:
        parent = el.getparent()
        if parent is None:
            continue
        index = parent.index(el)
        for child in list(el):
            parent.insert(index, child)
            index += 1
        parent.remove(el)


def _drop_relationships(root, dropped: set[str], rels_name: str) -> None:
    base = rels_name.replace("_rels/", "").removesuffix(".rels").rsplit("/", 1)
    folder = base[0] + "/" if len(base) == 2 else ""
    for rel in list(root):
        if rel.get("TargetMode") == "External":
            continue
        target = rel.get("Target", "")
        path = target.lstrip("/") if target.startswith("/") else _join(folder, target)
        if path in dropped:
            root.remove(rel)


def _join(folder: str, target: str) -> str:
    parts = [p for p in (folder + target).split("/") if p and p != "."]
    out: list[str] = []
    for p in parts:
        if p == "..":
            if out:
                out.pop()
        else:
            out.append(p)
    return "/".join(out)


def _reduce_core(root, title: str | None) -> None:
    for el in list(root):
        root.remove(el)
    if title:
        el = etree.SubElement(root, f"{{{_CORE_NS['dc']}}}title")
        el.text = title


def _scrub_targets(root, redactor: Redactor, pointer: str) -> None:
    for rel in root:
        if rel.get("TargetMode") == "External":
            target = rel.get("Target", "")
            if redactor.text(target, pointer) != target:
                rel.set("Target", "about:blank")


def _scrub_other_texts(root, redactor: Redactor, pointer: str) -> None:
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        if el.tag in _OTHER_TEXTS and el.text:
            el.text = redactor.text(el.text, pointer)
        if el.tag in _TEXT_ATTRIBUTE_OWNERS:
            for key in [k for k in el.attrib if etree.QName(k).localname in _TEXT_ATTRIBUTES]:
                el.set(key, redactor.text(el.get(key), pointer))
        elif el.tag in _SDT_LABELS and el.get(f"{{{W}}}val"):
            el.set(f"{{{W}}}val", redactor.text(el.get(f"{{{W}}}val"), pointer))
