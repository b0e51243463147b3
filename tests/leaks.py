"""One leak checker for the tests: what a reader of a file can see, normalised.

DOCX: every XML part, paragraph by paragraph with the ``<w:t>`` runs joined
(a ``<w:br/>``, ``<w:cr/>`` or ``<w:tab/>`` between them counting as a space)
and XML unescaped, plus every other text node (properties, relationships);
PDF: the extracted text of every page and the metadata (Info and XMP). All of
it NFKC-normalised with format characters (zero-width, soft hyphen) removed,
every Unicode space and dash folded, case-folded. Written independently of
the code under test, so a bug in its normalisation cannot hide a leak.
"""
from __future__ import annotations

import io
import re
import unicodedata
import zipfile

from lxml import etree

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
BREAKS = (f"{W}br", f"{W}cr", f"{W}tab")


def norm(text: str) -> str:
    text = unicodedata.normalize("NFKC", text)
    out = []
    for ch in text:
        cat = unicodedata.category(ch)
        if cat in ("Cf", "Mn"):
            continue
        if ch.isspace() or cat in ("Zs", "Zl", "Zp"):
            ch = " "
        elif cat == "Pd" or ch == "\u2212":
            ch = "-"
        out.append(ch)
    return re.sub(r" +", " ", "".join(out)).casefold().strip()


def docx_texts(data: bytes) -> dict[str, str]:
    parts = {}
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        for name in zf.namelist():
            raw = zf.read(name)
            if not (name.endswith(".xml") or name.endswith(".rels")):
                parts[name] = raw.decode("latin-1")
                continue
            root = etree.fromstring(raw)
            # A line break or tab inside a paragraph separates words as a space does:
            # joined without one, a value after it would hide inside a longer word.
            lines = ["".join(el.text or "" if el.tag == f"{W}t" else " "
                             for el in p.iter(f"{W}t", *BREAKS)) for p in root.iter(f"{W}p")]
            others = [el.text for el in root.iter() if isinstance(el.tag, str)
                      and el.tag != f"{W}t" and el.text and el.text.strip()]
            others += [v for el in root.iter() if isinstance(el.tag, str) for v in el.attrib.values()]
            parts[name] = norm("\n".join([*lines, *others]))
    return parts


def pdf_text(data: bytes) -> str:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    chunks = [page.extract_text() or "" for page in reader.pages]
    chunks += [str(v) for v in (reader.metadata or {}).values()]
    xmp = reader.xmp_metadata
    if xmp is not None:
        chunks.append(etree.tostring(xmp.rdf_root, encoding="unicode") if hasattr(xmp, "rdf_root") else "")
    return norm("\n".join(chunks))


def found(value: str, text: str) -> bool:
    """Whether ``value`` (normalised; separators between its words made optional) is in ``text``."""
    words = [re.escape(w) for w in re.split(r"[\W_]+", norm(value)) if w]
    if not words:
        return False
    return re.search(r"(?<![^\W_])" + r"[\W_]*".join(words) + r"(?![^\W_])", text) is not None
