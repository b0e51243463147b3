"""One leak checker for the tests: what a reader of a file can see, normalised.

Every leak check of the suite goes through here: ``texts`` / ``readable`` read a
file of any kind, ``docx_texts`` and ``pdf_text`` are the same reading for a
DOCX and a PDF, ``norm`` folds text as the service does, ``found`` says whether
a value is in normalised text and ``leaks`` which values a file shows, part by
part. ``keep_case=True`` keeps capitals (as the service's ``normalise`` does),
for a value told from an ordinary phrase only by them. ``pdf_raw`` and
``raw_found`` look below a PDF's text layer, at its raw streams.

- A zip (a DOCX, a bundle, a package embedded in either) is read member by
  member, recursively, with its member names. A package whose zip directory
  cannot be read (inside an OLE object, say) is found by its local headers.
- An XML part: each paragraph (``w:p``, DrawingML ``a:p``, a spreadsheet's
  ``si``/``is``) with its ``t`` runs joined (a break or tab between them counts
  as a space) whatever lies between them (``proofErr``, bookmarks, tracked
  insertions), once as shown and once with deleted text and field codes; and
  every text node, tail, attribute value, comment and processing instruction
  on its own. The parser unescapes entities and character references.
- A PDF: the text of every page as two extractors see it (pypdf; PyMuPDF with
  no clip, so text off the page too), once as extracted and once with its lines
  glued (a word broken over two lines), the Info and XMP metadata, annotations,
  form fields, outline, link targets, every string in its objects and content
  streams (font programs and images aside), and its attached files, read as
  files.
- An image: its text chunks and metadata (PIL), and the strings in its bytes.
- A zip's own comment and its entries' comments, as ``[comments]``.

``seen`` reads a file as its reader sees it: every page rendered and read back by
OCR (Tesseract, called here directly), a DOCX through LibreOffice's PDF of it, an
image as it is; a word hyphenated over a line break is read joined too.
- Anything else: decoded as text (UTF-8, UTF-16, Latin-1) with entities
  (``&amp;``, ``&#x4A;``) and percent-escapes undone, markup stripped, and a
  JSON document (or JSON lines) decoded to its strings; binary data by the
  strings in it (ASCII/UTF-8, Latin-1, UTF-16 either way).

``norm`` folds as ``cia_redaction.normalise.fold`` does: NFKD with
combining marks and format characters (zero-width, soft hyphen) dropped, every
space variant one space, every dash ``-``, curly quotes ``'``, case-folded,
trimmed. Written again here, never imported, so a bug there cannot hide a leak;
``tests/unit/test_leak_checker.py`` asserts the two agree.
"""
from __future__ import annotations

import html
import io
import os
import json
import re
import struct
import unicodedata
import urllib.parse
import zipfile
import zlib

from lxml import etree

# ---------------------------------------------------------------- normalisation

QUOTES = {"\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
          "\u02bc": "'", "\uff07": "'", "`": "'", "\u00b4": "'"}
# Dashes outside the Unicode "Pd" category that the service folds too.
DASHES = frozenset("\u2212\u2043\ufe63\uff0d\u2e3a\u2e3b\u30fc")
DROPPED = ("Cf", "Mn", "Me")
SPACES = ("Zs", "Zl", "Zp")


def _fold(ch: str) -> str:
    """One character, decomposed, marks dropped, spaces, dashes and quotes folded."""
    if unicodedata.category(ch) in DROPPED:
        return ""
    out = ""
    for d in unicodedata.normalize("NFKD", ch):
        cat = unicodedata.category(d)
        if cat in DROPPED or unicodedata.combining(d):
            continue
        if d.isspace() or cat in SPACES:
            out += " "
        elif cat == "Pd" or d in DASHES:
            out += "-"
        else:
            out += QUOTES.get(d, d)
    return out


_FOLDED: dict[str, str] = {}


def norm(text: str, keep_case: bool = False) -> str:
    """``text`` folded as the service folds it (``keep_case``: as its ``normalise``
    does, for the checks where a capital is what tells a value from a phrase)."""
    if text.isascii():
        folded = text.replace("`", "'")
    else:
        parts = []
        for ch in text:
            f = _FOLDED.get(ch)
            if f is None:
                f = _FOLDED[ch] = _fold(ch)
            parts.append(f)
        folded = "".join(parts)
    # Collapsed and trimmed before case-folding, as the service does.
    folded = re.sub(r"\s+", " ", folded).strip()
    return folded if keep_case else folded.casefold()


def found(value: str, text: str, keep_case: bool = False) -> bool:
    """Whether ``value`` (normalised; separators between its words made optional) is in
    ``text`` (already normalised the same way: from ``norm``, ``texts``, ``readable``
    or ``pdf_text``)."""
    words = [re.escape(w) for w in re.split(r"[\W_]+", norm(value, keep_case)) if w]
    if not words:
        return False
    # Case-insensitive as well (unless told otherwise): text passed raw by mistake
    # still cannot hide a value behind a capital.
    flags = 0 if keep_case else re.IGNORECASE
    return re.search(r"(?<![^\W_])" + r"[\W_]*".join(words) + r"(?![^\W_])", text, flags) is not None


def leaks(values, data, keep_case: bool = False) -> list[tuple[str, str]]:
    """The (value, part) pairs a reader of ``data`` (bytes or str) can see."""
    parts = texts(data, keep_case=keep_case)
    return [(v, name) for v in values for name, text in parts.items() if found(v, text, keep_case)]


# ---------------------------------------------------------------- any file

MAX_DEPTH = 8
MAX_MEMBER = 256 * 1024 * 1024  # a zip bomb stops the check rather than the machine


def readable(data: bytes | str, keep_case: bool = False) -> str:
    """Everything a reader of ``data`` can see, normalised, as one text."""
    return "\n".join(texts(data, keep_case=keep_case).values())


def texts(data: bytes | str, name: str = "", keep_case: bool = False) -> dict[str, str]:
    """What a reader can see in each part of ``data``, normalised, by part name
    (nested parts as ``outer!inner``; a zip's member names as ``[names]``)."""
    out: dict[str, str] = {}
    if isinstance(data, str):
        out[name] = "\n".join(_text_variants(data))
    else:
        _read(data, name, out, 0)
    return {n: norm(t, keep_case) for n, t in out.items()}


def docx_texts(data: bytes, keep_case: bool = False) -> dict[str, str]:
    """Each part of a DOCX (nested packages too), as ``texts``."""
    return texts(data, keep_case=keep_case)


def _read(data: bytes, name: str, out: dict[str, str], depth: int) -> None:
    if depth > MAX_DEPTH:
        raise ValueError(f"{name}: packages nested more than {MAX_DEPTH} deep")
    if _is_zip(data):
        _read_zip(data, name, out, depth)
        if not data.startswith(b"PK"):  # a zip after other data (an OLE object): that data too
            out[name] = "\n".join(_strings(data))
        return
    if data[:1024].find(b"%PDF-") >= 0:
        out[name] = _pdf(data, name, out, depth)
        return
    chunks: list[str] = []
    root = _parse_xml(data) if data.lstrip(b"\xef\xbb\xbf\xff\xfe \t\r\n\x00")[:1] == b"<" else None
    image = _image_text(data) if root is None else None
    text = _decode(data) if root is None and image is None else None
    if root is not None:
        chunks.extend(_xml_text(root))
    elif image is not None:
        chunks.append(image)
    elif text is not None:
        chunks.extend(_text_variants(text))
        if text.lstrip().startswith("<"):  # markup that is not well-formed: what a lenient parser gets
            try:
                broken = etree.fromstring(data, _RECOVER)
            except etree.XMLSyntaxError:
                broken = None
            if broken is not None:
                chunks.extend(_xml_text(broken))
    else:
        chunks.extend(_strings(data))
        # A package inside a binary (an OLE object's payload): by its local headers.
        for inner, payload in _local_members(data):
            _read(payload, f"{name}!{inner}", out, depth + 1)
    out[name] = "\n".join(chunks)


def _is_zip(data: bytes) -> bool:
    return data[:4] in (b"PK\x03\x04", b"PK\x05\x06") or (
        b"PK\x05\x06" in data[-65557:] and zipfile.is_zipfile(io.BytesIO(data)))


def _read_zip(data: bytes, name: str, out: dict[str, str], depth: int) -> None:
    prefix = f"{name}!" if name else ""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            for info in zf.infolist():
                if info.file_size > MAX_MEMBER:
                    raise ValueError(f"{prefix}{info.filename}: larger than {MAX_MEMBER} bytes")
            members = [(info.filename, zf.read(info)) for info in zf.infolist()]
    except (zipfile.BadZipFile, RuntimeError, zlib.error, NotImplementedError, EOFError):
        # Damaged, or a member encrypted: what its local headers hold.
        members = _local_members(data)
    out[f"{prefix}[names]"] = "\n".join(_text_variants("\n".join(n for n, _ in members)))
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            comments = [zf.comment, *(i.comment for i in zf.infolist())]
        out[f"{prefix}[comments]"] = "\n".join(c.decode("utf-8", "replace") for c in comments if c)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        pass
    for member, payload in members:
        _read(payload, prefix + member, out, depth + 1)


def _local_members(data: bytes) -> list[tuple[str, bytes]]:
    """The members of every zip in ``data`` found by their local file headers."""
    members, at = [], data.find(b"PK\x03\x04")
    while at >= 0 and at + 30 <= len(data):
        (_sig, _ver, flags, method, _t, _d, _crc, csize, _usize, nlen,
         xlen) = struct.unpack("<4sHHHHHIIIHH", data[at:at + 30])
        start = at + 30 + nlen + xlen
        member = data[at + 30:at + 30 + nlen].decode("utf-8" if flags & 0x800 else "cp437", "replace")
        payload = b""
        if method == 0 and not flags & 8:
            payload = data[start:start + csize]
        elif method == 8:
            inflate = zlib.decompressobj(-15)
            try:
                payload = inflate.decompress(data[start:start + csize] if csize and not flags & 8
                                             else data[start:], MAX_MEMBER)
            except zlib.error:
                payload = b""
        if payload:
            members.append((member, payload))
        at = data.find(b"PK\x03\x04", at + 4)
    return members


def _decode(data: bytes) -> str | None:
    """``data`` as text if it is text (by its BOM, or valid UTF-8), else None."""
    for bom, codec in ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe", "utf-16"),
                       (b"\xfe\xff", "utf-16")):
        if data.startswith(bom):
            return data.decode(codec, "replace")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    # Mostly control characters: binary that happens to be valid UTF-8.
    controls = sum(1 for c in text[:4096] if c < " " and c not in "\t\r\n\f")
    return None if controls > len(text[:4096]) // 10 else text


def _strings(data: bytes) -> list[str]:
    """The strings in binary data, as ``strings`` would list them in every encoding."""
    found_ = [m.group().decode("utf-8", "replace") for m in re.finditer(
        rb"(?:[\t\n\r\x20-\x7e]|[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}"
        rb"|[\xf0-\xf4][\x80-\xbf]{3}){3,}", data)]
    found_ += [m.group().decode("latin-1") for m in re.finditer(rb"[\x20-\x7e\xa0-\xff]{3,}", data)
               if re.search(rb"[\xa0-\xff]", m.group())]
    for pattern, codec in ((rb"(?:[\x20-\x7e\xa0-\xff]\x00){3,}", "utf-16-le"),
                           (rb"(?:\x00[\x20-\x7e\xa0-\xff]){3,}", "utf-16-be")):
        found_ += [m.group().decode(codec, "replace") for m in re.finditer(pattern, data)]
    return found_


def _image_text(data: bytes) -> str | None:
    """The text chunks and metadata of an image (None if ``data`` is not one)."""
    if not data.startswith((b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF8", b"II*\x00",
                            b"MM\x00*", b"BM", b"RIFF")):
        return None
    from PIL import Image

    try:
        with Image.open(io.BytesIO(data)) as image:
            chunks = [f"{k} {v.decode('utf-8', 'replace') if isinstance(v, bytes) else v}"
                      for k, v in image.info.items() if isinstance(v, (str, bytes))]
            chunks += [str(v) for v in image.getexif().values()]
    except Exception:  # noqa: BLE001 - not an image after all: its strings still are read
        return None
    return "\n".join([*chunks, *_strings(data)])


def _text_variants(text: str) -> list[str]:
    """A text as read, with what a reader would undo of it undone: entities,
    percent-escapes, markup, and a JSON document's (or JSON lines') escapes."""
    variants = [text]
    if "&" in text:
        variants.append(html.unescape(text))
    if "%" in text:
        variants.append(urllib.parse.unquote(text))
    if "<" in text:
        # Inline markup joins what it splits; block markup separates: both ways.
        variants += [html.unescape(re.sub(r"<[^>]*>", sep, text)) for sep in ("", " ")]
    stripped = text.strip()
    if stripped[:1] in ("{", "[") or "\n" in stripped:
        strings: list[str] = []
        for doc in [stripped, *(stripped.splitlines() if "\n" in stripped else ())]:
            doc = doc.strip()
            if doc[:1] in ("{", "["):
                try:
                    _json_strings(json.loads(doc), strings)
                except ValueError:
                    continue
        variants += strings
    return variants


def _json_strings(node, into: list[str]) -> None:
    if isinstance(node, dict):
        for k, v in node.items():
            into.append(str(k))
            _json_strings(v, into)
    elif isinstance(node, list):
        for v in node:
            _json_strings(v, into)
    elif node is not None:
        into.extend(_text_variants(str(node)) if isinstance(node, str) else [str(node)])


# ---------------------------------------------------------------- XML

PARAGRAPHS = frozenset({"p", "si", "is"})
SHOWN = frozenset({"t"})
HIDDEN = frozenset({"delText", "instrText", "delInstrText"})
BREAKS = frozenset({"br", "cr", "tab", "ptab"})
_PARSER = etree.XMLParser(resolve_entities="internal", no_network=True, huge_tree=True,
                          remove_comments=False, remove_pis=False, load_dtd=False)
_RECOVER = etree.XMLParser(resolve_entities="internal", no_network=True, huge_tree=True,
                           recover=True, load_dtd=False)


def _parse_xml(data: bytes):
    try:
        return etree.fromstring(data, _PARSER)
    except etree.XMLSyntaxError:
        return None


def _local(tag) -> str:
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""


def _xml_text(root) -> list[str]:
    lines = []
    for p in root.iter():
        if _local(p.tag) not in PARAGRAPHS:
            continue
        shown, every = [], []
        for el in p.iter():
            local = _local(el.tag)
            if local in SHOWN:
                shown.append(el.text or "")
                every.append(el.text or "")
            elif local in HIDDEN:
                every.append(el.text or "")
            elif local in BREAKS:
                # A break or tab separates words as a space does: joined without
                # one, a value after it would hide inside a longer word.
                shown.append(" ")
                every.append(" ")
            elif local == "noBreakHyphen":
                shown.append("-")
                every.append("-")
        lines.append("".join(shown))
        if every != shown:
            lines.append("".join(every))
    for el in root.iter():
        if isinstance(el.tag, str):
            lines.extend(el.attrib.values())
        if el.text and el.text.strip():
            lines.append(el.text)
        if el.tail and el.tail.strip():
            lines.append(el.tail)
    # Text after the root element (comments, processing instructions) is the file's too.
    for sibling in (*root.itersiblings(preceding=True), *root.itersiblings()):
        if sibling.text:
            lines.append(sibling.text)
    # Escaped twice (``&amp;#x4A;``), or a URL's percent-escapes: a reader may see them undone.
    lines += [html.unescape(line) for line in lines if "&" in line] + \
        [urllib.parse.unquote(line) for line in lines if "%" in line]
    return lines


# ---------------------------------------------------------------- PDF

def pdf_text(data: bytes, keep_case: bool = False) -> str:
    """Everything a reader of a PDF can see (its attachments too), normalised."""
    return readable(data, keep_case)


def _pdf(data: bytes, name: str, out: dict[str, str], depth: int) -> str:
    import pymupdf
    from pypdf import PdfReader

    chunks: list[str] = []
    reader = PdfReader(io.BytesIO(data))
    pages = [page.extract_text() or "" for page in reader.pages]
    chunks += [str(v) for v in (reader.metadata or {}).values()]
    doc = pymupdf.open(stream=data, filetype="pdf")
    try:
        pages += [page.get_text(clip=pymupdf.INFINITE_RECT()) for page in doc]
        for page in doc:
            for annot in page.annots() or ():
                chunks += [str(v) for v in annot.info.values() if v]
            for widget in page.widgets() or ():
                chunks += [str(v) for v in (widget.field_name, widget.field_value,
                                            widget.field_label) if v]
            chunks += [str(link.get("uri") or link.get("file") or "") for link in page.get_links()]
        chunks += [str(v) for v in (doc.metadata or {}).values() if v]
        xmp = doc.get_xml_metadata() or ""
        chunks.append(xmp)
        chunks += [entry[1] for entry in doc.get_toc(simple=True)]
        chunks += _pdf_objects(doc)
        for i in range(doc.embfile_count()):
            info = doc.embfile_info(i)
            chunks += [str(v) for v in info.values() if isinstance(v, str)]
            _read(doc.embfile_get(i), f"{name}#{info.get('filename') or i}", out, depth + 1)
    finally:
        doc.close()
    # XMP read as XML: its values are element text and attributes, entities undone.
    root = _parse_xml(xmp.encode("utf-8")) if xmp.strip() else None
    if root is not None:
        chunks += _xml_text(root)
    # A word broken over two lines (hyphenated or not) is read joined too.
    glued = [re.sub(r"-?\n", "", page) for page in pages]
    return "\n".join([*pages, *glued, *chunks])


_PDF_STRING = re.compile(rb"\((?:\\.|[^\\()]|\((?:\\.|[^\\()])*\))*\)|<[0-9A-Fa-f\s]*>")
_TJ = re.compile(rb"\[((?:\\.|[^\]\\])*)\]\s*TJ")


def _pdf_objects(doc) -> list[str]:
    """Every string in the PDF's objects and in its streams (content, forms, XMP,
    ToUnicode maps), font programs and images aside, each TJ array's strings joined."""
    chunks = []
    for xref in range(1, doc.xref_length()):
        try:
            obj = doc.xref_object(xref, compressed=False)
        except RuntimeError:
            continue
        chunks.append(obj)
        chunks += [_pdf_string(s) for s in _PDF_STRING.findall(obj.encode("latin-1", "replace"))]
        if not doc.xref_is_stream(xref) or re.search(
                r"/Subtype\s*/(?:Image|Type1C|CIDFontType0C|OpenType|EmbeddedFile)|/Length[123]\b", obj):
            continue
        stream = doc.xref_stream(xref) or b""
        chunks.append(stream.decode("latin-1"))
        chunks += ["".join(_pdf_string(s) for s in _PDF_STRING.findall(arr))
                   for arr in _TJ.findall(stream)]
        chunks.append(" ".join(_pdf_string(s) for s in _PDF_STRING.findall(stream)))
    return chunks


def _pdf_string(token: bytes) -> str:
    """A PDF string token (``(literal)`` or ``<hex>``) as text."""
    if token.startswith(b"<"):
        digits = re.sub(rb"\s", b"", token[1:-1])
        raw = bytes.fromhex((digits + b"0" * (len(digits) % 2)).decode())
    else:
        raw = re.sub(rb"\\([0-7]{1,3}|.)", _unescape_literal, token[1:-1], flags=re.S)
    if raw.startswith(b"\xfe\xff"):
        return raw[2:].decode("utf-16-be", "replace")
    return raw.decode("latin-1")


def _unescape_literal(m: re.Match) -> bytes:
    esc = m.group(1)
    if esc[:1].isdigit():
        return bytes([int(esc, 8) & 0xFF])
    return {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f",
            b"\n": b"", b"\r": b""}.get(esc, esc)


def pdf_raw(data: bytes) -> bytes:
    """Every object and stream of a PDF, streams decompressed, as bytes."""
    import pymupdf

    doc = pymupdf.open(stream=data, filetype="pdf")
    chunks = []
    try:
        for xref in range(1, doc.xref_length()):
            chunks.append(doc.xref_object(xref, compressed=False).encode("latin-1", "replace"))
            if doc.xref_is_stream(xref):
                chunks.append(doc.xref_stream(xref) or b"")
    finally:
        doc.close()
    return b"\n".join(chunks)


def raw_found(raw: bytes, value: str) -> bool:
    """Whether the value's words appear in raw bytes (any separator between them,
    any case), or any of its longer words hex-encoded (as text strings in content
    streams often are): a check below the text layer, for PDF streams."""
    words = [re.escape(w.encode()) for w in value.split()]
    if re.search(rb"[\W_]*".join(words), raw, re.IGNORECASE) is not None:
        return True
    lowered = raw.lower()
    return any(w.encode().hex().encode() in lowered for w in value.split() if len(w) >= 4)


# ---------------------------------------------------------------- by sight

OCR_DPI = 200


def ocr_image(png: bytes, dpi: int = OCR_DPI) -> str:
    """What Tesseract reads in an image (PNG or JPEG bytes), as text."""
    import subprocess

    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
    done = subprocess.run(["tesseract", "stdin", "stdout", "--dpi", str(dpi), "-l", "eng"], input=png,
                          capture_output=True, env=env, timeout=300, check=True)
    return done.stdout.decode("utf-8", "replace")


def seen(data: bytes, *, soffice: str | None = None, dpi: int = OCR_DPI) -> str:
    """Everything a reader sees of ``data``, read back by OCR, normalised: each page of a
    PDF rendered, a DOCX converted by LibreOffice (``soffice``) first, an image as is."""
    import pymupdf

    if data[:4] == b"PK\x03\x04":
        import pathlib
        import subprocess
        import tempfile

        with tempfile.TemporaryDirectory() as tmp:
            src = pathlib.Path(tmp, "copy.docx")
            src.write_bytes(data)
            subprocess.run([soffice or "soffice", f"-env:UserInstallation=file://{tmp}/profile",
                            "--headless", "--convert-to", "pdf", "--outdir", tmp, str(src)],
                           capture_output=True, timeout=300)
            data = pathlib.Path(tmp, "copy.pdf").read_bytes()
    if data[:1024].find(b"%PDF-") < 0:
        text = ocr_image(data, dpi)
    else:
        doc = pymupdf.open(stream=data, filetype="pdf")
        try:
            text = "\n".join(ocr_image(page.get_pixmap(dpi=dpi).tobytes("png"), dpi) for page in doc)
        finally:
            doc.close()
    return norm(text + "\n" + re.sub(r"-\s*\n\s*", "", text))
