"""Page images read by OCR in bands, so that what was read once is not read again.

A page image (grayscale, ``dpi``) is cut into bands where at least ``gap(dpi)`` rows
are pure white: a band holds every row with a pixel of ink, so nothing a reader can
see falls between two bands. A band is known by the hash of its pixels and its width
(``Band.key``); what OCR read of it is kept with coordinates relative to the band
(a service keeps them: ``cia_authoring.disclosure.sight_checks``). Copies made from one template
share most of their lines — headings, guidance, a paragraph unchanged since the last
version — so a copy met after others is read only where its pixels are new.

The bands of a page not yet read are stacked, in page order and at their own
horizontal place, into one image with white between them and read by one Tesseract
(``read_bands``): the layout it meets is the page's, less the rows already known.
``page_words`` puts the words of a page's bands back where the bands are on the page.
"""
from __future__ import annotations

import hashlib
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pymupdf

from cia_redaction import ocr

WHITE = 255
# White rows between stacked bands, and above and below them: Tesseract needs a
# margin to find a line's top and bottom.
SPACER = 24


def gap(dpi: int) -> int:
    """Pure white rows that end a band: about two points, more than the white between
    an i's dot and its stem, less than the white between two lines of text."""
    return max(3, round(dpi * 2 / 72))


@dataclass(frozen=True)
class Band:
    key: str
    top: int  # first row, in pixels of the page image
    bottom: int  # one past the last row


def pixmap(page: pymupdf.Page, dpi: int) -> pymupdf.Pixmap:
    # Grayscale: Tesseract reads gray as it reads colour, at a third of the bytes.
    return page.get_pixmap(dpi=dpi, colorspace=pymupdf.csGRAY, alpha=False)


def bands_of(pix: pymupdf.Pixmap, dpi: int) -> list[Band]:
    """The bands of one page image, top to bottom."""
    width, height, stride = pix.width, pix.height, pix.stride
    samples = pix.samples
    white = bytes([WHITE]) * width
    least = gap(dpi)
    bands: list[Band] = []
    start, blank = None, 0

    def close(top: int, bottom: int) -> None:
        digest = hashlib.sha256(f"{dpi}:{width}x{bottom - top}:".encode())
        for row in range(top, bottom):
            digest.update(samples[row * stride:row * stride + width])
        bands.append(Band(digest.hexdigest(), top, bottom))

    for row in range(height):
        if samples[row * stride:row * stride + width] == white:
            blank += 1
            if start is not None and blank >= least:
                close(start, row - blank + 1)
                start = None
        else:
            if start is None:
                start = row
            blank = 0
    if start is not None:
        close(start, height - blank)
    return bands


def page_bands(data: bytes, dpi: int) -> list[list[Band]]:
    """The bands of every page of a PDF, in order (rendering is cheap; reading is not)."""
    doc = pymupdf.open(stream=data, filetype="pdf")
    try:
        return [bands_of(pixmap(page, dpi), dpi) for page in doc]
    finally:
        doc.close()


def workers() -> int:
    """Images read at once: one single-threaded Tesseract per core."""
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
               else os.cpu_count() or 1)


def _stacked(pix: pymupdf.Pixmap, bands: list[Band]) -> tuple[bytes, list[tuple[Band, int]]]:
    """One grayscale image (PGM) of ``bands`` stacked with white between them, and
    where each band begins in it."""
    width, stride, samples = pix.width, pix.stride, pix.samples
    spacer = bytes([WHITE]) * width * SPACER
    parts, placed, y = [spacer], [], SPACER
    for band in bands:
        placed.append((band, y))
        parts += [samples[row * stride:row * stride + width]
                  for row in range(band.top, band.bottom)]
        parts.append(spacer)
        y += band.bottom - band.top + SPACER
    return b"P5\n%d %d\n255\n" % (width, y) + b"".join(parts), placed


def _split(words: list[ocr.Word], placed: list[tuple[Band, int]], dpi: int
           ) -> dict[str, list[ocr.Word]]:
    """The words of a stacked image by band, each box relative to its band's top."""
    scale = 72.0 / dpi
    out: dict[str, list[ocr.Word]] = {band.key: [] for band, _ in placed}
    for word in words:
        middle = (word.box[1] + word.box[3]) / 2 / scale
        # The band the word's middle falls in, else the nearest (a box grown past it).
        band, at = min(placed, key=lambda p: 0 if p[1] <= middle < p[1] + p[0].bottom - p[0].top
                       else min(abs(middle - p[1]), abs(middle - p[1] - p[0].bottom + p[0].top)))
        dy = at * scale
        x0, y0, x1, y1 = word.box
        out[band.key].append(ocr.Word(word.text, (x0, y0 - dy, x1, y1 - dy), word.line, word.conf))
    return out


def read_bands(data: bytes, wanted: dict[int, list[Band]], dpi: int, threads: int | None = None
               ) -> dict[str, list[ocr.Word]]:
    """OCR of the given bands of the given pages (0-based), a page's bands as one
    stacked image, the pages side by side: ``{band key: words}``."""
    doc = pymupdf.open(stream=data, filetype="pdf")
    try:
        images = []
        for index, bands in wanted.items():
            unique = list({band.key: band for band in bands}.values())
            if unique:
                images.append(_stacked(pixmap(doc[index], dpi), unique))
    finally:
        doc.close()
    if not images:
        return {}
    with ThreadPoolExecutor(max_workers=max(1, min(len(images), threads or workers()))) as pool:
        read = list(pool.map(lambda item: ocr.read_image(item[0], dpi).words, images))
    out: dict[str, list[ocr.Word]] = {}
    for (_, placed), words in zip(images, read):
        out.update(_split(words, placed, dpi))
    return out


def page_words(bands: list[Band], known: dict[str, list[ocr.Word]], dpi: int) -> list[ocr.Word]:
    """A page's words from its bands' readings, placed where the bands are on the page;
    each band's lines numbered apart from the others'."""
    scale = 72.0 / dpi
    out = []
    for n, band in enumerate(bands):
        dy = band.top * scale
        for w in known[band.key]:
            x0, y0, x1, y1 = w.box
            out.append(ocr.Word(w.text, (x0, y0 + dy, x1, y1 + dy),
                                (n * 10_000 + w.line[0], w.line[1], w.line[2]), w.conf))
    return out


def words_to_json(words: list[ocr.Word]) -> list:
    return [[w.text, [round(v, 2) for v in w.box], list(w.line), round(w.conf, 1)] for w in words]


def words_from_json(rows: list) -> list[ocr.Word]:
    return [ocr.Word(t, tuple(b), tuple(line), float(c)) for t, b, line, c in rows]
