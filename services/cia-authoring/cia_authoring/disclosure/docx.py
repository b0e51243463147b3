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

from .passes import Redactor

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
    for chunk in raw.split(b"</w:p>"):
        texts = _W_T.findall(chunk)
        if not texts:
            continue
        text = html.unescape(b"".join(texts).decode("utf-8"))
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
