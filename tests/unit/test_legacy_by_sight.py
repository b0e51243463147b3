"""Legacy copies hold nothing withheld, checked the way a reader finds it.

The hostile fixtures (``tests.hostile``) hide the planted values in every place a
PDF or a Word package can carry them; the disclosure copy is read through the one
leak checker — every part, object and stream decompressed, the text layer, and the
pages rendered and read back by OCR — and no planted value may be there. Beside
each absence, its positive control: the same checker finds every value in the
source, and the values in an ordinary body paragraph are found and withheld by the
pass (logged). An ordinary 20-page PDF keeps its pages, sizes and searchable text.
"""
from __future__ import annotations

import io
import zipfile

import pymupdf
import pytest

from cia_authoring.legacy.redact import Term, redact, redactor_for
from cia_redaction import flatten
from cia_schemas.disclosure import MARKERS

from tests.hostile import NAME, OPEN, VALUES, hostile_docx, hostile_pdf, ordinary_pdf
from tests.leaks import found, norm, pdf_raw, raw_found, seen, texts
from tests.unit.test_authoring_pdf import soffice

__all__ = ["soffice"]

CFG = {"DISCLOSURE_RANK_CUTOFF": "superintendent"}
TERM = Term("t-1", NAME, "s40", "A member of the public.")


def _visible(parts: dict[str, str]) -> list[tuple[str, str]]:
    return [(v, name) for v in VALUES for name, text in parts.items() if found(v, text)]


@pytest.fixture(scope="module")
def pdf_case():
    source = hostile_pdf()
    # The officer's name is in the register (a name withheld once is withheld everywhere).
    result = flatten.flatten_pdf(source, redactor_for(CFG, [], [TERM], [NAME]))
    return source, result


def test_the_checker_sees_every_planted_value_in_the_hostile_pdf(pdf_case):
    source, _ = pdf_case
    assert {v for v, _ in _visible(texts(source))} == set(VALUES)
    raw = pdf_raw(source)
    assert all(raw_found(raw, v) for v in (NAME, "020 7946 0321"))
    assert {v for v in VALUES if found(v, seen(source))} == set(VALUES)  # on the page itself


def test_a_flattened_pdf_shows_and_holds_none_of_them(pdf_case):
    _, result = pdf_case
    copy = result.data
    assert _visible(texts(copy)) == []  # text layer, objects, streams, metadata, names
    raw = pdf_raw(copy)
    assert [v for v in VALUES if raw_found(raw, v)] == []
    read = seen(copy)
    assert [v for v in VALUES if found(v, read)] == []  # what a reader sees
    # What is not withheld is still on the page and in the searchable layer.
    assert found(OPEN, read) and found(OPEN, "\n".join(texts(copy).values()))
    doc = pymupdf.open(stream=copy, filetype="pdf")
    # Page order and sizes as the reader saw them (the second page's crop box).
    assert [tuple(p.rect) for p in doc] == [(0, 0, 595, 842), (0, 0, 595, 700)]
    # Nothing but an image and the OCR layer on each page; nothing at document level.
    assert doc.metadata["author"] == "" and doc.get_xml_metadata() == "" and doc.get_toc() == []
    assert doc.embfile_count() == 0 and doc.get_page_labels() == [] and not doc.is_form_pdf
    assert all(len(p.get_images()) == 1 and not list(p.annots()) for p in doc)
    catalog = doc.xref_object(doc.pdf_catalog())
    assert "/Lang" not in catalog and "/Dests" not in catalog and "/OCProperties" not in catalog


def test_the_ordinary_paragraph_is_found_and_withheld_and_logged(pdf_case):
    _, result = pdf_case
    detectors = {e["detector"] for e in result.log}
    assert {"censor_rule", "phone", "email", "postcode"} <= detectors
    assert any(e["rule_id"] == "term:t-1" for e in result.log)
    # What the text layer could not give (shuffled glyphs, the lying font, the
    # hyphenated name) the reading of the page found; the page is to be looked at.
    assert any(e["detector"].startswith("ocr:") for e in result.log) and result.review_pages == [1]


@pytest.fixture(scope="module")
def docx_case():
    source = hostile_docx()
    return source, redact("docx", source, "CIA 2019", CFG, terms=[TERM], register=[NAME])


def test_the_checker_sees_every_planted_value_in_the_hostile_docx(docx_case):
    source, _ = docx_case
    parts = texts(source)
    assert {v for v, _ in _visible(parts)} == set(VALUES)
    for part in ("word/body.bin", "word/numbering.xml", "word/charts/chart1.xml", "word/settings.xml",
                 "word/styles.xml", "word/notes-old.xml", "[names]", "[comments]",
                 "word/media/Ottoline_Quillfeather.png", "word/media/image2.jpg",
                 "word/embeddings/Microsoft_Excel_Worksheet.xlsx!xl/worksheets/sheet1.xml"):
        assert any(found(v, parts.get(part, "")) for v in VALUES), part
    # The thumbnail is a picture of the values: OCR reads them in it.
    thumbnail = zipfile.ZipFile(io.BytesIO(source)).read("docProps/thumbnail.jpeg")
    assert found(NAME, seen(thumbnail))


def test_a_rebuilt_docx_holds_none_of_them_and_names_what_it_left_behind(docx_case, soffice):
    _, out = docx_case
    assert out.pdf_only is None
    parts = texts(out.data)
    assert _visible(parts) == []
    names = zipfile.ZipFile(io.BytesIO(out.data)).namelist()
    assert "word/document.xml" in names and not any("thumbnail" in n or "embeddings" in n for n in names)
    assert {n for n in names if n.startswith("word/media/")} == {"word/media/image1.png",
                                                                 "word/media/image2.jpeg",
                                                                 "word/media/image3.png"}
    assert zipfile.ZipFile(io.BytesIO(out.data)).comment == b""
    body = parts["word/document.xml"]
    assert body.count(norm(MARKERS["s40"])) >= 5 and found(OPEN, body)
    removed = " ".join(e["reason"] for e in out.log if e["detector"] == "allowlist")
    for what in ("thumbnail", "embedded object", "part nothing references", "comments",
                 "custom XML data"):
        assert f"removed: {what}" in removed, what
    assert {"censor_rule", "phone", "email", "postcode", "withheld_value"} <= {e["detector"] for e in out.log}
    # As its reader meets it: rendered by LibreOffice and read back.
    read = seen(out.data, soffice=soffice)
    assert found(OPEN, read) and [v for v in VALUES if found(v, read)] == []


def test_a_docx_without_a_main_document_is_disclosed_as_a_pdf_only():
    broken = io.BytesIO()
    with zipfile.ZipFile(broken, "w") as zf:
        zf.writestr("[Content_Types].xml", "<Types xmlns='http://schemas.openxmlformats.org/package/"
                                           "2006/content-types'/>")
        zf.writestr("word/document.xml", f"<w:document xmlns:w='x'><w:t>{NAME}</w:t></w:document>")
    out = redact("docx", broken.getvalue(), "CIA", CFG, terms=[TERM])
    assert out.pdf_only and "flattened PDF only" in out.log[0]["reason"] and out.data == b""


def test_an_ordinary_20_page_pdf_keeps_its_pages_sizes_and_searchable_text():
    source = ordinary_pdf(20)
    # 150 dpi keeps the suite's time down; the copy's own default is 200.
    result = flatten.flatten_pdf(source, redactor_for(CFG, [], [], []), dpi=150)
    before, after = (pymupdf.open(stream=d, filetype="pdf") for d in (source, result.data))
    assert after.page_count == 20 and result.review_pages == [] and result.log == []
    assert [tuple(p.rect) for p in after] == [tuple(p.rect) for p in before]
    layer = [p.get_text() for p in after]
    assert all(found(f"Deployment review, page {n}", norm(t)) for n, t in enumerate(layer, 1))
    # Nearly every line read back (OCR may miss a word in one or two of the 80).
    assert sum(norm(t).count("signage and the public notices") for t in layer) >= 76
