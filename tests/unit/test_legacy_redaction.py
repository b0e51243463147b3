"""True redaction of legacy documents, without a database: a value planted in every
part of a DOCX and in every text-bearing place of a PDF is gone from the redacted
copy (read by the shared leak checker, and for a PDF its raw streams too), each
redaction is marked in place and logged, and bad files are told apart by content."""
from __future__ import annotations

import io
import zipfile

import pymupdf
import pytest

from cia_redaction import pdf as pdf_pass
from cia_authoring.legacy import files
from cia_authoring.legacy.redact import Term, redact
from cia_schemas.disclosure import MARKERS

from tests.leaks import docx_texts, found, norm, pdf_text
from tests.unit.test_legacy_support import (LEAKS, PLANTED, SCAN_AREA, SCAN_COLOUR, SCAN_SCALE, SURNAME,
                                            encrypted_pdf, macro_docx, planted_docx, planted_pdf,
                                            raw_contains, raw_streams)

CFG = {"DISCLOSURE_RANK_CUTOFF": "superintendent"}
TERM = Term("t-1", PLANTED, "s40", "Name of a member of the public.")


def test_docx_every_part_loses_the_planted_value():
    source = planted_docx()
    before = docx_texts(source)
    assert all(found(v, "\n".join(before.values())) for v in LEAKS)  # the fixture holds them
    for part in ("word/document.xml", "word/header1.xml", "word/footer1.xml", "word/footnotes.xml",
                 "word/comments.xml", "docProps/core.xml", "docProps/custom.xml",
                 "customXml/item9.xml"):
        assert found(PLANTED, before[part]) or found(SURNAME, before[part]), part

    out = redact("docx", source, "CIA 2019", CFG, terms=[TERM])

    parts = docx_texts(out.data)
    leaks = [(name, v) for name, text in parts.items() for v in LEAKS if found(v, text)]
    assert leaks == []
    body = parts["word/document.xml"]
    assert body.count(norm(MARKERS["s40"])) >= 5
    assert "an open sentence about the deployment." in body
    assert not any(n.startswith("word/comments") or n.startswith("customXml/") for n in parts)
    assert "w:del " not in zipfile.ZipFile(io.BytesIO(out.data)).read("word/document.xml").decode()
    detectors = {e["detector"] for e in out.log}
    assert {"censor_rule", "phone", "name_after_rank"} <= detectors
    assert any(e["rule_id"] == "term:t-1" and e["exemption"] == "s.40(2)" for e in out.log)
    assert SURNAME in out.withheld_names[0]


def test_the_redacted_docx_still_opens_as_a_word_document():
    import docx

    out = redact("docx", planted_docx(), "CIA", CFG, terms=[TERM])
    document = docx.Document(io.BytesIO(out.data))
    assert document.core_properties.author == ""
    assert document.core_properties.title == "CIA"
    assert any(MARKERS["s40"] in p.text for p in document.paragraphs)


def test_pdf_text_runs_lines_metadata_and_attachments_lose_the_value():
    source = planted_pdf()
    # Positive control: the same checker sees every planted value in the source.
    assert [v for v in LEAKS if not found(v, pdf_text(source))] == []
    assert raw_contains(raw_streams(source), "Vexworth")

    out = redact("pdf", source, "CIA", CFG, terms=[TERM])

    text = pdf_text(out.data)
    raw = raw_streams(out.data)
    assert [v for v in LEAKS if found(v, text)] == []
    assert [v for v in LEAKS if raw_contains(raw, v)] == []
    assert "an open sentence about the deployment." in text
    doc = pymupdf.open(stream=out.data, filetype="pdf")
    assert doc.embfile_count() == 0
    assert not any(doc.metadata[k] for k in ("author", "title", "subject", "keywords", "creator"))
    assert doc.get_xml_metadata() == ""
    assert all(not list(p.annots()) and not list(p.widgets()) for p in doc)
    assert out.scan_pages == []
    assert {e["pointer"] for e in out.log} >= {"/page/1", "/page/2"}


def test_a_page_without_text_is_reported_and_an_area_blanks_its_pixels():
    source = planted_pdf(scan=True)
    plain = redact("pdf", source, "CIA", CFG)
    assert plain.scan_pages == [3]

    area = pdf_pass.Area(3, SCAN_AREA, "s31", "A camera position on the map.", "a-1")
    out = redact("pdf", source, "CIA", CFG, areas=[area])
    doc = pymupdf.open(stream=out.data, filetype="pdf")
    page = doc[2]
    inside = page.get_pixmap(clip=pymupdf.Rect(SCAN_AREA) + (20, 20, -20, -20), dpi=36)
    outside = page.get_pixmap(clip=pymupdf.Rect(400, 500, 450, 550), dpi=36)
    assert outside.pixel(2, 2) == SCAN_COLOUR
    assert inside.pixel(2, 2) != SCAN_COLOUR
    # The image itself changed, not just a box painted over it.
    (xref, *_), = page.get_images()
    image = pymupdf.Pixmap(doc, xref)
    x, y = ((SCAN_AREA[0] + 50) // SCAN_SCALE, (SCAN_AREA[1] + 50) // SCAN_SCALE)
    assert image.pixel(x, y) != SCAN_COLOUR
    assert image.pixel(500 // SCAN_SCALE, 700 // SCAN_SCALE) == SCAN_COLOUR
    assert {"pointer": "/page/3/area", "exemption": "s.31(1)(a)(b)",
            "reason": "A camera position on the map.", "rule_id": "a-1", "detector": "area"} in out.log


def test_redacting_again_gives_the_same_bytes():
    for fmt, source in (("docx", planted_docx()), ("pdf", planted_pdf())):
        first = redact(fmt, source, "CIA", CFG, terms=[TERM]).data
        assert redact(fmt, source, "CIA", CFG, terms=[TERM]).data == first


@pytest.mark.parametrize("data, message", [
    (b"", "empty"),
    (b"Just some text, named report.docx", "neither"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "password-protected"),
    (b"PK\x03\x04 not really a zip", "corrupt"),
    (b"%PDF-1.7\n garbage without objects", "cannot be read"),
])
def test_bad_files_are_refused_by_content(data, message):
    with pytest.raises(files.Refused, match=message):
        files.check(data)


def test_password_protected_pdf_and_macro_docx_are_refused_saying_why():
    with pytest.raises(files.Refused, match="password-protected"):
        files.check(encrypted_pdf())
    with pytest.raises(files.Refused, match="macro-enabled"):
        files.check(macro_docx())
    truncated = planted_docx()[:-200]
    with pytest.raises(files.Refused, match="corrupt"):
        files.check(truncated)


def test_type_comes_from_content_not_name():
    assert files.check(planted_pdf()).format == "pdf"
    assert files.check(planted_pdf()).pages == 2
    assert files.check(planted_docx()).format == "docx"


def test_text_outside_the_page_is_removed_too():
    doc = pymupdf.open()
    page = doc.new_page()
    page.insert_text((72, 100), "Visible words here.", fontname="helv")
    page.insert_text((72, -40), f"Above the page: {PLANTED}", fontname="helv")
    page.insert_text((900, 100), f"Right of the page: {PLANTED}", fontname="helv")
    source = doc.tobytes()

    out = redact("pdf", source, "CIA", CFG, terms=[TERM])

    assert found(PLANTED, pdf_text(source))  # off the page, and still read
    everywhere = pdf_text(out.data)  # text off the page too
    assert "visible words here." in everywhere and not found(PLANTED, everywhere)
    assert not raw_contains(raw_streams(out.data), PLANTED)
    assert out.scan_pages == []


def test_a_page_the_removal_missed_is_rebuilt_as_an_image_and_flagged(monkeypatch):
    # As if MuPDF left the text in place: the check after removal must catch it.
    monkeypatch.setattr(pymupdf.Page, "apply_redactions", lambda self, **kwargs: True)
    out = redact("pdf", planted_pdf(), "CIA", CFG, terms=[TERM])
    doc = pymupdf.open(stream=out.data, filetype="pdf")
    assert out.scan_pages == [1, 2]
    assert all(page.get_text().strip() == "" and page.get_images() for page in doc)
    assert not raw_contains(raw_streams(out.data), PLANTED)
