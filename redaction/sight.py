"""What the pass finds in a page as a reader sees it: the words OCR read from its image.

``page_findings`` runs a ``Redactor`` over a page's OCR words — as read, and with
words hyphenated over a line break joined — and adds OCR's tolerance for the
fixed texts the pass withholds (``ocr.fuzzy_hits``). Each finding names the kind
of hit (the detector, ``withheld_value``, ``censor_rule`` or ``ocr_tolerance``),
its exemption and reason, and the boxes of the words: never the value, so a
finding can be reported (a 409, a log line) without repeating what it found.

``check_pdf`` reads every page of a PDF this way: by OCR of the rendered page, or,
for a copy whose text layer is itself the OCR of its page images (a flattened
copy), by that layer's words.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import pymupdf

from cia_redaction import ocr
from cia_redaction.redactor import Redactor

OCR_TOLERANCE = "ocr_tolerance"


@dataclass(frozen=True)
class Finding:
    page: int  # 1-based
    kind: str
    exemption: str
    reason: str
    rects: tuple[tuple[float, float, float, float], ...]
    rule_id: str | None = None


@dataclass
class SightCheck:
    pages: int
    findings: list[Finding] = field(default_factory=list)

    @property
    def pages_with_hits(self) -> list[int]:
        return sorted({f.page for f in self.findings})


def page_findings(redactor: Redactor, words: list[ocr.Word], page: int) -> list[Finding]:
    reading = ocr.OcrWords(words)
    findings: list[Finding] = []
    seen: set[tuple[int, ...]] = set()

    def add(indexes: list[int], kind: str, exemption: str, reason: str, rule_id=None) -> None:
        key = tuple(sorted(set(indexes)))
        if not key or key in seen:
            return
        seen.add(key)
        findings.append(Finding(page, kind, exemption, reason, _line_rects(words, key), rule_id))

    for glued, text in ((False, reading.text), (True, reading.glued)):
        if glued and text == reading.text:
            continue
        for start, end, hit, rule_id in redactor.findings(text):
            add(reading.words_in(start, end, glued), hit.detector, hit.exemption, hit.reason,
                rule_id)
    terms = {fold_key: (exemption, reason) for fold_key, exemption, reason in redactor.terms()}
    for term, indexes in ocr.fuzzy_hits(reading, list(terms)):
        exemption, reason = terms[term]
        add(indexes, OCR_TOLERANCE, exemption, reason)
    return findings


def _line_rects(words: list[ocr.Word], indexes: tuple[int, ...]) -> tuple:
    """The boxes of the words, one per line, each grown a little (OCR boxes are tight)."""
    lines: dict[tuple, list[float]] = {}
    for i in indexes:
        x0, y0, x1, y1 = words[i].box
        r = lines.setdefault(words[i].line, [x0, y0, x1, y1])
        r[0], r[1], r[2], r[3] = min(r[0], x0), min(r[1], y0), max(r[2], x1), max(r[3], y1)
    pad = 1.5
    return tuple((r[0] - pad, r[1] - pad, r[2] + pad, r[3] + pad) for r in lines.values())


def text_layer_words(page: pymupdf.Page) -> list[ocr.Word]:
    """The words of a page's text layer as ``ocr.Word``s (for a copy whose layer is OCR)."""
    return [ocr.Word(w[4], (w[0], w[1], w[2], w[3]), (w[5], 0, w[6]), 100.0)
            for w in page.get_text("words", clip=pymupdf.INFINITE_RECT())]


def check_pdf(data: bytes, redactor: Redactor, *, dpi: int = 200, use_text_layer: bool = False
              ) -> SightCheck:
    """Every page of a PDF read as its reader meets it, through the pass with OCR's
    tolerance: rendered and read back by OCR (or, ``use_text_layer``, the words of a
    text layer that is itself OCR of the page images)."""
    doc = pymupdf.open(stream=data, filetype="pdf")
    try:
        check = SightCheck(doc.page_count)
        for index, page in enumerate(doc):
            if use_text_layer:
                words = text_layer_words(page)
            else:
                pix = page.get_pixmap(dpi=dpi, alpha=False)
                words = ocr.read_image(pix.tobytes("pnm"), dpi).words
            check.findings += page_findings(redactor, words, index + 1)
        return check
    finally:
        doc.close()


def mark(png_page: pymupdf.Page, findings: list[Finding], dpi: int = 100) -> bytes:
    """A preview PNG of ``png_page`` with each finding's boxes outlined in red (what the
    FOI officer must look at; the value itself stays as drawn)."""
    for f in findings:
        for rect in f.rects:
            png_page.draw_rect(pymupdf.Rect(rect), color=(1, 0, 0), width=2)
    return png_page.get_pixmap(dpi=dpi).tobytes("png")
