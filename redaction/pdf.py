"""True redaction of a PDF (PyMuPDF): the text under a redaction leaves the file.

Each page's words are joined into one text (lines and blocks by a space, so a
value wrapped over two lines, or written in several runs, reads as written) and
go through the same ``Redactor`` as every other FOI output; each redacted span
becomes redaction annotations over the words it touches, and
``apply_redactions`` removes those characters from the page's content stream
and blanks the image pixels below (an area on a scanned page), leaving the place
blank; every redaction is logged. The labelled black box a reader sees there is
not drawn here but listed (``PdfResult.boxes``) and drawn on the flattened copy
after its page was read back by OCR (``flatten``): a reading of the page never
meets the pass's own boxes and labels (reverse video that OCR's page layout takes
for a picture, swallowing the lines beside it; a label read as text beside a
rank or a number). Then everything outside the page
content that can carry text is dropped: document info, XMP metadata, outline,
annotations, links, form fields, attached and embedded files, JavaScript and
hidden text; the file is rewritten with garbage collection and clean streams,
so nothing removed survives as an unreferenced object.

A page without a text layer (a scan) cannot be searched: it is reported, so a
person looks at its preview before the document is released. Every page is read
again after the removal; one that still holds withheld text (text the removal
could not reach) is rebuilt as an image of itself and reported the same way.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import pymupdf

from cia_redaction.vocabulary import EXEMPTIONS, MARKERS

from cia_redaction.redactor import Redactor

_LABELS = {marker: f"Redacted {EXEMPTIONS[key]}" for key, marker in MARKERS.items()}
_BLACK, _WHITE = (0, 0, 0), (1, 1, 1)


class PdfRefused(ValueError):
    """A PDF that cannot be redacted: encrypted, corrupt or empty."""


class PageLimit(PdfRefused):
    """A PDF with more pages than the limit allows (or whose page tree claims so)."""


@dataclass(frozen=True)
class Area:
    page: int  # 1-based
    rect: tuple[float, float, float, float]  # points, origin top left
    exemption: str
    reason: str
    id: str | None = None


# A box to draw where something was removed: its rect (points, the page's top left)
# and the marker it stands for.
Box = tuple[tuple[float, float, float, float], str]


@dataclass
class PdfResult:
    data: bytes
    pages: int
    scan_pages: list[int] = field(default_factory=list)  # 1-based, no text layer
    log: list[dict] = field(default_factory=list)
    boxes: dict[int, list[Box]] = field(default_factory=dict)  # 1-based page → its boxes


def open_pdf(data: bytes) -> pymupdf.Document:
    """The document, or ``PdfRefused`` saying why it cannot be used."""
    try:
        doc = pymupdf.open(stream=data, filetype="pdf")
    except Exception as exc:  # noqa: BLE001 - MuPDF raises its own types for bad files
        raise PdfRefused(f"The PDF cannot be read: {_reason(exc)}.") from None
    if doc.needs_pass or doc.is_encrypted:
        doc.close()
        raise PdfRefused("The PDF is password-protected; remove the password and upload it again.")
    try:
        empty = doc.page_count == 0
    except Exception as exc:  # noqa: BLE001 - a page tree MuPDF cannot count
        doc.close()
        raise PdfRefused(f"The PDF's page tree is damaged: {_reason(exc)}.") from None
    if empty:
        doc.close()
        raise PdfRefused("The PDF has no pages.")
    return doc


def redact_pdf(data: bytes, redactor: Redactor, areas: list[Area] = ()) -> PdfResult:
    doc = open_pdf(data)
    try:
        # Annotations and form fields go first: nothing of theirs is disclosed, and
        # their appearance must not be read as the page's own text.
        _drop_annotations(doc)
        texts = []
        words_of = []
        for page in doc:
            text, words = _page_words(page)
            texts.append(text)
            words_of.append(words)
        # Names and rule matches found on one page are withheld on every page.
        redactor.collect(texts)
        scan_pages = []
        area_log = []
        boxes: dict[int, list[Box]] = {}
        for index, page in enumerate(doc):
            number = index + 1
            text, words = texts[index], words_of[index]
            if not text.strip():
                scan_pages.append(number)
            for start, end, marker in redactor.spans(text, f"/page/{number}"):
                for rect in _rects(words, start, end):
                    boxes.setdefault(number, []).append(remove(page, rect, marker))
            for area in (a for a in areas if a.page == number):
                rect = pymupdf.Rect(area.rect) & page.rect
                if rect.is_empty:
                    continue
                boxes.setdefault(number, []).append(remove(page, rect, MARKERS[area.exemption]))
                area_log.append({"pointer": f"/page/{number}/area", "exemption": EXEMPTIONS[area.exemption],
                                 "reason": area.reason, "rule_id": area.id, "detector": "area"})
            page.apply_redactions(images=pymupdf.PDF_REDACT_IMAGE_PIXELS,
                                  graphics=pymupdf.PDF_REDACT_LINE_ART_REMOVE_IF_COVERED,
                                  text=pymupdf.PDF_REDACT_TEXT_REMOVE)
        # Read every page again: a page still holding anything the pass withholds (text
        # the removal missed) is rebuilt as a picture of itself, and a person looks at it.
        for index in range(doc.page_count):
            text, _ = _page_words(doc[index])
            if redactor.spans(text, f"/page/{index + 1}"):
                _rebuild_as_image(doc, index)
                scan_pages.append(index + 1)
        scan_pages.sort()
        _scrub(doc)
        out = doc.tobytes(garbage=4, deflate=True, clean=True, no_new_id=True)
        return PdfResult(out, doc.page_count, scan_pages, [*redactor.log, *area_log], boxes)
    finally:
        doc.close()


def _rebuild_as_image(doc: pymupdf.Document, index: int, dpi: int = 150) -> None:
    page = doc[index]
    pix = page.get_pixmap(dpi=dpi)
    width, height = page.rect.width, page.rect.height
    doc.delete_page(index)
    rebuilt = doc.new_page(index, width=width, height=height)
    rebuilt.insert_image(rebuilt.rect, pixmap=pix)


def _page_words(page: pymupdf.Page) -> tuple[str, list[tuple[int, int, tuple]]]:
    parts, words, pos = [], [], 0
    for x0, y0, x1, y1, word, *_ in page.get_text("words", clip=pymupdf.INFINITE_RECT()):
        if parts:
            parts.append(" ")
            pos += 1
        parts.append(word)
        words.append((pos, pos + len(word), (x0, y0, x1, y1)))
        pos += len(word)
    return "".join(parts), words


def _rects(words, start: int, end: int) -> list[pymupdf.Rect]:
    """The boxes of the words a span touches, one per line (a whole word goes, never
    part of one: a character left would be a clue)."""
    lines: list[pymupdf.Rect] = []
    for w_start, w_end, box in words:
        if w_end <= start or w_start >= end:
            continue
        rect = pymupdf.Rect(box)
        last = lines[-1] if lines else None
        if last is not None and abs(last.y0 - rect.y0) < 1 and abs(last.y1 - rect.y1) < 1 \
                and rect.x0 >= last.x0:
            lines[-1] = last | rect
        else:
            lines.append(rect)
    return lines


def remove(page: pymupdf.Page, rect: pymupdf.Rect, marker: str) -> Box:
    """Mark ``rect`` for removal (``apply_redactions``: the text, image pixels and line
    art under it leave the page, the place left blank); the box to draw there."""
    page.add_redact_annot(rect, fill=_WHITE, cross_out=False)
    return (tuple(rect), marker)


def label(marker: str) -> str:
    """What a box says: ``Redacted s.40(2)``."""
    return _LABELS.get(marker, marker)


def draw_box(page: pymupdf.Page, rect: pymupdf.Rect, marker: str, *, invisible: bool = False) -> None:
    """The black box a reader sees where something was withheld, labelled in white
    (``invisible``: the label alone, as text a reader can search and hear but not see)."""
    rect = pymupdf.Rect(rect)
    if not invisible:
        page.draw_rect(rect, color=None, fill=_BLACK, overlay=True)
    size = max(4.0, min(8.0, rect.height * 0.7))
    # The label on one line if it fits, else as the box allows (nothing if it cannot).
    while size >= 3.0 and page.insert_textbox(rect, label(marker), fontname="helv", fontsize=size,
                                             color=_WHITE, align=pymupdf.TEXT_ALIGN_CENTER,
                                             render_mode=3 if invisible else 0) < 0:
        size -= 1.0


def _drop_annotations(doc: pymupdf.Document) -> None:
    for page in doc:
        for widget in list(page.widgets() or ()):
            page.delete_widget(widget)
        for annot in list(page.annots() or ()):
            page.delete_annot(annot)
    # The form itself (fields, their values and scripts), whatever page they were on.
    doc.xref_set_key(doc.pdf_catalog(), "AcroForm", "null")


def _scrub(doc: pymupdf.Document) -> None:
    _drop_annotations(doc)
    for name in list(doc.embfile_names()):
        doc.embfile_del(name)
    doc.set_toc([])
    # Info, XMP, links, attachments, embedded files, JavaScript, hidden text,
    # thumbnails, form values and the redaction annotations themselves.
    doc.scrub()
    _drop_actions(doc)
    doc.set_metadata({})
    doc.del_xml_metadata()


def _drop_actions(doc: pymupdf.Document) -> None:
    """What ``scrub`` leaves of JavaScript: the catalogue's open action and its name
    trees (scripts; the rest name what is dropped anyway: attachments, destinations of
    links and outlines), additional actions of the catalogue, pages and anything else,
    links (a link's action is inline), and every action object, emptied. Unreferenced
    now, the scripts' own objects go with the garbage collection of the save."""
    catalog = doc.pdf_catalog()
    for key in ("OpenAction", "Names"):
        if doc.xref_get_key(catalog, key)[0] != "null":
            doc.xref_set_key(catalog, key, "null")
    for page in doc:
        if doc.xref_get_key(page.xref, "Annots")[0] != "null":
            doc.xref_set_key(page.xref, "Annots", "null")
    for xref in range(1, doc.xref_length()):
        if not doc.xref_object(xref):
            continue
        if doc.xref_get_key(xref, "S")[1] == "/JavaScript":
            doc.update_object(xref, "<<>>")
        elif doc.xref_get_key(xref, "AA")[0] != "null":
            doc.xref_set_key(xref, "AA", "null")


def scrub_bytes(data: bytes) -> bytes:
    """A PDF made by our own conversion, its document info, XMP and the rest dropped."""
    doc = open_pdf(data)
    try:
        _scrub(doc)
        return doc.tobytes(garbage=4, deflate=True, clean=True)
    finally:
        doc.close()


def render_page(data: bytes, number: int, dpi: int = 100) -> bytes:
    """Page ``number`` (1-based) as a PNG; ``IndexError`` when there is no such page."""
    doc = open_pdf(data)
    try:
        if not 1 <= number <= doc.page_count:
            raise IndexError(number)
        return doc[number - 1].get_pixmap(dpi=dpi).tobytes("png")
    finally:
        doc.close()


def page_count(data: bytes, max_pages: int | None = None) -> int:
    """The number of pages, each of them loaded: a page tree that claims more pages
    than it holds, or loops, is refused (``PdfRefused``), as is one over ``max_pages``
    (``PageLimit``, before any page is loaded)."""
    doc = open_pdf(data)
    try:
        try:
            count = doc.page_count
            if max_pages is not None and count > max_pages:
                raise PageLimit(f"The PDF has {count:,} pages (its page tree says so); at most "
                                f"{max_pages:,} are accepted.")
            for index in range(count):
                doc.load_page(index)
        except PdfRefused:
            raise
        except Exception as exc:  # noqa: BLE001 - MuPDF raises its own types for bad trees
            raise PdfRefused(f"The PDF's page tree is damaged: {_reason(exc)}.") from None
        return count
    finally:
        doc.close()


def _reason(exc: Exception) -> str:
    text = str(exc).strip().rstrip(".")
    return text[:200] or "not a valid PDF"
