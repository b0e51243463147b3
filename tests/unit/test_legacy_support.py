"""Fixture builders for the legacy-document tests (no tests here).

``planted_docx`` writes a Word document with a planted value in the body (split
across runs), a table, a header, a footer, a footnote, a comment, a tracked
insertion, a tracked deletion, a text box, the core and custom properties and a
custom XML part;
``planted_pdf`` writes a PDF with PyMuPDF whose planted value is split across
text runs and across lines, and also sits in the document info, the XMP
metadata, an annotation, a form field and an attached file; ``scan_page`` adds
a page that is only an image. ``raw_streams`` is every stream of a PDF,
decompressed.
"""
from __future__ import annotations

import io
import zipfile

import docx
import pymupdf
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls

from tests.leaks import pdf_raw, raw_found

# The value planted everywhere (the FOI officer's term), a name after a rank below
# the cut-off (the detectors' find) and a phone number.
PLANTED = "Ottoline Vexworth"
RANKED = "PC Jorvik Tannenbaum"
SURNAME = "Tannenbaum"
PHONE = "020 7946 0321"
LEAKS = [PLANTED, "Vexworth", "Jorvik Tannenbaum", SURNAME, PHONE]

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_FOOTNOTES = (
    f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    f'<w:footnotes xmlns:w="{W_NS}">'
    '<w:footnote w:type="separator" w:id="-1"><w:p><w:r><w:separator/></w:r></w:p></w:footnote>'
    '<w:footnote w:type="continuationSeparator" w:id="0"><w:p><w:r><w:continuationSeparator/>'
    '</w:r></w:p></w:footnote>'
    '<w:footnote w:id="1"><w:p><w:r><w:t xml:space="preserve">Source: {value}, by e-mail.</w:t>'
    '</w:r></w:p></w:footnote></w:footnotes>')


def planted_docx(value: str = PLANTED) -> bytes:
    d = docx.Document()
    first, rest = value.split(" ", 1)
    p = d.add_paragraph("Prepared with ")
    # The value in three runs, one of them bold: no run holds it whole.
    p.add_run(first[:4])
    p.add_run(first[4:] + " " + rest[:3]).bold = True
    p.add_run(rest[3:] + f" and {RANKED}, on {PHONE}.")
    table = d.add_table(rows=1, cols=2)
    table.cell(0, 0).text = "Community contact"
    table.cell(0, 1).text = value
    section = d.sections[0]
    section.header.paragraphs[0].text = f"Author: {value}"
    section.footer.paragraphs[0].text = f"Checked by {SURNAME}"
    commented = d.add_paragraph("The site was agreed.")
    d.add_comment(commented.runs, text=f"Ask {value} first", author=value, initials="OV")
    tracked = d.add_paragraph("Reviewed by ")
    tracked._p.append(parse_xml(
        f'<w:ins {nsdecls("w")} w:id="91" w:author="{value}" w:date="2019-03-01T10:00:00Z">'
        f'<w:r><w:t xml:space="preserve">{value}</w:t></w:r></w:ins>'))
    tracked._p.append(parse_xml(
        f'<w:del {nsdecls("w")} w:id="92" w:author="Someone" w:date="2019-03-01T10:00:00Z">'
        f'<w:r><w:delText xml:space="preserve"> formerly {value}</w:delText></w:r></w:del>'))
    boxed = d.add_paragraph()
    boxed._p.append(parse_xml(
        f'<w:r {nsdecls("w")} xmlns:v="urn:schemas-microsoft-com:vml"><w:pict>'
        '<v:shape id="box1" style="width:200pt;height:40pt" type="#_x0000_t202"><v:textbox>'
        f'<w:txbxContent><w:p><w:r><w:t>Box: {value}</w:t></w:r></w:p></w:txbxContent>'
        '</v:textbox></v:shape></w:pict></w:r>'))
    noted = d.add_paragraph("Engagement was recorded")
    noted._p.append(parse_xml(f'<w:r {nsdecls("w")}><w:footnoteReference w:id="1"/></w:r>'))
    d.add_paragraph("An open sentence about the deployment.")
    props = d.core_properties
    props.author = value
    props.last_modified_by = value
    props.title = f"CIA written by {value}"
    props.comments = value
    props.keywords = value
    buf = io.BytesIO()
    d.save(buf)
    return _with_footnotes(buf.getvalue(), value)


def _with_footnotes(data: bytes, value: str) -> bytes:
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = src.read(info)
            if info.filename == "[Content_Types].xml":
                body = body.replace(b"</Types>", (
                    b'<Override PartName="/word/footnotes.xml" ContentType="application/'
                    b'vnd.openxmlformats-officedocument.wordprocessingml.footnotes+xml"/>'
                    b'<Override PartName="/docProps/custom.xml" ContentType="application/'
                    b'vnd.openxmlformats-officedocument.custom-properties+xml"/></Types>'))
            elif info.filename == "_rels/.rels":
                body = body.replace(b"</Relationships>", (
                    b'<Relationship Id="rIdCustom" Type="http://schemas.openxmlformats.org/'
                    b'officeDocument/2006/relationships/custom-properties" Target="docProps/custom.xml"/>'
                    b"</Relationships>"))
            elif info.filename == "word/_rels/document.xml.rels":
                body = body.replace(b"</Relationships>", (
                    b'<Relationship Id="rIdFn1" Type="http://schemas.openxmlformats.org/'
                    b'officeDocument/2006/relationships/footnotes" Target="footnotes.xml"/>'
                    b"</Relationships>"))
            dst.writestr(info, body)
        dst.writestr("word/footnotes.xml", _FOOTNOTES.replace("{value}", value).encode())
        dst.writestr("docProps/custom.xml", (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Properties xmlns="http://'
            'schemas.openxmlformats.org/officeDocument/2006/custom-properties" xmlns:vt="http://'
            'schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"><property fmtid="'
            '{D5CDD505-2E9C-101B-9397-08002B2CF9AE}" pid="2" name="Owner"><vt:lpwstr>'
            f'{value}</vt:lpwstr></property></Properties>').encode())
        dst.writestr("customXml/item9.xml", f"<data><owner>{value}</owner></data>".encode())
    return out.getvalue()


def macro_docx() -> bytes:
    """A Word document that claims macros: a VBA project and the macro-enabled type."""
    src = zipfile.ZipFile(io.BytesIO(planted_docx("Harmless Words")))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            body = src.read(info)
            if info.filename == "[Content_Types].xml":
                body = body.replace(b"</Types>", b'<Default Extension="bin" ContentType="application/'
                                                 b'vnd.ms-office.vbaProject"/></Types>')
            dst.writestr(info, body)
        dst.writestr("word/vbaProject.bin", b"\x00" * 64)
    return out.getvalue()


def planted_pdf(value: str = PLANTED, *, scan: bool = False) -> bytes:
    doc = pymupdf.open()
    page = doc.new_page()
    first, rest = value.split(" ", 1)
    # One value in two text runs on a line, then across a line break.
    x = 72
    page.insert_text((x, 100), f"Contact {first[:4]}", fontname="helv", fontsize=11)
    x += pymupdf.get_text_length(f"Contact {first[:4]}", "helv", 11)
    page.insert_text((x, 100), f"{first[4:]} {rest}.", fontname="helv", fontsize=11)
    page.insert_text((72, 130), f"Prepared by {first}", fontname="helv", fontsize=11)
    page.insert_text((72, 145), f"{rest} with {RANKED} on {PHONE}.", fontname="helv", fontsize=11)
    page.insert_text((72, 175), "An open sentence about the deployment.", fontname="helv", fontsize=11)
    page.add_text_annot((300, 300), f"Note from {value}")
    widget = pymupdf.Widget()
    widget.field_name = "contact"
    widget.field_type = pymupdf.PDF_WIDGET_TYPE_TEXT
    widget.field_value = value
    widget.rect = pymupdf.Rect(72, 400, 300, 420)
    page.add_widget(widget)
    second = doc.new_page()
    second.insert_text((72, 100), f"Footer: checked by {SURNAME}.", fontname="helv", fontsize=11)
    if scan:
        scan_page(doc)
    doc.embfile_add("notes.txt", f"Attached by {value}".encode(), filename="notes.txt")
    doc.set_metadata({"author": value, "title": f"CIA by {value}", "subject": value,
                      "keywords": value, "creator": value, "producer": value})
    doc.set_xml_metadata(f'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
                         f'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
                         f'<rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/">'
                         f'<dc:creator>{value}</dc:creator></rdf:Description></rdf:RDF></x:xmpmeta>')
    data = doc.tobytes()
    doc.close()
    return data


SCAN_AREA = (100, 100, 300, 200)
SCAN_COLOUR = (200, 30, 30)
SCAN_SCALE = 4  # page points per image pixel: a small image keeps the tests fast


def scan_page(doc: pymupdf.Document) -> None:
    """A page that is only a picture (a red scan), no text layer."""
    page = doc.new_page()
    pix = pymupdf.Pixmap(pymupdf.csRGB, pymupdf.IRect(0, 0, 612 // SCAN_SCALE, 792 // SCAN_SCALE), False)
    pix.set_rect(pix.irect, SCAN_COLOUR)
    page.insert_image(page.rect, pixmap=pix)


def raw_streams(data: bytes) -> bytes:
    """Every object and stream of a PDF, streams decompressed (``tests.leaks.pdf_raw``)."""
    return pdf_raw(data)


def raw_contains(raw: bytes, value: str) -> bool:
    """Whether the value is in raw PDF bytes (``tests.leaks.raw_found``)."""
    return raw_found(raw, value)


def encrypted_pdf() -> bytes:
    doc = pymupdf.open()
    doc.new_page().insert_text((72, 72), "Secret", fontname="helv")
    data = doc.tobytes(encryption=pymupdf.PDF_ENCRYPT_AES_256, user_pw="pw", owner_pw="owner")
    doc.close()
    return data
