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

The check before release (``page_keys``, ``read_pages``, ``check_words``) reads the
pages of a born-digital file, a disclosure copy or a letter as LibreOffice renders it,
cheaply: each page is rendered in grayscale at ``CHECK_DPI`` and known by the hash of
its pixels, so a page read once (the boilerplate pages every copy of a template
shares) is never read again (``PageCache``); the others are read side by side, one
Tesseract per core. A detector judges text in its context, which OCR of a table or a
two-column page scrambles ("Inspector Sergeant Chief Superintendent" read across
three cells is a name after a rank): a detector's hit on text the file's own text
already says (``said``: what the pass read in context and let through) is therefore
excused, while a withheld value or a censor rule's match never is — those the pass
removed wherever it read them, so the picture can only hold them where the text does
not (an image, a field drawn on rendering). A term read only within OCR's tolerance is
excused where the file's text holds exactly the words read: a word of the letter
("requested"), not a misreading of the term ("Requester").
"""
from __future__ import annotations

import hashlib
import os
import re
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from threading import Lock
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
class PageCache:
    """What OCR read of a page image, by the hash of its pixels (``page_key``): a
    bounded, thread-safe LRU in memory, in front of an optional ``store`` (the
    service's table) that outlives the process."""

    def __init__(self, size: int = 512) -> None:
        self.size = size
        self._items: OrderedDict[str, list[ocr.Word]] = OrderedDict()
        self._lock = Lock()

    def get(self, key: str) -> list[ocr.Word] | None:
        with self._lock:
            words = self._items.get(key)
            if words is not None:
                self._items.move_to_end(key)
            return words

    def put(self, key: str, words: list[ocr.Word]) -> None:
        with self._lock:
            self._items[key] = words
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def __len__(self) -> int:
        return len(self._items)


def words_to_json(words: list[ocr.Word]) -> list:
    return [[w.text, [round(v, 2) for v in w.box], list(w.line), round(w.conf, 1)] for w in words]


def words_from_json(rows: list) -> list[ocr.Word]:
    return [ocr.Word(t, tuple(b), tuple(line), float(c)) for t, b, line, c in rows]


def _pixmap(page: pymupdf.Page, dpi: int) -> pymupdf.Pixmap:
    # Grayscale: Tesseract reads gray as it reads colour, at a third of the bytes.
    return page.get_pixmap(dpi=dpi, colorspace=pymupdf.csGRAY, alpha=False)


def page_key(pix: pymupdf.Pixmap, dpi: int) -> str:
    """A page image's identity: its resolution, size and pixels."""
    digest = hashlib.sha256(f"{dpi}:{pix.width}x{pix.height}:".encode())
    digest.update(pix.samples_mv)
    return digest.hexdigest()


def page_keys(data: bytes, dpi: int = CHECK_DPI) -> list[str]:
    """The key of every page's image, in order (rendering is cheap; reading is not)."""
    doc = pymupdf.open(stream=data, filetype="pdf")
    try:
        return [page_key(_pixmap(page, dpi), dpi) for page in doc]
    finally:
        doc.close()


def workers() -> int:
    """Pages read at once: one single-threaded Tesseract per core."""
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
               else os.cpu_count() or 1)


def read_pages(data: bytes, pages: list[int], dpi: int = CHECK_DPI, threads: int | None = None
               ) -> dict[int, tuple[str, list[ocr.Word]]]:
    """OCR of the given pages (0-based), side by side: ``{index: (key, words)}``."""
    doc = pymupdf.open(stream=data, filetype="pdf")
    try:
        images = {}
        for index in pages:
            pix = _pixmap(doc[index], dpi)
            images[index] = (page_key(pix, dpi), pix.tobytes("pnm"))
    finally:
        doc.close()
    with ThreadPoolExecutor(max_workers=max(1, min(len(images), threads or workers()))) as pool:
        read = dict(zip(images, pool.map(lambda item: ocr.read_image(item[1], dpi).words,
                                         images.values())))
    return {index: (images[index][0], read[index]) for index in images}


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


def check_rendered(data: bytes, redactor: Redactor, *, said: str | None = None,
                   dpi: int = CHECK_DPI, cache: PageCache | None = None,
                   progress: Callable[[int, int], None] | None = None) -> SightCheck:
    """Every page of a PDF rendered, read back by OCR (known pages from ``cache``)
    and read by the pass: the check before release, in one call."""
    keys = page_keys(data, dpi)
    cache = cache if cache is not None else PageCache()
    pages: list[list[ocr.Word] | None] = [cache.get(k) for k in keys]
    todo = [i for i, words in enumerate(pages) if words is None]
    step = workers()
    for start in range(0, len(todo), step):
        for index, (key, words) in read_pages(data, todo[start:start + step], dpi).items():
            cache.put(key, words)
            pages[index] = words
        if progress is not None:
            progress(len(keys) - len(todo) + min(len(todo), start + step), len(keys))
    return check_words(redactor, pages, said)


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
