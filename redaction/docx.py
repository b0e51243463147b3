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

import copy
import html
import io
import re
import struct
import zipfile
from dataclasses import dataclass, field
from functools import partial
from typing import Callable, Iterable

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
    # Each member as stored, a name that occurs twice included.
    changed = scrub_members(((info.filename, partial(src.read, info)) for info in src.infolist()),
                            redactor)
    if not changed:
        return data
    return _replace_parts(data, src, changed)


def scrub_members(members: Iterable[tuple[str, Callable[[], bytes]]],
                  redactor: Redactor) -> dict[str, bytes]:
    """The pass over a package's members, each a name and how to read it (in the
    package's order; only text parts are read): the parts it changes, written anew.
    A render that still holds the parts it made hands them over here rather than
    zipping them and reading them back."""
    changed: dict[str, bytes] = {}
    for name, read in members:
        if not _TEXT_PARTS.match(name):
            continue
        raw = read()
        pointer = f"/document/{name}"
        if name.startswith("word/") and _clean_at_a_glance(raw, redactor, pointer):
            continue
        root = etree.fromstring(raw)
        if name.startswith("docProps/"):
            dirty = _scrub_properties(root, redactor, pointer)
        else:
            dirty = _scrub_paragraphs(root, redactor, pointer)
        if dirty:
            changed[name] = etree.tostring(root, xml_declaration=True, encoding="UTF-8",
                                           standalone=True)
    return changed


def replace_parts(data: bytes, changed: dict[str, bytes]) -> bytes:
    """The package ``data`` with the members ``changed`` names written anew and every
    other member copied as it is stored."""
    return _replace_parts(data, zipfile.ZipFile(io.BytesIO(data)), changed)


def _replace_parts(data: bytes, src: zipfile.ZipFile, changed: dict[str, bytes]) -> bytes:
    """``data`` with the ``changed`` parts deflated anew and every other member copied
    as it is stored (its compressed bytes, CRC and sizes), not inflated and deflated
    again: a rendered DOCX's styles are most of its bytes and never change here."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            if info.filename in changed:
                dst.writestr(info, changed[info.filename])
                continue
            raw = _stored_bytes(data, info)
            if raw is None:
                dst.writestr(info, src.read(info))
                continue
            member = copy.copy(info)
            member.header_offset = dst.fp.tell()
            dst.fp.write(member.FileHeader(False))
            dst.fp.write(raw)
            dst.filelist.append(member)
            dst.NameToInfo[member.filename] = member
            dst.start_dir = dst.fp.tell()
            dst._didModify = True
    return out.getvalue()


def _stored_bytes(data: bytes, info: zipfile.ZipInfo) -> bytes | None:
    """A member's compressed bytes as stored in ``data``; None for what a plain copy
    cannot carry (a data descriptor, ZIP64, encryption, a header that does not agree)."""
    start = info.header_offset
    if (info.flag_bits & 0x09 or info.file_size >= zipfile.ZIP64_LIMIT
            or info.compress_size >= zipfile.ZIP64_LIMIT or info.extra
            or data[start:start + 4] != b"PK\x03\x04"):
        return None
    name_len, extra_len = struct.unpack("<HH", data[start + 26:start + 30])
    body = start + 30 + name_len + extra_len
    if body + info.compress_size > len(data):
        return None
    return data[body:body + info.compress_size]


# Jinja's tags as docxtpl reads them from a paragraph's text.
_JINJA_TAG = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}")


def fixed_wording(template: bytes) -> list[str]:
    """The text a DOCX template prints whatever its context: each paragraph of its
    body, headers and footers with the Jinja tags taken out, in the pieces between
    them (what a variable prints is never part of it)."""
    out: list[str] = []
    with zipfile.ZipFile(io.BytesIO(template)) as src:
        for name in src.namelist():
            if not (name.startswith("word/") and _TEXT_PARTS.match(name)):
                continue
            root = etree.fromstring(src.read(name))
            for p in root.iter(_P):
                text = "".join(t.text or "" for t in p.iter(_T) if _own_paragraph(t, p))
                out.extend(piece.strip() for piece in _JINJA_TAG.split(text) if piece.strip())
    return list(dict.fromkeys(out))


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


# -- legacy documents -----------------------------------------------------------------
_CORE_NS = {"dc": "http://purl.org/dc/elements/1.1/",
            "cp": "http://schemas.openxmlformats.org/package/2006/metadata/core-properties"}
# Tracked changes: deletions go with their text, insertions are accepted, and the
# record of formatting changes (which holds the old formatting and its author) goes.
_DELETED = {f"{{{W}}}{n}" for n in ("del", "moveFrom", "moveFromRangeStart", "moveFromRangeEnd",
                                     "moveToRangeStart", "moveToRangeEnd", "commentRangeStart",
                                     "commentRangeEnd", "commentReference", "rPrChange", "pPrChange",
                                     "sectPrChange", "tblPrChange", "trPrChange", "tcPrChange",
                                     "tblGridChange", "numberingChange", "tblPrExChange",
                                     "cellDel", "cellIns", "cellMerge")}
_ACCEPTED = {f"{{{W}}}ins", f"{{{W}}}moveTo"}


def _paragraph_text(p) -> str:
    return "".join(t.text or "" for t in p.iter(_T) if _own_paragraph(t, p))


def said(data: bytes) -> str:
    """What a Word file says in words: every paragraph of every XML part (body,
    headers, footers, notes, text boxes, charts), one a line; what the check by sight
    compares its reading with (``sight.said_excuser``)."""
    lines = []
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        for name in z.namelist():
            if not name.endswith(".xml"):
                continue
            try:
                root = etree.fromstring(z.read(name), parser=_PARSER)
            except etree.XMLSyntaxError:
                continue
            for p in root.iter(_P):
                text = _paragraph_text(p)
                if text.strip():
                    lines.append(text)
    return "\n".join(lines)


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



def _reduce_core(root, title: str | None) -> None:
    for el in list(root):
        root.remove(el)
    if title:
        el = etree.SubElement(root, f"{{{_CORE_NS['dc']}}}title")
        el.text = title


# -- legacy documents: a DOCX written elsewhere, rebuilt by allowlist -----------------
#
# A package is a graph: ``_rels/.rels`` names the main document (whatever its part is
# called), each part's relationships name the parts it uses. The copy is a new package
# holding only what that graph reaches through relationships of the kinds below, each
# part under a neutral name with its standard content type; everything else is left
# behind and named in the log. Every XML part kept has every text node and every
# attribute value read by the pass; every image is decoded and encoded again, without
# its metadata. What the pass cannot read (embedded objects and packages, thumbnails,
# fonts, macros, controls, parts nothing references, parts of kinds not listed) is
# never copied.

_R_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PR_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
_CT_NS = "http://schemas.openxmlformats.org/package/2006/content-types"
_WML = "application/vnd.openxmlformats-officedocument.wordprocessingml"
_DML = "application/vnd.openxmlformats-officedocument"
_REL_BASE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
_PKG_REL_BASE = "http://schemas.openxmlformats.org/package/2006/relationships/metadata/"

# Relationship kind (the type's last segment) → (neutral name stem, content type).
_KEPT = {
    "officeDocument": ("word/document", f"{_WML}.document.main+xml"),
    "styles": ("word/styles", f"{_WML}.styles+xml"),
    "numbering": ("word/numbering", f"{_WML}.numbering+xml"),
    "settings": ("word/settings", f"{_WML}.settings+xml"),
    "webSettings": ("word/webSettings", f"{_WML}.webSettings+xml"),
    "fontTable": ("word/fontTable", f"{_WML}.fontTable+xml"),
    "theme": ("word/theme/theme", f"{_DML}.theme+xml"),
    "header": ("word/header", f"{_WML}.header+xml"),
    "footer": ("word/footer", f"{_WML}.footer+xml"),
    "footnotes": ("word/footnotes", f"{_WML}.footnotes+xml"),
    "endnotes": ("word/endnotes", f"{_WML}.endnotes+xml"),
    "image": ("word/media/image", None),
    "chart": ("word/charts/chart", f"{_DML}.drawingml.chart+xml"),
    "diagramData": ("word/diagrams/data", f"{_DML}.drawingml.diagramData+xml"),
    "diagramLayout": ("word/diagrams/layout", f"{_DML}.drawingml.diagramLayout+xml"),
    "diagramQuickStyle": ("word/diagrams/quickStyle", f"{_DML}.drawingml.diagramStyle+xml"),
    "diagramColors": ("word/diagrams/colors", f"{_DML}.drawingml.diagramColors+xml"),
    "core-properties": ("docProps/core", "application/vnd.openxmlformats-package.core-properties+xml"),
    "extended-properties": ("docProps/app", f"{_DML}.extended-properties+xml"),
}
_SINGLE = {"officeDocument", "styles", "numbering", "settings", "webSettings", "fontTable",
           "footnotes", "endnotes", "core-properties", "extended-properties"}
# What is left behind, as the log names it.
_REMOVED = {
    "thumbnail": "thumbnail (a picture of the first page)",
    "oleObject": "embedded object", "package": "embedded object", "embeddings": "embedded object",
    "font": "embedded font", "vbaProject": "macros", "wordVbaData": "macros",
    "comments": "comments", "commentsExtended": "comments", "commentsIds": "comments",
    "commentsExtensible": "comments", "people": "comment authors",
    "customXml": "custom XML data", "custom-properties": "custom properties",
    "glossaryDocument": "building blocks (glossary)", "control": "ActiveX control",
    "printerSettings": "printer settings", "attachedTemplate": "template link",
    "aFChunk": "embedded document chunk", "subDocument": "subdocument",
    "chartUserShapes": "drawing over a chart",
}
_IMAGES = {"PNG": ("png", "image/png"), "JPEG": ("jpeg", "image/jpeg"), "GIF": ("png", "image/png"),
           "BMP": ("png", "image/png"), "TIFF": ("png", "image/png")}
_MAX_IMAGE_PIXELS = 40_000_000
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)


class NotClean(ValueError):
    """The DOCX cannot be rebuilt clean; the message says why (for the log)."""


@dataclass
class Rebuilt:
    data: bytes
    removed: list[str] = field(default_factory=list)  # what was left behind, by kind


def _kind(rel_type: str) -> str:
    return rel_type.rstrip("/").rsplit("/", 1)[-1]


def _resolve(source: str, target: str) -> str:
    folder = source.rsplit("/", 1)[0] + "/" if "/" in source else ""
    return target.lstrip("/") if target.startswith("/") else _join(folder, target)


def _rels_name(part: str) -> str:
    folder, _, name = part.rpartition("/")
    return f"{folder}/_rels/{name}.rels" if folder else f"_rels/{name}.rels"


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


def redact_document(data: bytes, redactor: Redactor, title: str | None = None,
                    log: list[dict] | None = None) -> bytes:
    """A DOCX from outside the system, rebuilt for disclosure (see above): tracked
    changes accepted (deletions go), comments and everything the pass cannot read left
    behind, core properties reduced to the (redacted) ``title``, every text node and
    attribute of every part kept through ``redactor``. Each thing left behind is added
    to ``log`` (``removed: …``). ``NotClean`` when the package has no main document."""
    return rebuild_document(data, redactor, title, log).data


def rebuild_document(data: bytes, redactor: Redactor, title: str | None = None,
                     log: list[dict] | None = None) -> Rebuilt:
    src = zipfile.ZipFile(io.BytesIO(data))
    names = set(src.namelist())
    removed: list[str] = []

    def read_rels(part: str | None) -> list[tuple[str, str, str, str]]:
        rels_part = "_rels/.rels" if part is None else _rels_name(part)
        if rels_part not in names:
            return []
        out = []
        for rel in etree.fromstring(src.read(rels_part), _PARSER):
            out.append((rel.get("Id", ""), rel.get("Type", ""), rel.get("Target", ""),
                        rel.get("TargetMode", "")))
        return out

    # Walk the graph from the package root: (part, its kind), first reached first.
    kept: dict[str, str] = {}
    edges: dict[str | None, list[tuple[str, str, str | None, str]]] = {}
    queue: list[str | None] = [None]
    while queue:
        part = queue.pop(0)
        edges[part] = []
        for rid, rel_type, target, mode in read_rels(part):
            kind = _kind(rel_type)
            if mode == "External":
                if kind == "hyperlink":
                    edges[part].append((rid, kind, None, target))
                else:
                    removed.append("external link")
                continue
            path = _resolve(part or "", target)
            if kind not in _KEPT or path not in names:
                removed.append(_REMOVED.get(kind, "part of a kind that cannot be checked"))
                continue
            if part is None and kind not in ("officeDocument", "core-properties", "extended-properties"):
                removed.append(_REMOVED.get(kind, "part of a kind that cannot be checked"))
                continue
            edges[part].append((rid, kind, path, ""))
            if path not in kept:
                kept[path] = kind
                queue.append(path)
    mains = [p for p, k in kept.items() if k == "officeDocument"]
    if len(mains) != 1:
        raise NotClean("the package names no main document (or more than one)")
    unreferenced = [n for n in names if n not in kept and not n.endswith("/")
                    and not n.endswith(".rels") and n != "[Content_Types].xml"]
    removed += ["part nothing references"] * len(unreferenced)

    # Neutral names: one per part, by kind, in the order reached.
    counters: dict[str, int] = {}
    new_names: dict[str, str] = {}
    images: dict[str, tuple[bytes, str]] = {}
    trees = {}
    for path, kind in kept.items():
        stem, _ctype = _KEPT[kind]
        if kind == "image":
            encoded = _reencode(src.read(path))
            if encoded is None:
                removed.append("image in a format that cannot be re-encoded")
                continue
            counters[kind] = counters.get(kind, 0) + 1
            new_names[path] = f"{stem}{counters[kind]}.{encoded[1]}"
            images[path] = (encoded[0], encoded[2])
            continue
        try:
            trees[path] = etree.fromstring(src.read(path), _PARSER)
        except etree.XMLSyntaxError:
            raise NotClean("a part of the document is not well-formed XML") from None
        if kind in _SINGLE:
            new_names[path] = f"{stem}.xml"
        else:
            counters[kind] = counters.get(kind, 0) + 1
            new_names[path] = f"{stem}{counters[kind]}.xml"

    # Relationship ids that point at nothing kept now: what uses them goes too.
    dangling: dict[str, set[str]] = {}
    for part in trees:
        ids = {rid for rid, _rel_type, _t, _m in read_rels(part)}
        live = {rid for rid, _k, path, _m in edges.get(part, []) if path is None or path in new_names}
        dangling[part] = ids - live

    for path, root in trees.items():
        kind = kept[path]
        if kind == "core-properties":
            _reduce_core(root, title)
            continue
        _accept_changes(root)
        if _drop_dangling(root, dangling.get(path, set())):
            removed.append("embedded object")
    # Relationship ids renumbered: an id is a name the source chose.
    rid_maps: dict[str | None, dict[str, str]] = {}
    for part, rels in edges.items():
        rid_maps[part] = {rid: f"rId{n}" for n, (rid, *_rest) in enumerate(rels, 1)}
        edges[part] = [(rid_maps[part][rid], *rest) for rid, *rest in rels]
    for path, root in trees.items():
        mapping = rid_maps.get(path, {})
        for el in root.iter():
            if isinstance(el.tag, str):
                for key, value in list(el.attrib.items()):
                    if etree.QName(key).namespace == _R_NS:
                        el.set(key, mapping.get(value, "rId0"))
    redactor.collect([_paragraph_text(p) for root in trees.values() for p in root.iter(_P)])
    identifiers: dict[str, str] = {}
    for path, root in trees.items():
        pointer = f"/document/{new_names[path]}"
        _scrub_paragraphs(root, redactor, pointer)
        _scrub_every_node(root, redactor, pointer, identifiers)

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        dst.comment = b""
        dst.writestr(_entry("[Content_Types].xml"), _content_types(kept, new_names))
        dst.writestr(_entry("_rels/.rels"), _rels_xml(edges[None], new_names, None, redactor))
        for path in kept:
            if path not in new_names:
                continue
            name = new_names[path]
            if path in images:
                dst.writestr(_entry(name), images[path][0])
                continue
            dst.writestr(_entry(name), etree.tostring(trees[path], xml_declaration=True,
                                                      encoding="UTF-8", standalone=True))
            rels = edges.get(path, [])
            if rels:
                dst.writestr(_entry(_rels_name(name)), _rels_xml(rels, new_names, name, redactor))
    if log is not None:
        for what in dict.fromkeys(removed):
            log.append({"pointer": "/document", "exemption": "", "rule_id": None,
                        "detector": "allowlist",
                        "reason": f"removed: {what}" + (f" ({removed.count(what)})"
                                                        if removed.count(what) > 1 else "")})
    return Rebuilt(out.getvalue(), removed)


def _entry(name: str) -> zipfile.ZipInfo:
    # A fixed date and no comment or extra field: nothing of the source's entries.
    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    return info


def _reencode(data: bytes) -> tuple[bytes, str, str] | None:
    """The image decoded and written again by Pillow, with no metadata; None for a
    format it cannot re-encode (EMF, WMF, SVG) or an image too large to decode."""
    from PIL import Image

    try:
        with Image.open(io.BytesIO(data)) as image:
            fmt = _IMAGES.get(image.format or "")
            if fmt is None or image.width * image.height > _MAX_IMAGE_PIXELS:
                return None
            image.load()
            pixels = image.convert("RGBA" if image.mode in ("RGBA", "LA", "P") else "RGB")
            if fmt[0] == "jpeg" and pixels.mode == "RGBA":
                pixels = pixels.convert("RGB")
            # A new image of the pixels alone: Pillow's save carries ``info`` (a JPEG
            # comment, say) over from the image it was decoded from.
            pixels = Image.frombytes(pixels.mode, pixels.size, pixels.tobytes())
            out = io.BytesIO()
            # Only the pixels: no exif=, pnginfo=, icc_profile= or comment passed on.
            pixels.save(out, format="JPEG" if fmt[0] == "jpeg" else "PNG",
                        **({"quality": 90} if fmt[0] == "jpeg" else {}))
            return out.getvalue(), fmt[0], fmt[1]
    except Exception:  # noqa: BLE001 - anything Pillow cannot read is left behind
        return None


def _content_types(kept: dict[str, str], new_names: dict[str, str]) -> bytes:
    root = etree.Element(f"{{{_CT_NS}}}Types", nsmap={None: _CT_NS})
    for ext, ctype in (("rels", "application/vnd.openxmlformats-package.relationships+xml"),
                       ("xml", "application/xml"), ("png", "image/png"), ("jpeg", "image/jpeg")):
        etree.SubElement(root, f"{{{_CT_NS}}}Default", Extension=ext, ContentType=ctype)
    for path, name in new_names.items():
        ctype = _KEPT[kept[path]][1]
        if ctype:
            etree.SubElement(root, f"{{{_CT_NS}}}Override", PartName=f"/{name}", ContentType=ctype)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def _rels_xml(rels, new_names: dict[str, str], source: str | None, redactor: Redactor) -> bytes:
    root = etree.Element(f"{{{_PR_NS}}}Relationships", nsmap={None: _PR_NS})
    folder = source.rsplit("/", 1)[0] if source and "/" in source else ""
    for rid, kind, path, external in rels:
        if path is None:
            target = external
            if redactor.text(target, "/document/relationships") != target:
                target = "about:blank"
            etree.SubElement(root, f"{{{_PR_NS}}}Relationship", Id=rid, Type=_REL_BASE + kind,
                             Target=target, TargetMode="External")
            continue
        if path not in new_names:
            continue
        name = new_names[path]
        rel_type = (_PKG_REL_BASE + kind if kind == "core-properties" else _REL_BASE + kind)
        target = _relative(folder, name) if source else name
        etree.SubElement(root, f"{{{_PR_NS}}}Relationship", Id=rid, Type=rel_type, Target=target)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def _relative(folder: str, name: str) -> str:
    here = [p for p in folder.split("/") if p]
    there = name.split("/")
    common = 0
    while common < min(len(here), len(there) - 1) and here[common] == there[common]:
        common += 1
    return "/".join([".."] * (len(here) - common) + there[common:])


def _drop_dangling(root, ids: set[str]) -> bool:
    """Remove each element that refers to a relationship left behind (with the
    ``w:object`` or ``w:pict`` that holds it: an embedded object's preview goes too)."""
    if not ids:
        return False
    dropped = False
    for el in list(root.iter()):
        if not isinstance(el.tag, str) or el.getparent() is None:
            continue
        if any(etree.QName(k).namespace == _R_NS and v in ids for k, v in el.attrib.items()):
            target = el
            for ancestor in el.iterancestors():
                if ancestor.tag in (f"{{{W}}}object", f"{{{W}}}pict", f"{{{W}}}drawing"):
                    target = ancestor
                    break
            if target.getparent() is not None:
                target.getparent().remove(target)
                dropped = True
    return dropped


_NEUTRAL_SAFE = re.compile(r"^[^\s]*$")


def _scrub_every_node(root, redactor: Redactor, pointer: str, identifiers: dict[str, str]) -> None:
    """Every text node, tail and attribute value of the part through the pass. A
    value with a hit that is one token (an identifier: a style id, a bookmark name, a
    hyperlink anchor) becomes the same neutral name wherever it occurs, so what refers
    to it still does; a value with spaces (free text) is redacted in place."""
    for el in root.iter():
        if isinstance(el.tag, str):
            for key, value in list(el.attrib.items()):
                if etree.QName(key).namespace == _R_NS:
                    continue  # relationship ids: ours, renamed parts keep them
                new = _redacted_value(value, redactor, pointer, identifiers)
                if new != value:
                    el.set(key, new)
        for attr in ("text", "tail"):
            value = getattr(el, attr)
            if value and value.strip():
                new = redactor.text(value, pointer)
                if new != value:
                    setattr(el, attr, new)


def _redacted_value(value: str, redactor: Redactor, pointer: str, identifiers: dict[str, str]) -> str:
    if not value:
        return value
    # An identifier's words are read apart: Ottoline_Quillfeather, OttolineQuillfeather.
    reading = re.sub(r"(?<=[a-z])(?=[A-Z])|_", " ", value) if _NEUTRAL_SAFE.match(value) else value
    if value in identifiers:
        return identifiers[value]
    if redactor.text(value, pointer) == value and redactor.text(reading, pointer) == reading:
        return value
    if _NEUTRAL_SAFE.match(value):
        identifiers[value] = f"Redacted{len(identifiers) + 1}"
        return identifiers[value]
    return redactor.text(value, pointer)


def residue(data: bytes, redactor: Redactor) -> str | None:
    """Which part of a rebuilt DOCX still holds what ``redactor`` withholds (read as a
    whole: every text node and attribute value, markers aside), or None."""
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        for name in zf.namelist():
            if not (name.endswith(".xml") or name.endswith(".rels")):
                continue
            root = etree.fromstring(zf.read(name), _PARSER)
            texts = [p for p in (_paragraph_text(p) for p in root.iter(_P)) if p]
            for el in root.iter():
                if isinstance(el.tag, str):
                    texts += [v for k, v in el.attrib.items() if etree.QName(k).namespace != _R_NS]
                texts += [t for t in (el.text, el.tail) if t and t.strip()]
            if any(redactor.findings(t) for t in texts):
                return name
    return None
