"""Pages read in bands (``cia_redaction.bands``): every row with ink is in a band, a
page read band by band reads as the page read whole, and a band met before is not
read again."""
from __future__ import annotations

import pymupdf
from hypothesis import given, strategies as st

from cia_redaction import bands, ocr
from tests.leaks import found

DPI = 150
LINES = ["Community Impact Assessment for the deployment at North End",
         "Officer in charge: Inspector Ottoline Quillfeather",
         "Call 020 7946 0321 for the briefing at Croydon police station",
         "The camera van parks on the west side of the square."]


def _pdf(lines: list[str], at: float = 72.0, size: float = 10) -> bytes:
    doc = pymupdf.open()
    page = doc.new_page()
    for n, line in enumerate(lines):
        page.insert_text((72, at + n * size * 1.6), line, fontsize=size, fontname="helv")
    return doc.tobytes()


def _ink_rows(pix: pymupdf.Pixmap) -> set[int]:
    w, s, data = pix.width, pix.stride, pix.samples
    return {r for r in range(pix.height) if any(b != bands.WHITE for b in data[r * s:r * s + w])}


@given(st.lists(st.tuples(st.integers(0, 190), st.integers(0, 140), st.integers(1, 40),
                          st.integers(1, 12), st.integers(0, 254)), max_size=12))
def test_every_row_with_ink_is_in_exactly_one_band(boxes):
    doc = pymupdf.open()
    page = doc.new_page(width=200, height=150)  # small: the rows are what is generated
    for x, y, w, h, grey in boxes:
        page.draw_rect(pymupdf.Rect(x, y, x + w, y + h), color=None, fill=(grey / 255,) * 3)
    pix = bands.pixmap(page, DPI)
    cut = bands.bands_of(pix, DPI)
    covered = [r for b in cut for r in range(b.top, b.bottom)]
    assert len(covered) == len(set(covered))  # disjoint
    assert [b.top for b in cut] == sorted(b.top for b in cut)
    assert _ink_rows(pix) <= set(covered)
    assert bool(cut) == bool(_ink_rows(pix))


def test_a_page_read_in_bands_reads_as_the_page_read_whole():
    data = _pdf(LINES)
    [page_bands] = bands.page_bands(data, DPI)
    assert len(page_bands) == len(LINES)  # one band a line: the white between ends each
    words = bands.page_words(page_bands, bands.read_bands(data, {0: page_bands}, DPI), DPI)
    doc = pymupdf.open(stream=data, filetype="pdf")
    whole = ocr.read_image(bands.pixmap(doc[0], DPI).tobytes("pnm"), DPI).words
    assert [w.text for w in words] == [w.text for w in whole]
    for a, b in zip(words, whole):  # placed where they are on the page
        assert all(abs(p - q) < 1.0 for p, q in zip(a.box, b.box)), (a, b)
    assert found("Ottoline Quillfeather", " ".join(w.text for w in words))


def test_only_the_bands_not_met_before_are_read():
    first = _pdf(LINES)
    changed = _pdf([LINES[0], "Officer in charge: Sergeant Bartholomew Pennyworth", *LINES[2:]])
    known = {b.key for b in bands.page_bands(first, DPI)[0]}
    [again] = bands.page_bands(changed, DPI)
    new = [b for b in again if b.key not in known]
    assert len(new) == 1 and new[0] == again[1]
    read = bands.read_bands(changed, {0: new}, DPI)
    text = " ".join(w.text for w in read[new[0].key])
    assert found("Bartholomew Pennyworth", text) and not found("Croydon", text)
