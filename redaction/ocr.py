"""Reading a page the way its reader meets it: Tesseract OCR of a rendered image.

The engine is Debian's ``tesseract`` binary, called through ``pytesseract``: one
run per page gives both the words with their boxes (TSV) and, when asked, a
text-only PDF page (``textonly_pdf``) whose invisible, selectable text sits where
the words are drawn — the searchable layer of a flattened copy. PyMuPDF's own OCR
(the Tesseract built into MuPDF) was measured at about twice the time of the
Debian binary on the same images, and OCRmyPDF would bring Ghostscript and a
second PDF pipeline for what one call does here (docs/legacy-documents.md).

Tesseract is run with one thread (``OMP_THREAD_LIMIT=1``): on a shared two-core
machine its OpenMP threads made a page several times slower, not faster.

``OcrWords`` turns the words into one text with a map back to their boxes (a
word broken over two lines with a hyphen is read joined as well), so that the
same ``Redactor`` that reads text layers reads what OCR sees; ``fuzzy_hits``
adds OCR's tolerance: a withheld value or term read with a letter or two wrong
(edit distance at most 1 from 5 characters, 2 from 8) is still found.
"""
from __future__ import annotations

import os
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import pytesseract
from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from cia_redaction.normalise import fold

DEBIAN_TESSDATA = "/usr/share/tesseract-ocr/5/tessdata"
DEFAULT_TIMEOUT_S = 120.0


class OcrUnavailable(RuntimeError):
    """Tesseract (or its English data) is not installed."""


@dataclass(frozen=True)
class Word:
    text: str
    box: tuple[float, float, float, float]  # points, origin top left of the page
    line: tuple[int, int, int]  # (block, paragraph, line) as Tesseract numbered them
    conf: float


@dataclass
class OcrPage:
    words: list[Word]
    text_pdf: bytes | None = None  # the text-only PDF page, when asked for

    @property
    def text(self) -> str:
        return OcrWords(self.words).text


def tessdata_dir() -> str | None:
    """Where ``eng.traineddata`` is: ``TESSDATA_PREFIX`` or Debian's folder."""
    for folder in (os.environ.get("TESSDATA_PREFIX"), DEBIAN_TESSDATA):
        if folder and Path(folder, "eng.traineddata").is_file():
            return folder
    return None


def available() -> bool:
    return shutil.which(pytesseract.pytesseract.tesseract_cmd) is not None and tessdata_dir() is not None


def read_image(image: bytes | str, dpi: int, *, text_pdf: bool = False, lang: str = "eng",
               timeout_s: float = DEFAULT_TIMEOUT_S) -> OcrPage:
    """OCR of one page image (PNG/PNM bytes, or a path), ``dpi`` its resolution."""
    if not available():
        raise OcrUnavailable("Tesseract OCR is not installed (Debian: tesseract-ocr, tesseract-ocr-eng).")
    # One thread: see the module's docstring. The variable is read by the child.
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    config = f"--dpi {int(dpi)} --tessdata-dir {tessdata_dir()} -c tessedit_create_tsv=1"
    if text_pdf:
        config += " -c textonly_pdf=1"
    with tempfile.TemporaryDirectory(prefix="cia-ocr-") as tmp:
        path = image
        if isinstance(image, (bytes, bytearray)):
            path = os.path.join(tmp, "page.pnm" if image[:1] == b"P" else "page.png")
            with open(path, "wb") as f:
                f.write(image)
        base = os.path.join(tmp, "out")
        # Configurations named after the input: the TSV, and the PDF renderer when asked.
        pytesseract.pytesseract.run_tesseract(path, base, "tsv pdf" if text_pdf else "tsv", lang,
                                              config=config, timeout=timeout_s)
        tsv = Path(base + ".tsv").read_text("utf-8", "replace")
        layer = Path(base + ".pdf").read_bytes() if text_pdf else None
    return OcrPage(_words(tsv, dpi), layer)


def _words(tsv: str, dpi: int) -> list[Word]:
    scale = 72.0 / dpi
    words = []
    for row in tsv.splitlines()[1:]:
        cols = row.split("\t")
        if len(cols) < 12 or cols[0] != "5" or not cols[11].strip():
            continue
        left, top, width, height = (int(c) for c in cols[6:10])
        words.append(Word(cols[11].strip(),
                          (left * scale, top * scale, (left + width) * scale, (top + height) * scale),
                          (int(cols[2]), int(cols[3]), int(cols[4])), float(cols[10])))
    return words


@dataclass
class OcrWords:
    """The words of a page as texts the redaction pass reads, with the way back to
    the words: ``text`` joins them with a space; ``glued`` also joins a word ending
    in a hyphen at the end of a line with the first word of the next line."""
    words: list[Word]
    text: str = field(init=False)
    glued: str = field(init=False)
    _spans: list[tuple[int, int, list[int]]] = field(init=False, repr=False)
    _glued_spans: list[tuple[int, int, list[int]]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.text, self._spans = self._join([[i] for i in range(len(self.words))])
        groups: list[list[int]] = []
        for i, word in enumerate(self.words):
            previous = groups[-1] if groups else None
            if (previous is not None and self.words[previous[-1]].text.endswith("-")
                    and self.words[previous[-1]].line != word.line and word.text[:1].isalpha()):
                previous.append(i)
            else:
                groups.append([i])
        self.glued, self._glued_spans = self._join(groups)

    def _join(self, groups: list[list[int]]) -> tuple[str, list[tuple[int, int, list[int]]]]:
        parts, spans, pos = [], [], 0
        for group in groups:
            token = "".join(self.words[i].text.removesuffix("-") if n < len(group) - 1
                            else self.words[i].text for n, i in enumerate(group))
            if parts:
                parts.append(" ")
                pos += 1
            parts.append(token)
            spans.append((pos, pos + len(token), group))
            pos += len(token)
        return "".join(parts), spans

    def words_in(self, start: int, end: int, glued: bool = False) -> list[int]:
        """The indexes of the words a span of ``text`` (or ``glued``) touches."""
        spans = self._glued_spans if glued else self._spans
        return [i for s, e, group in spans if s < end and e > start for i in group]


# -- OCR's tolerance ------------------------------------------------------------------
_WORD = re.compile(r"[^\W_]+")


def max_distance(term: str) -> int:
    """How many edits OCR may have made to a term of this length and it still counts."""
    n = len(re.sub(r"[\W_]+", "", term))
    return 2 if n >= 8 else 1 if n >= 5 else 0


def fuzzy_hits(words: OcrWords, terms: list[str]) -> list[tuple[str, list[int]]]:
    """``(term, word indexes)`` for each place the page's words read as a term within
    OCR's tolerance (``max_distance``), compared letters and digits only, folded:
    ``Quilfeather`` for ``Quillfeather``, ``0ttoline`` for ``Ottoline``. Terms under
    five characters are left to the exact pass."""
    tokens = [(i, re.sub(r"[\W_]+", "", fold(w.text))) for i, w in enumerate(words.words)]
    tokens = [(i, t) for i, t in tokens if t]
    # Each window of consecutive words is joined once per size; every term is then
    # compared with all the windows of a size in one call (rapidfuzz, in C): a page
    # meets the register's hundreds of names.
    windows: dict[int, tuple[list[str], list[list[int]]]] = {}
    out = []
    for term in dict.fromkeys(terms):
        target = re.sub(r"[\W_]+", "", fold(term))
        limit = max_distance(target)
        if not limit:
            continue
        n = max(1, len(_WORD.findall(fold(term))))
        # The term's number of words, and one fewer or more: OCR splits and joins words.
        for size in sorted({max(1, n - 1), n, n + 1}):
            if size not in windows:
                spans = [tokens[k:k + size] for k in range(len(tokens) - size + 1)]
                windows[size] = (["".join(t for _, t in w) for w in spans],
                                 [[i for i, _ in w] for w in spans])
            candidates, indexes = windows[size]
            found = process.extract(target, candidates, scorer=Levenshtein.distance,
                                    score_cutoff=limit, limit=None)
            out += [(term, indexes[k]) for k in sorted(k for _, _, k in found)]
    return out
