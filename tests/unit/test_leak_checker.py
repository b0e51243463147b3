"""The shared leak checker (tests/leaks.py) sees what a reader sees: text behind
XML escapes, split over runs or line breaks, or spaced with Unicode spaces;
accented or not; in any part of a DOCX, its attributes, a package nested in it
or around it; in a PDF's text, metadata and attachments. Each planted value has
a negative control (a near miss the checker must not report), and the checker's
folding is compared with the service's on every character of the scripts in use."""
from __future__ import annotations

import io
import json
import zipfile

import pymupdf
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from tests.leaks import docx_texts, found, leaks, norm, pdf_text, readable, texts

NS = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'


def package(members: dict[str, str | bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


def docx(body: str, parts: dict[str, str | bytes] | None = None) -> bytes:
    return package({"word/document.xml": f'<w:document {NS}><w:body>{body}</w:body></w:document>',
                    **(parts or {})})


def test_a_value_after_a_line_break_in_a_paragraph_is_found():
    # A table cell: name, then e-mail on the next line of the same paragraph.
    text = docx_texts(docx('<w:p><w:r><w:t>Jo Bloggs, chair</w:t><w:br/>'
                           '<w:t>jo@leak.example.org</w:t><w:tab/><w:t>0207</w:t></w:r></w:p>'))
    body = text["word/document.xml"]
    assert found("jo@leak.example.org", body)
    assert found("0207", body) and found("chair", body)
    assert not found("jo@leak.example.com", body)


def test_escaped_split_and_unicode_spaced_values_are_found():
    body = docx_texts(docx('<w:p><w:r><w:t>ZQ S40 &amp; LE</w:t></w:r><w:r><w:t>AK0001</w:t></w:r>'
                           '</w:p><w:p><w:r><w:t>ZQ&lt;S31&gt;LEAK0002</w:t></w:r></w:p>'
                           '<w:p><w:r><w:t>zqs31\u00a0leak\u20090004</w:t></w:r></w:p>'))
    text = body["word/document.xml"]
    assert found("ZQ S40 & LEAK0001", text)
    assert found("ZQ<S31>LEAK0002", text)
    assert found("ZQS31\u00a0LEAK\u20090004", text)
    # Not anything at all: a different number is not a match.
    assert not found("ZQS31 LEAK0005", text)
    assert norm("A\u00a0b\nC") == "a b c"


# ------------------------------------------------------------------ split

SPLITS = [
    # Across runs, one of them bold.
    '<w:r><w:t>Ottol</w:t></w:r><w:r><w:rPr><w:b/></w:rPr><w:t xml:space="preserve">ine Vex</w:t></w:r>'
    '<w:r><w:t>worth</w:t></w:r>',
    # Across w:t with a spelling mark and a bookmark between them (Word writes both).
    '<w:r><w:t>Otto</w:t></w:r><w:proofErr w:type="spellStart"/><w:r><w:t>line </w:t></w:r>'
    '<w:bookmarkStart w:id="0" w:name="_Ref1"/><w:r><w:t>Vexw</w:t></w:r><w:bookmarkEnd w:id="0"/>'
    '<w:proofErr w:type="spellEnd"/><w:r><w:t>orth</w:t></w:r>',
    # Across a tracked insertion, a hyperlink and a smart tag.
    '<w:r><w:t>Ottoline </w:t></w:r><w:ins w:id="1" w:author="x"><w:r><w:t>Vex</w:t></w:r></w:ins>'
    '<w:hyperlink r:id="rId9" xmlns:r="urn:r"><w:r><w:t>wo</w:t></w:r></w:hyperlink>'
    '<w:smartTag w:uri="u" w:element="e"><w:r><w:t>rth</w:t></w:r></w:smartTag>',
    # Two w:t in one run.
    '<w:r><w:t>Ottoline V</w:t><w:t>exworth</w:t></w:r>',
]


@pytest.mark.parametrize("runs", SPLITS)
def test_a_value_split_across_runs_is_found(runs):
    text = docx_texts(docx(f"<w:p>{runs}</w:p>"))["word/document.xml"]
    assert found("Ottoline Vexworth", text) and found("Vexworth", text)
    assert not found("Ottoline Vexwerth", text) and not found("Otto Vexworth", text)


def test_deleted_text_and_field_codes_are_read_joined_too():
    text = docx_texts(docx('<w:p><w:r><w:t>Ask </w:t></w:r><w:del w:id="2" w:author="x"><w:r>'
                           '<w:delText>Ottoline Vex</w:delText></w:r></w:del><w:r><w:instrText>'
                           'worth HYPERLINK</w:instrText></w:r></w:p>'))["word/document.xml"]
    assert found("Ottoline Vexworth", text)
    assert not found("Ottoline Vexworth Ask", text)


# ------------------------------------------------------------------ escaped

@pytest.mark.parametrize("escaped", [
    "Brannigan &amp; S&#243;n",           # entity and decimal reference
    "Brannigan &#x26; S&#xF3;n",          # hexadecimal references
    "Brannigan &amp;amp; S&amp;#xF3;n",   # escaped twice: a reader may see it undone once
])
def test_an_escaped_value_is_found(escaped):
    text = docx_texts(docx(f"<w:p><w:r><w:t>{escaped}</w:t></w:r></w:p>"))["word/document.xml"]
    assert found("Brannigan & Són", text) and found("brannigan & son", text)
    assert not found("Brannigan & Sun", text)


def test_escapes_outside_xml_are_undone_too():
    # An HTML part (an altChunk Word imports), a JSON document and a URL.
    data = docx("<w:p/>", {
        "word/chunk.html": b"<p>Brannig<b>an</b> &amp; S&oacute;n</p>",
        "word/data.json": json.dumps({"who": "Brannigan & S\u00f3n"}).encode(),
        "word/_rels/chunk.rels": '<Relationships xmlns="urn:r"><Relationship Id="r1" '
                                 'TargetMode="External" Target="mailto:jo.brannigan%40leak.example.org"/>'
                                 '</Relationships>'})
    parts = docx_texts(data)
    assert found("Brannigan & Són", parts["word/chunk.html"])
    assert '"who": "brannigan & s\\u00f3n"' in parts["word/data.json"]  # stored escaped...
    assert found("Brannigan & Són", parts["word/data.json"])              # ...and read undone
    assert found("jo.brannigan@leak.example.org", parts["word/_rels/chunk.rels"])
    assert leaks(["Brannigan & Sun", "jo.brannigan@leak.example.com"], data) == []


# ------------------------------------------------------------------ accented

def test_accents_fold_both_ways_as_the_service_folds_them():
    # Precomposed, decomposed (e + U+0301) and in a DOCX: all meet the plain form.
    for written in ("José Núñez", "Jose\u0301 Nu\u0301n\u0303ez", "JOSÉ NÚÑEZ"):
        assert found("jose nunez", norm(f"Seen by {written}.")), written
        assert found(written, norm("Seen by Jose Nunez.")), written
    body = docx_texts(docx("<w:p><w:r><w:t>Seen by Jos</w:t></w:r><w:r><w:t>é Núñez.</w:t>"
                           "</w:r></w:p>"))["word/document.xml"]
    assert found("jose nunez", body) and found("José Núñez", body)
    # Negative controls: a different letter is a different name.
    assert not found("Jose Nunes", body) and not found("José Nuñoz", norm("Seen by Jose Nunez."))


# ------------------------------------------------------------------ every part, nested

def test_attribute_values_are_read():
    data = docx('<w:p><w:ins w:id="1" w:author="Ottoline Vexworth"><w:r><w:t>ok</w:t></w:r></w:ins>'
                '</w:p>', {"docProps/custom.xml": '<Properties xmlns="urn:p"><property '
                                                  'name="Reviewer: Quentin Zarkovsky" pid="2"/></Properties>'})
    parts = docx_texts(data)
    assert found("Ottoline Vexworth", parts["word/document.xml"])
    assert found("Quentin Zarkovsky", parts["docProps/custom.xml"])
    assert leaks(["Ottoline Vexwerth", "Quentin Zarkowsky"], data) == []


def test_text_in_comments_tails_and_mixed_content_is_read():
    data = docx("<w:p><w:r><w:t>ok</w:t></w:r></w:p><!-- drafted by Ottoline Vexworth -->",
                {"customXml/item1.xml": "<a><b/>Quentin Zarkovsky<?note 07700 900777?></a>"})
    assert {name for _, name in leaks(["Ottoline Vexworth", "Quentin Zarkovsky", "07700 900777"],
                                      data)} == {"word/document.xml", "customXml/item1.xml"}
    assert leaks(["Ottoline Vexwerth", "07700 900778"], data) == []


def test_non_xml_parts_are_decoded_whatever_their_encoding():
    data = docx("<w:p/>", {
        "word/notes.txt": "Notes: José Núñez".encode("utf-16"),
        "word/legacy.txt": "Notes: Zoë Ångström".encode("latin-1"),
        "word/embeddings/oleObject1.bin": b"\xd0\xcf\x11\xe0" + b"\x00" * 40
        + "Quentin Zarkovsky".encode("utf-16-le") + b"\x00\x07" * 20})
    parts = docx_texts(data)
    assert found("jose nunez", parts["word/notes.txt"])
    assert found("Zoe Angstrom", parts["word/legacy.txt"])
    assert found("Quentin Zarkovsky", parts["word/embeddings/oleObject1.bin"])
    assert leaks(["Jose Nunes", "Zoe Engstrom", "Quentin Zarkowsky"], data) == []


def test_nested_packages_are_read_recursively():
    inner = docx("<w:p><w:r><w:t>Inner Ottoline </w:t></w:r><w:r><w:t>Vexworth</w:t></w:r></w:p>")
    embedded = docx("<w:p><w:r><w:t>outer</w:t></w:r></w:p>",
                    {"word/embeddings/Microsoft_Word_Document.docx": inner})
    # An OLE object wrapping a package: no zip directory at the end, only local headers.
    ole = (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + "Quentin Zarkovsky".encode("utf-16-le")
           + b"\x00" * 500 + inner + b"\x00" * 700)
    in_ole = docx("<w:p/>", {"word/embeddings/oleObject1.bin": ole})
    # The OLE object's own strings are read as well as the package inside it.
    assert leaks(["Quentin Zarkovsky"], in_ole) == [("Quentin Zarkovsky",
                                                     "word/embeddings/oleObject1.bin")]
    bundle = package({"a/copy.docx": inner})
    zip_in_zip = package({"outer.zip": package({"deeper.zip": bundle})})
    for data, where in ((embedded, "word/embeddings/Microsoft_Word_Document.docx!word/document.xml"),
                        (in_ole, "word/embeddings/oleObject1.bin!word/document.xml"),
                        (bundle, "a/copy.docx!word/document.xml"),
                        (zip_in_zip, "outer.zip!deeper.zip!a/copy.docx!word/document.xml")):
        assert ("Ottoline Vexworth", where) in leaks(["Ottoline Vexworth"], data), where
        assert found("Vexworth", readable(data))
        assert leaks(["Ottoline Vexwerth", "Inner Vexworth"], data) == [], where


def test_member_names_are_read():
    data = package({"Ottoline Vexworth/notes.txt": b"nothing here"})
    assert leaks(["Ottoline Vexworth"], data) == [("Ottoline Vexworth", "[names]")]
    assert leaks(["Ottoline Vexwerth"], data) == []


# ------------------------------------------------------------------ PDF

def planted_pdf() -> bytes:
    attached = docx("<w:p><w:r><w:t>Attached Quentin Zarkovsky</w:t></w:r></w:p>")
    doc = pymupdf.open()
    page = doc.new_page()
    page.insert_text((72, 100), "Prepared by José Núñez.", fontname="helv")
    page.insert_text((72, -40), "Off the page: 07700 900777", fontname="helv")
    page.add_text_annot((72, 200), "Ask Ottoline Vexworth")
    doc.set_metadata({"author": "Barnaby Thistlewood", "title": "CIA"})
    doc.set_xml_metadata('<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf='
                         '"http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description '
                         'xmlns:pdf="http://ns.adobe.com/pdf/1.3/" pdf:Keywords="Wrennfield Lodge"/>'
                         '</rdf:RDF></x:xmpmeta>')
    doc.embfile_add("notes.docx", attached, filename="notes.docx")
    data = doc.tobytes()
    doc.close()
    return data


def test_a_pdf_is_read_in_its_text_metadata_annotations_and_attachments():
    data = planted_pdf()
    text = pdf_text(data)
    for value in ("jose nunez", "07700 900777", "Ottoline Vexworth", "Barnaby Thistlewood",
                  "Wrennfield Lodge", "Quentin Zarkovsky"):
        assert found(value, text), value
    assert found("Quentin Zarkovsky", readable(data))
    for near_miss in ("Jose Nunes", "07700 900778", "Ottoline Vexwerth", "Barnaby Thistlewoods",
                      "Wrennfield Lodges", "Quentin Zarkowsky"):
        assert not found(near_miss, text), near_miss


def test_a_word_broken_over_two_lines_of_a_pdf_is_found():
    doc = pymupdf.open()
    page = doc.new_page()
    page.insert_text((72, 100), "Reply to Quarring-\nton at once, or to Zebe\ndee.", fontname="helv")
    text = pdf_text(doc.tobytes())
    assert found("Quarrington", text) and found("Zebedee", text)
    assert not found("Quarringtons", text)


# ------------------------------------------------------------------ the service's folding

# Strings the folding must get right: accents precomposed and decomposed, ligatures,
# full-width forms, every kind of space, dash, quote and invisible character.
TRICKY = [
    "José Núñez", "Jose\u0301 Nu\u0301n\u0303ez", "ﬁnance ﬀ ﬃ", "ＺＱ＠example．org", "Straße",
    "İstanbul", "ǅemal", "ᾼ", "Ω Å K", "ŉ", "x\u00a0\u2009\u202f\u3000\u2028y", "a\u200b\u200db\u00ad",
    "a\u2010b\u2011c\u2013d\u2014e\u2212f\u2e3ag\u30fch\uff0di\ufe63j", "‘quote’ ‚low‛ ′ ʼ ＇ ` ´",
    "\ufeffBOM", "tab\tnew\nline\r\n", "  padded  ", "①②③ ⅻ ㎏", "𝐀𝐁𝐂 𝟏𝟐", "\U000e0041tag",
    "\U0001d165\U0001d16d stem", "가각 ㄱ", "עִבְרִית", "العَرَبِيَّة", "हिन्दी", "Ελληνικά ΐ",
    "Ǆ ǆ ǈ", "ﷺ", "\x1c\x1d\x1e\x1f", "a\u0345", "\u0344", "\u0f73",
]
LETTERS = "".join(TRICKY) + "".join(chr(c) for c in range(0x2000, 0x2070))


def service_fold(text: str) -> str:
    # The service's function, imported only here to compare; never used to check a leak.
    from cia_redaction.normalise import fold
    return fold(text)


@pytest.mark.parametrize("text", TRICKY)
def test_the_checker_folds_tricky_strings_as_the_service_does(text):
    assert norm(text) == service_fold(text)


@given(st.text())
@example("José Núñez")
def test_the_checker_folds_any_text_as_the_service_does(text):
    assert norm(text) == service_fold(text)


@given(st.text(alphabet=st.sampled_from(LETTERS) | st.characters(), max_size=40))
def test_the_checker_folds_mixes_of_tricky_characters_as_the_service_does(text):
    assert norm(text) == service_fold(text)


# Every character of the ranges where folding does something (Latin, Greek,
# Cyrillic, combining marks, general punctuation and spaces, letter-like and
# enclosed forms, compatibility ideographs, presentation and full-width forms,
# mathematical letters, musical symbols, tags), one by one.
RANGES = [(0, 0x3400), (0xA000, 0xAC00), (0xD7B0, 0xD800), (0xF900, 0x10000),
          (0x1D000, 0x1D800), (0x1F100, 0x1F300), (0xE0000, 0xE0200)]


def test_the_checker_folds_every_character_of_the_scripts_in_use_as_the_service_does():
    differ = [hex(c) for lo, hi in RANGES for c in range(lo, hi)
              if norm(f"a{chr(c)}b") != service_fold(f"a{chr(c)}b")]
    assert differ == []


def test_the_old_checker_would_have_missed_an_accented_value():
    # NFKC keeps "é": the old checker's fold did not meet the service's.
    import unicodedata
    assert unicodedata.normalize("NFKC", "José").casefold() != norm("Jose")
    assert norm("José") == norm("Jose") == "jose"


def test_texts_of_a_plain_string_and_of_bytes_agree():
    assert texts("Seen by Jose\u0301.") == {"": "seen by jose."}
    assert found("jose", readable(b"Seen by Jos\xc3\xa9."))
    assert not found("josef", readable(b"Seen by Jos\xc3\xa9."))
