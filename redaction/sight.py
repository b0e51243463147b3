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

The check before release reads the pages of a born-digital file, a disclosure copy or
a letter as LibreOffice renders it, cheaply (``cia_redaction.bands``, the service
keeping what was read), then runs ``check_words`` over them: each page is rendered in
grayscale at ``CHECK_DPI`` and read in bands known by the hash of their pixels, so a
line read once (the boilerplate every copy of a template shares) is never read again.
A detector judges text in its context, which OCR of a table or a two-column page
scrambles ("Inspector Sergeant Chief Superintendent" read across three cells is a
name after a rank): a detector's hit on text the file's own text
already says (``said``: what the pass read in context and let through) is therefore
excused, while a withheld value or a censor rule's match never is — those the pass
removed wherever it read them, so the picture can only hold them where the text does
not (an image, a field drawn on rendering). A term read only within OCR's tolerance is
excused where the file's text holds exactly the words read: a word of the letter
("requested"), not a misreading of the term ("Requester").
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable

import pymupdf
from rapidfuzz import fuzz

from cia_redaction import ocr
from cia_redaction.normalise import fold
from cia_redaction.redactor import Redactor

OCR_TOLERANCE = "ocr_tolerance"
# Fixed texts the pass withholds wherever it reads them exactly: never excused by
# ``said``. A term read only within OCR's tolerance is excused where the file's own
# text holds exactly the words read ("requested" for a requester's name part
# "Requester"): those are that word, not a misreading of the term.
EXACT_KINDS = frozenset({"withheld_value", "censor_rule"})
# The resolution of the check before release: the lowest at which Tesseract read
# every planted value of 8 and 9 pt text (Liberation Sans and Serif, as LibreOffice
# renders them) without a miss, measured against 100, 120, 200 and 300 dpi
# (docs/legacy-documents.md, "The check before release").
CHECK_DPI = 150


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


def page_findings(redactor: Redactor, words: list[ocr.Word], page: int,
                  excused: Callable[[str], bool] | None = None) -> list[Finding]:
    """What the pass finds in a page's words; with ``excused``, a detector's hit on a
    text it excuses is left out (see the module: never a fixed text's)."""
    reading = ocr.OcrWords(words)
    findings: list[Finding] = []
    seen: set[tuple[int, ...]] = set()

    def add(indexes: list[int], kind: str, exemption: str, reason: str, rule_id=None) -> None:
        key = tuple(sorted(set(indexes)))
        if not key or key in seen:
            return
        seen.add(key)
        if excused is not None and kind not in EXACT_KINDS and excused(
                " ".join(words[i].text for i in key), exact=kind == OCR_TOLERANCE):
            return
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


# -- the check before release ----------------------------------------------------------
_SAID_TOKEN = re.compile(r"[^\W_]+")


def said_excuser(said: str) -> Callable[[str], bool]:
    """``excused(text)``: whether ``text`` (as OCR read it) is what ``said`` says:
    the whole of it, compared letters and digits only, folded, within OCR's tolerance
    (``ocr.max_distance``); or each of its words, for a reading that joined the
    lines of two table cells or columns side by side ("Croydon" of one cell and
    "Briefing" of the next read as a name)."""
    tokens = _SAID_TOKEN.findall(fold(said))
    haystack, vocabulary = "".join(tokens), set(tokens)

    def excused(text: str, exact: bool = False) -> bool:
        words = _SAID_TOKEN.findall(fold(text))
        needle = "".join(words)
        if not needle or all(w in vocabulary for w in words):
            return True
        if exact:
            return False
        if needle in haystack:
            return True
        limit = ocr.max_distance(needle)
        if not limit:
            return False
        cutoff = 100.0 * (1 - limit / len(needle))
        return fuzz.partial_ratio(needle, haystack, score_cutoff=cutoff) >= cutoff

    return excused


def check_words(redactor: Redactor, pages: list[list[ocr.Word]], said: str | None = None
                ) -> SightCheck:
    """The pass over the OCR words of every page (see ``page_findings``)."""
    excused = said_excuser(said) if said is not None else None
    check = SightCheck(len(pages))
    for index, words in enumerate(pages):
        check.findings += page_findings(redactor, words, index + 1, excused)
    return check


def marked_page(data: bytes, number: int, findings: list[Finding], dpi: int = 100) -> bytes:
    """Page ``number`` (1-based) of a PDF as a PNG with the boxes of its findings drawn
    in red; ``IndexError`` when there is no such page."""
    doc = pymupdf.open(stream=data, filetype="pdf")
    try:
        if not 1 <= number <= doc.page_count:
            raise IndexError(number)
        return mark(doc[number - 1], [f for f in findings if f.page == number], dpi)
    finally:
        doc.close()
