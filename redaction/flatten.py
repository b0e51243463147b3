"""A PDF rebuilt from pictures of its redacted pages, with a text layer read from them.

What a reader sees of a PDF and what its text layer, objects and catalogue hold
can differ in any number of ways (glyphs drawn in another order than stored, a
lying ToUnicode map, ``/ActualText``, hidden layers, text off the crop box,
white or tiny text, incremental updates, page labels, names). Matching those
ways one by one always misses the next; so the disclosure copy of a PDF keeps
nothing of the source but pixels:

1. the text layer is redacted for real first (``pdf.redact_pdf``: the words
   under each redaction leave the content stream, their places left blank);
2. each page is rendered (PyMuPDF, ``dpi``, as a viewer shows it: crop box,
   rotation, the layers that are on) and read back by OCR (``ocr``); what the
   pass withholds in that reading (``sight.page_findings``, with OCR's tolerance)
   is removed from the page like any redaction, and the page rendered and read
   again, until the reading is clean. The reading never meets a box of the
   pass's own: removed places are blank while the page is read (a black box with
   a white label is reverse video, which OCR's page layout takes for a picture,
   losing the lines beside it, and its label, read as words, runs into what
   stands beside it: "PC Redacted", "s.40(2) 020 7946 0321");
3. the labelled black boxes are drawn over the removed places and the page
   rendered once more; a new PDF is made of those images, each on a page of the
   source page's size and orientation, in the same order, with Tesseract's
   invisible text of the clean reading over it and each box's label as
   invisible text too: searchable, selectable and read aloud, and holding only
   what the picture shows.

No font, object, layer, annotation, metadata, outline, label or name of the
source is carried over. ``flatten_page`` does one page (a worker calls it once a
page, for progress, each in a child process bounded in time and memory);
``assemble`` joins the pages; ``flatten_pdf`` does both.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import pymupdf

from cia_redaction import ocr, pdf, sight
from cia_redaction.redactor import Redactor
from cia_redaction.vocabulary import EXEMPTIONS, MARKERS

DEFAULT_DPI = 200
# A page whose reading still holds a hit after this many rounds of boxes is boxed
# whole: better a black page (looked at by a person) than a leak.
MAX_ROUNDS = 3


@dataclass
class FlatPage:
    data: bytes  # a one-page PDF: the image and its OCR text layer
    findings: list[sight.Finding] = field(default_factory=list)
    words: int = 0
    text_layer: bool = True  # False: the source page had no text (a scan)


@dataclass
class FlatResult:
    data: bytes
    pages: int
    review_pages: list[int]
    log: list[dict]


def flatten_page(redacted: bytes, index: int, redactor: Redactor, dpi: int = DEFAULT_DPI,
                 boxes: list[pdf.Box] = ()) -> FlatPage:
    """Page ``index`` (0-based) of an already redacted PDF (``pdf.redact_pdf``) as a
    flattened one-page PDF; ``boxes``: those the redaction of its text layer left to
    draw on it (``PdfResult.boxes`` of the page)."""
    doc = pdf.open_pdf(redacted)
    try:
        page = doc[index]
        had_text = bool(page.get_text("text", clip=pymupdf.INFINITE_RECT()).strip())
        drawn = [(pymupdf.Rect(rect), marker) for rect, marker in boxes]
        findings: list[sight.Finding] = []
        for round_ in range(MAX_ROUNDS + 1):
            pix = page.get_pixmap(dpi=dpi, alpha=False)
            reading = ocr.read_image(pix.tobytes("pnm"), dpi, text_pdf=True)
            found = sight.page_findings(redactor, reading.words, index + 1)
            if not found or round_ == MAX_ROUNDS:
                break
            findings += found
            whole = round_ == MAX_ROUNDS - 1
            for f in found:
                for rect in ([tuple(page.rect)] if whole else f.rects):
                    area = pymupdf.Rect(rect) & page.rect
                    if not area.is_empty:
                        drawn.append((area, MARKERS[f.exemption]))
                        pdf.remove(page, area, MARKERS[f.exemption])
            page.apply_redactions(images=pymupdf.PDF_REDACT_IMAGE_PIXELS,
                                  graphics=pymupdf.PDF_REDACT_LINE_ART_REMOVE_IF_COVERED,
                                  text=pymupdf.PDF_REDACT_TEXT_REMOVE)
        # What the reader sees: the boxes over the places removed.
        for rect, marker in drawn:
            pdf.draw_box(page, rect, marker)
        shown = page.get_pixmap(dpi=dpi, alpha=False) if drawn else pix
        return FlatPage(_page_pdf(page.rect, shown, reading.text_pdf, drawn), findings,
                        len(reading.words), had_text)
    finally:
        doc.close()


def _page_pdf(rect: pymupdf.Rect, pix: pymupdf.Pixmap, text_pdf: bytes | None,
              drawn: list[tuple[pymupdf.Rect, str]] = ()) -> bytes:
    out = pymupdf.open()
    try:
        # The page as the reader saw it: its size and orientation, drawn upright.
        page = out.new_page(width=rect.width, height=rect.height)
        page.insert_image(page.rect, pixmap=pix)
        if text_pdf:
            layer = pymupdf.open(stream=text_pdf, filetype="pdf")
            try:
                page.show_pdf_page(page.rect, layer, 0, keep_proportion=False, overlay=True)
            finally:
                layer.close()
        # Each box's label in the text layer, where the box is drawn.
        for box_rect, marker in drawn:
            pdf.draw_box(page, box_rect - (rect.x0, rect.y0, rect.x0, rect.y0), marker, invisible=True)
        return out.tobytes(garbage=4, deflate=True)
    finally:
        out.close()


def assemble(pages: list[bytes]) -> bytes:
    """One PDF of the flattened pages, in order, with no document information."""
    out = pymupdf.open()
    try:
        for data in pages:
            part = pymupdf.open(stream=data, filetype="pdf")
            try:
                out.insert_pdf(part)
            finally:
                part.close()
        out.set_metadata({})
        out.del_xml_metadata()
        return out.tobytes(garbage=4, deflate=True, clean=True, no_new_id=True)
    finally:
        out.close()


def log_entries(findings: list[sight.Finding]) -> list[dict]:
    """The redaction log's entries for what the reading of the pages found (kinds,
    never values)."""
    out, seen = [], set()
    for f in findings:
        key = (f.page, f.kind, f.rule_id, f.reason)
        if key in seen:
            continue
        seen.add(key)
        out.append({"pointer": f"/page/{f.page}/ocr", "exemption": EXEMPTIONS[f.exemption],
                    "reason": f.reason, "rule_id": f.rule_id, "detector": f"ocr:{f.kind}"})
    return out


def flatten_pdf(data: bytes, redactor: Redactor, *, areas: list[pdf.Area] = (), dpi: int = DEFAULT_DPI,
                progress: Callable[[int, int], None] | None = None) -> FlatResult:
    """``data`` redacted (text layer), then flattened page by page (see the module)."""
    redacted = pdf.redact_pdf(data, redactor, list(areas))
    pages, findings, review = [], [], set(redacted.scan_pages)
    for index in range(redacted.pages):
        flat = flatten_page(redacted.data, index, redactor, dpi, redacted.boxes.get(index + 1, []))
        pages.append(flat.data)
        findings += flat.findings
        if flat.findings:
            review.add(index + 1)
        if progress is not None:
            progress(index + 1, redacted.pages)
    return FlatResult(assemble(pages), redacted.pages, sorted(review),
                      [*redacted.log, *log_entries(findings)])
