"""Hostile legacy documents, built in code (no tests here).

``hostile_pdf`` hides the planted values every way a PDF can show or carry text
other than as plain page text: glyphs drawn in shuffled order, a name hyphenated
over a line break, a font whose ToUnicode map lies, ``/ActualText``, an
optional-content layer switched off (its name planted too), text outside the crop
box, white text, 0.5 pt text, text under an image, a form XObject, annotations, a
form field, a link, an incremental update whose earlier revision still holds a
value, XMP, document info, an outline, an attached file, page labels, named
destinations and ``/Lang``; and the same values in an ordinary paragraph (the
positive control).

``hostile_docx`` does the same for a Word package: its main part stored under
another name (``word/body.bin``, found through ``_rels/.rels``; a decoy
``word/document.xml`` beside it), an OLE-embedded workbook and its preview, a
thumbnail picturing the values, image metadata (PNG ``tEXt``, JPEG comment and
EXIF), a part nothing references, a part named after the value, zip and entry
comments, numbering level text and names, a chart's cached values, VML ``alt`` and
``o:title``, content-control list items, form-field data, a document variable,
style, bookmark and hyperlink-anchor names, smart-tag attributes; and what
``planted_docx`` already hides (comments, tracked deletions, a text box, headers,
footers, footnotes, properties, custom XML).
"""
from __future__ import annotations

import io
import os
import random
import re
import tempfile
import zipfile

import pymupdf
from PIL import Image, ImageDraw, ImageFont

from tests.unit.test_legacy_support import planted_docx

NAME = "Ottoline Quillfeather"
SURNAME = "Quillfeather"
PHONE = "020 7946 0321"
EMAIL = "ottoline.q@example.org"
POSTCODE = "SE1 7PB"
VALUES = [NAME, SURNAME, PHONE, EMAIL, POSTCODE]
OPEN = "An open sentence about the deployment"
SECRET_LINE = f"{NAME} {PHONE}"
W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"


# ---------------------------------------------------------------- PDF

def _shuffled(page: pymupdf.Page, x: float, y: float, text: str, size: float = 11) -> None:
    """``text`` drawn one glyph at a time, left to right on the page, in random order."""
    glyphs = [(x + pymupdf.get_text_length(text[:i], "helv", size), ch) for i, ch in enumerate(text)]
    random.Random(7).shuffle(glyphs)
    for gx, ch in glyphs:
        if ch != " ":
            page.insert_text((gx, y), ch, fontname="helv", fontsize=size)


def _append(doc: pymupdf.Document, page: pymupdf.Page, content: bytes) -> None:
    page.clean_contents()
    xref = page.get_contents()[0]
    doc.update_stream(xref, doc.xref_stream(xref) + b"\n" + content)


def _lying_font(doc: pymupdf.Document, page: pymupdf.Page) -> None:
    """Courier's text on the page extracts as other characters (each code + 1)."""
    cmap = (b"/CIDInit /ProcSet findresource begin 12 dict begin begincmap /CMapName /Lie def "
            b"1 begincodespacerange <00> <FF> endcodespacerange 1 beginbfrange <20> <7E> <0021> "
            b"endbfrange endcmap CMapName currentdict /CMap defineresource pop end end")
    for xref, _ext, _type, basefont, _name, _enc in page.get_fonts():
        if "Courier" in basefont:
            stream = doc.get_new_xref()
            doc.update_object(stream, "<<>>")
            doc.update_stream(stream, cmap)
            doc.xref_set_key(xref, "ToUnicode", f"{stream} 0 R")


def hostile_pdf() -> bytes:
    doc = pymupdf.open()
    page = doc.new_page()  # A4 portrait
    put = lambda y, text, **kw: page.insert_text((72, y), text, fontname=kw.pop("fontname", "helv"),  # noqa: E731
                                                 fontsize=kw.pop("fontsize", 11), **kw)
    put(80, f"Contact: {NAME}, {PHONE}, {EMAIL}, {POSTCODE}.")  # the positive control
    put(100, f"{OPEN}.")
    _shuffled(page, 72, 125, NAME)
    put(150, "Minutes taken by Ottoline Quill-")
    put(164, "feather and circulated to the panel.")
    put(190, SECRET_LINE, fontname="cour")
    _lying_font(doc, page)
    ocg = doc.add_ocg(f"{NAME} notes", on=False)
    page.insert_text((72, 215), f"Hidden: {SECRET_LINE}", fontname="helv", fontsize=11, oc=ocg)
    put(240, f"White: {SECRET_LINE} {EMAIL}", color=(1, 1, 1))
    put(255, f"Tiny: {SECRET_LINE} {POSTCODE}", fontsize=0.5)
    put(280, f"Under: {SECRET_LINE}")
    grey = pymupdf.Pixmap(pymupdf.csRGB, pymupdf.IRect(0, 0, 40, 10), False)
    grey.set_rect(grey.irect, (200, 200, 200))
    page.insert_image(pymupdf.Rect(60, 266, 420, 286), pixmap=grey)
    form = pymupdf.open()
    form.new_page(width=300, height=30).insert_text((5, 20), f"Form: {SECRET_LINE}", fontsize=11)
    page.show_pdf_page(pymupdf.Rect(72, 300, 372, 330), form, 0)
    # /ActualText: what copy-paste and screen readers return instead of the drawn text.
    _append(doc, page, f"BT /helv 11 Tf 1 0 0 1 72 {842 - 350} Tm /Span <</ActualText "
                       f"({SECRET_LINE} {EMAIL})>> BDC (see the annex) Tj EMC ET".encode())
    page.add_freetext_annot(pymupdf.Rect(300, 380, 560, 400), f"Note {SECRET_LINE}")
    page.add_text_annot((300, 420), f"Call {PHONE}")
    widget = pymupdf.Widget()
    widget.field_type = pymupdf.PDF_WIDGET_TYPE_TEXT
    widget.field_name = "contact"
    widget.field_value = NAME
    widget.rect = pymupdf.Rect(72, 440, 300, 460)
    page.add_widget(widget)
    page.insert_link({"kind": pymupdf.LINK_URI, "from": pymupdf.Rect(72, 470, 200, 480),
                      "uri": f"mailto:{EMAIL}"})
    put(520, "Earlier draft: " + SECRET_LINE)

    second = doc.new_page()
    second.insert_text((72, 80), f"{OPEN}, page two.", fontname="helv", fontsize=11)
    second.insert_text((72, 780), f"Off the crop box: {SECRET_LINE}", fontname="helv", fontsize=11)
    second.set_cropbox(pymupdf.Rect(0, 0, 595, 700))

    doc.set_metadata({"author": NAME, "title": f"CIA by {NAME}", "subject": PHONE})
    doc.set_xml_metadata(f'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/'
                         f'1999/02/22-rdf-syntax-ns#"><rdf:Description xmlns:dc="http://purl.org/dc/'
                         f'elements/1.1/" dc:creator="{NAME}"/></rdf:RDF></x:xmpmeta>')
    doc.set_toc([[1, f"Contact {SECRET_LINE}", 1]])
    doc.embfile_add("contacts.txt", f"{SECRET_LINE} {EMAIL} {POSTCODE}".encode(), filename="contacts.txt")
    doc.set_page_labels([{"startpage": 0, "prefix": f"{SURNAME}-", "style": "D", "firstpagenum": 1}])
    catalog = doc.pdf_catalog()
    doc.xref_set_key(catalog, "Lang", f"({NAME})")
    doc.xref_set_key(catalog, "Dests", f"<</{SURNAME} [{doc.page_xref(0)} 0 R /Fit]>>")
    # An incremental update: the earlier draft's line is removed, its old revision kept.
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "hostile.pdf")
        doc.save(path)
        doc.close()
        updated = pymupdf.open(path)
        first = updated[0]
        for rect in first.search_for("Earlier draft"):
            first.add_redact_annot(pymupdf.Rect(rect.x0, rect.y0, 560, rect.y1))
        first.apply_redactions()
        updated.save(path, incremental=True, encryption=pymupdf.PDF_ENCRYPT_KEEP)
        updated.close()
        with open(path, "rb") as f:
            return f.read()


def ordinary_pdf(pages: int = 20) -> bytes:
    """``pages`` ordinary pages: numbered lines of plain text, one page landscape."""
    doc = pymupdf.open()
    for n in range(pages):
        page = doc.new_page(width=842, height=595) if n == 5 else doc.new_page()
        page.insert_text((72, 80), f"Deployment review, page {n + 1}", fontname="helv", fontsize=14)
        for i in range(4):
            page.insert_text((72, 110 + 18 * i), f"Line {i + 1}: the ward panel discussed signage "
                                                 "and the public notices.", fontname="helv", fontsize=11)
    data = doc.tobytes()
    doc.close()
    return data


# ---------------------------------------------------------------- DOCX

def _picture(text: str, size=(900, 220)) -> Image.Image:
    image = Image.new("RGB", size, "white")
    ImageDraw.Draw(image).text((20, 60), text, fill="black", font=ImageFont.load_default(size=48))
    return image


def _png_with_text() -> bytes:
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Author", NAME)
    info.add_text("Comment", PHONE)
    out = io.BytesIO()
    Image.new("RGB", (40, 20), "navy").save(out, "PNG", pnginfo=info)
    return out.getvalue()


def _jpeg_with_metadata() -> bytes:
    exif = Image.Exif()
    exif[0x013B] = NAME  # Artist
    exif[0x010E] = PHONE  # ImageDescription
    out = io.BytesIO()
    Image.new("RGB", (40, 20), "olive").save(out, "JPEG", exif=exif.tobytes(),
                                             comment=f"{NAME} {EMAIL}".encode())
    return out.getvalue()


def _thumbnail() -> bytes:
    out = io.BytesIO()
    _picture(SECRET_LINE).save(out, "JPEG", quality=90)
    return out.getvalue()


def _workbook() -> bytes:
    import openpyxl

    book = openpyxl.Workbook()
    book.active["A1"] = NAME
    book.active["B1"] = PHONE
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


_BODY_EXTRA = f'''
<w:p><w:pPr><w:pStyle w:val="OttolineQuillfeather"/><w:numPr><w:ilvl w:val="0"/><w:numId w:val="7"/></w:numPr></w:pPr>
  <w:bookmarkStart w:id="90" w:name="Ottoline_Quillfeather"/><w:r><w:t>A numbered item.</w:t></w:r><w:bookmarkEnd w:id="90"/></w:p>
<w:p><w:hyperlink w:anchor="Ottoline_Quillfeather"><w:r><w:t>See the contact.</w:t></w:r></w:hyperlink></w:p>
<w:p><w:smartTag w:uri="urn:schemas-microsoft-com:office:smarttags" w:element="PersonName">
  <w:smartTagPr><w:attr w:name="FullName" w:val="{NAME}"/><w:attr w:name="Phone" w:val="{PHONE}"/></w:smartTagPr>
  <w:r><w:t>the contact</w:t></w:r></w:smartTag></w:p>
<w:sdt><w:sdtPr><w:alias w:val="Contact"/><w:dropDownList><w:listItem w:displayText="{NAME}" w:value="{PHONE}"/>
  <w:listItem w:displayText="Nobody" w:value="0"/></w:dropDownList></w:sdtPr>
  <w:sdtContent><w:p><w:r><w:t>Nobody</w:t></w:r></w:p></w:sdtContent></w:sdt>
<w:p><w:r><w:fldChar w:fldCharType="begin"><w:ffData><w:name w:val="{SURNAME}"/><w:enabled/>
  <w:helpText w:type="text" w:val="Ask {NAME} on {PHONE}"/><w:statusText w:type="text" w:val="{EMAIL}"/>
  <w:textInput><w:default w:val="{NAME}"/></w:textInput></w:ffData></w:fldChar></w:r>
  <w:r><w:instrText xml:space="preserve"> FORMTEXT </w:instrText></w:r><w:r><w:fldChar w:fldCharType="separate"/></w:r>
  <w:r><w:t>a form field</w:t></w:r><w:r><w:fldChar w:fldCharType="end"/></w:r></w:p>
<w:p><w:r><w:pict><v:shape xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office"
  id="s1" style="width:20pt;height:20pt" alt="{NAME}" o:title="{PHONE}"/></w:pict></w:r></w:p>
<w:p><w:r><w:object xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office">
  <v:shape id="ole1" style="width:80pt;height:30pt"><v:imagedata r:id="rIdOlePreview" o:title=""/></v:shape>
  <o:OLEObject Type="Embed" ProgID="Excel.Sheet.12" ShapeID="ole1" DrawAspect="Content" ObjectID="_1" r:id="rIdOle"/>
  </w:object></w:r></w:p>
<w:p><w:r><w:drawing><wp:inline xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing">
  <wp:extent cx="3000000" cy="1500000"/><wp:docPr id="77" name="Chart 1"/>
  <a:graphic xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main">
  <a:graphicData uri="http://schemas.openxmlformats.org/drawingml/2006/chart">
  <c:chart xmlns:c="http://schemas.openxmlformats.org/drawingml/2006/chart" r:id="rIdChart"/>
  </a:graphicData></a:graphic></wp:inline></w:drawing></w:r></w:p>
'''
_CHART = f'''<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<c:chartSpace xmlns:c="http://schemas.openxmlformats.org/drawingml/2006/chart"
 xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main"><c:chart><c:plotArea><c:layout/>
<c:barChart><c:barDir val="col"/><c:grouping val="clustered"/><c:ser><c:idx val="0"/><c:order val="0"/>
<c:tx><c:strRef><c:f>Sheet1!$B$1</c:f><c:strCache><c:ptCount val="1"/><c:pt idx="0"><c:v>{NAME}</c:v></c:pt></c:strCache></c:strRef></c:tx>
<c:cat><c:strRef><c:f>Sheet1!$A$2</c:f><c:strCache><c:ptCount val="1"/><c:pt idx="0"><c:v>{PHONE}</c:v></c:pt></c:strCache></c:strRef></c:cat>
<c:val><c:numRef><c:f>Sheet1!$B$2</c:f><c:numCache><c:ptCount val="1"/><c:pt idx="0"><c:v>3</c:v></c:pt></c:numCache></c:numRef></c:val>
</c:ser><c:axId val="1"/><c:axId val="2"/></c:barChart></c:plotArea></c:chart></c:chartSpace>'''
_NUMBERING = f'''<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:numbering xmlns:w="{W}"><w:abstractNum w:abstractNumId="3"><w:name w:val="{NAME} list"/>
<w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="decimal"/><w:lvlText w:val="{SURNAME} %1."/></w:lvl>
</w:abstractNum><w:num w:numId="7"><w:abstractNumId w:val="3"/></w:num></w:numbering>'''


def hostile_docx() -> bytes:
    import docx

    d = docx.Document(io.BytesIO(planted_docx(NAME)))
    d.add_paragraph(f"Contact: {NAME}, {PHONE}, {EMAIL}, {POSTCODE}.")  # the positive control
    d.add_paragraph(f"{OPEN}.")
    d.add_picture(io.BytesIO(_png_with_text()))
    d.add_picture(io.BytesIO(_jpeg_with_metadata()))
    styles = d.styles.element
    styles.append(styles.makeelement(f"{{{W}}}style", {f"{{{W}}}type": "paragraph",
                                                        f"{{{W}}}styleId": "OttolineQuillfeather"}))
    styles[-1].append(styles.makeelement(f"{{{W}}}name", {f"{{{W}}}val": NAME}))
    d.settings.element.append(d.settings.element.makeelement(f"{{{W}}}docVars", {}))
    d.settings.element[-1].append(d.settings.element.makeelement(
        f"{{{W}}}docVar", {f"{{{W}}}name": "contact", f"{{{W}}}val": f"{SECRET_LINE} {EMAIL}"}))
    buf = io.BytesIO()
    d.save(buf)
    parts = {}
    with zipfile.ZipFile(io.BytesIO(buf.getvalue())) as zf:
        for info in zf.infolist():
            parts[info.filename] = zf.read(info)

    body = parts["word/document.xml"].decode()
    body = body.replace("<w:sectPr", _BODY_EXTRA.replace("\n", "") + "<w:sectPr", 1)
    rels = parts.pop("word/_rels/document.xml.rels").decode()
    # The picture named after the value.
    image = next(n for n in parts if n.startswith("word/media/") and n.endswith(".png"))
    parts["word/media/Ottoline_Quillfeather.png"] = parts.pop(image)
    rels = rels.replace(image.removeprefix("word/"), "media/Ottoline_Quillfeather.png")
    extra_rels = (
        f'<Relationship Id="rIdOle" Type="{REL}package" Target="embeddings/Microsoft_Excel_Worksheet.xlsx"/>'
        f'<Relationship Id="rIdOlePreview" Type="{REL}image" Target="media/image9.emf"/>'
        f'<Relationship Id="rIdChart" Type="{REL}chart" Target="charts/chart1.xml"/>'
        f'<Relationship Id="rIdNum" Type="{REL}numbering" Target="numbering.xml"/>')
    rels = rels.replace("</Relationships>", extra_rels + "</Relationships>")
    parts["word/embeddings/Microsoft_Excel_Worksheet.xlsx"] = _workbook()
    parts["word/media/image9.emf"] = b"\x01\x00\x00\x00" + f" EMF {SECRET_LINE} ".encode("utf-16-le")
    parts["word/charts/chart1.xml"] = _CHART.encode()
    parts["word/numbering.xml"] = _NUMBERING.encode()
    # The main document under another name, found only through _rels/.rels; a decoy beside it.
    parts["word/body.bin"] = body.encode()
    parts["word/_rels/body.bin.rels"] = rels.encode()
    parts["word/document.xml"] = (f'<?xml version="1.0"?><w:document xmlns:w="{W}"><w:body><w:p><w:r>'
                                  '<w:t>A decoy.</w:t></w:r></w:p></w:body></w:document>').encode()
    root = parts["_rels/.rels"].decode().replace('Target="word/document.xml"', 'Target="word/body.bin"')
    root = root.replace("</Relationships>",
                        '<Relationship Id="rIdThumb" Type="http://schemas.openxmlformats.org/package/2006/'
                        'relationships/metadata/thumbnail" Target="docProps/thumbnail.jpeg"/></Relationships>')
    parts["_rels/.rels"] = root.encode()
    parts["docProps/thumbnail.jpeg"] = _thumbnail()
    parts["word/notes-old.xml"] = f'<notes>{SECRET_LINE} {POSTCODE}</notes>'.encode()
    types = parts["[Content_Types].xml"].decode()
    types = re.sub(r'PartName="/word/document.xml"', 'PartName="/word/body.bin"', types)
    types = types.replace("</Types>",
                          '<Default Extension="emf" ContentType="image/x-emf"/>'
                          '<Default Extension="jpeg" ContentType="image/jpeg"/>'
                          '<Override PartName="/word/embeddings/Microsoft_Excel_Worksheet.xlsx" ContentType='
                          '"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"/>'
                          '<Override PartName="/word/charts/chart1.xml" ContentType='
                          '"application/vnd.openxmlformats-officedocument.drawingml.chart+xml"/>'
                          '<Override PartName="/word/numbering.xml" ContentType='
                          '"application/vnd.openxmlformats-officedocument.wordprocessingml.numbering+xml"/>'
                          "</Types>")
    parts["[Content_Types].xml"] = types.encode()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.comment = f"{SECRET_LINE}".encode()
        for name, data in parts.items():
            info = zipfile.ZipInfo(name, date_time=(2019, 3, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.comment = PHONE.encode() if name == "word/body.bin" else b""
            zf.writestr(info, data)
    return out.getvalue()
