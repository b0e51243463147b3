"""Hostile legacy documents, built in code (no tests here).

Each way a file can carry text is a small function that plants a given text there:
``PDF_PLACES`` and ``DOCX_PLACES`` name them, ``PdfBuild`` and ``DocxBuild`` hold the
file being built. ``hostile_pdf`` and ``hostile_docx`` put the planted values in
every one of them; the property test (``tests/unit/test_legacy_property.py``)
draws its own values and places from the same functions.

A PDF: glyphs drawn in shuffled order, a name hyphenated over a line break, a font
whose ToUnicode map lies, ``/ActualText``, an optional-content layer switched off
(its name planted too), text outside the crop box, white text, 0.5 pt text, text
under an image, a form XObject, annotations, a form field, a link, an incremental
update whose earlier revision still holds a value, XMP, document info, an outline,
an attached file, page labels, named destinations and ``/Lang``.

A Word package: its main part stored under another name (``word/body.bin``, found
through ``_rels/.rels``; a decoy ``word/document.xml`` beside it), a value split
over runs, a table, a header, a footer, a footnote, a comment, tracked insertions
and deletions, a text box, hidden text, a field code, core and custom properties,
custom XML, an OLE-embedded workbook and its preview, a thumbnail picturing the
values, image metadata (PNG ``tEXt``, JPEG comment and EXIF), a picture's
description, a part nothing references, a part named after the value, zip and
entry comments, numbering level text and names, a chart's cached values, VML
``alt`` and ``o:title``, content-control list items, form-field data, a document
variable, style, bookmark and hyperlink-anchor names, smart-tag attributes.

Both carry the values in an ordinary paragraph too (the positive control) and an
open sentence no pass withholds.
"""
from __future__ import annotations

import io
import os
import random
import re
import tempfile
import zipfile
from dataclasses import dataclass
from typing import Callable
from xml.sax.saxutils import escape, quoteattr

import pymupdf
from PIL import Image, ImageDraw, ImageFont

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
_NS = f'xmlns:w="{W}" xmlns:r="{R}"'


def control(name: str = NAME, phone: str = PHONE, email: str = EMAIL, postcode: str = POSTCODE,
            rank: str | None = None) -> str:
    """The ordinary paragraph that names every value (the positive control); with a
    ``rank``, the name follows it (the pass finds the person there)."""
    who = f"{rank} {name}" if rank else name
    return f"Contact: {who}, {phone}, {email}, {postcode}."


def identifier(text: str) -> str:
    """``text`` as a name a file format allows (a bookmark, a PDF name): each run of
    characters such a name cannot hold becomes ``_``."""
    return re.sub(r"[^\w.@+-]+", "_", text).strip("_") or "_"


def camel(text: str) -> str:
    """``text`` as a style id: its words capitalised and run together."""
    return "".join(w[:1].upper() + w[1:] for w in re.split(r"[^\w@.+-]+", text) if w) or "X"


# ---------------------------------------------------------------- PDF

class PdfBuild:
    """A PDF being built: the page places draw on, a line cursor, and what is done
    once the file is saved (an incremental update)."""

    def __init__(self) -> None:
        self.doc = pymupdf.open()
        self.page = self.doc.new_page()  # A4 portrait
        self.y = 80.0
        self.after_save: list[Callable[[pymupdf.Document], None]] = []

    def line(self, height: float = 20) -> float:
        y, self.y = self.y, self.y + height
        return y

    def put(self, text: str, y: float | None = None, **kw) -> None:
        self.page.insert_text((72, self.line() if y is None else y), text,
                              fontname=kw.pop("fontname", "helv"), fontsize=kw.pop("fontsize", 11), **kw)

    def new_page(self) -> None:
        self.page = self.doc.new_page()
        self.y = 80.0

    def data(self) -> bytes:
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "hostile.pdf")
            self.doc.save(path)
            self.doc.close()
            if self.after_save:
                updated = pymupdf.open(path)
                for step in self.after_save:
                    step(updated)
                updated.save(path, incremental=True, encryption=pymupdf.PDF_ENCRYPT_KEEP)
                updated.close()
            with open(path, "rb") as f:
                return f.read()


def pdf_paragraph(b: PdfBuild, text: str) -> None:
    """Plain text on the page (no hiding: the positive control, the open sentence)."""
    b.put(text)


def pdf_shuffled(b: PdfBuild, text: str, size: float = 11) -> None:
    """``text`` drawn one glyph at a time, left to right on the page, in random order."""
    x, y = 72, b.line(25)
    glyphs = [(x + pymupdf.get_text_length(text[:i], "helv", size), ch) for i, ch in enumerate(text)]
    random.Random(7).shuffle(glyphs)
    for gx, ch in glyphs:
        if ch != " ":
            b.page.insert_text((gx, y), ch, fontname="helv", fontsize=size)


def pdf_hyphenated(b: PdfBuild, name: str) -> None:
    """A name whose last word is broken with a hyphen over a line break."""
    head, _, last = name.rpartition(" ")
    cut = max(2, len(last) // 2)
    b.put(f"Minutes taken by {head} {last[:cut]}-".replace("  ", " "), b.line(14))
    b.put(f"{last[cut:]} and circulated to the panel.", b.line(26))


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


def pdf_lying_font(b: PdfBuild, text: str) -> None:
    """``text`` drawn in a font whose ToUnicode map says other characters."""
    b.put(text, fontname="cour")
    _lying_font(b.doc, b.page)


def pdf_hidden_layer(b: PdfBuild, text: str) -> None:
    """``text`` in an optional-content layer switched off, the layer named after it."""
    ocg = b.doc.add_ocg(f"{text} notes", on=False)
    b.page.insert_text((72, b.line(25)), f"Hidden: {text}", fontname="helv", fontsize=11, oc=ocg)


def pdf_white(b: PdfBuild, text: str) -> None:
    b.put(f"White: {text}", color=(1, 1, 1))


def pdf_tiny(b: PdfBuild, text: str) -> None:
    b.put(f"Tiny: {text}", fontsize=0.5)


def pdf_under_image(b: PdfBuild, text: str) -> None:
    """``text`` with a grey picture drawn over it."""
    y = b.line(26)
    b.put(f"Under: {text}", y)
    grey = pymupdf.Pixmap(pymupdf.csRGB, pymupdf.IRect(0, 0, 40, 10), False)
    grey.set_rect(grey.irect, (200, 200, 200))
    b.page.insert_image(pymupdf.Rect(60, y - 14, 560, y + 6), pixmap=grey)


def pdf_form_xobject(b: PdfBuild, text: str) -> None:
    """``text`` on a page of another PDF shown as a form XObject."""
    y = b.line(34)
    form = pymupdf.open()
    form.new_page(width=480, height=30).insert_text((5, 20), f"Form: {text}", fontsize=11)
    b.page.show_pdf_page(pymupdf.Rect(72, y - 20, 552, y + 10), form, 0)
    form.close()


def _append(doc: pymupdf.Document, page: pymupdf.Page, content: bytes) -> None:
    page.clean_contents()
    xref = page.get_contents()[0]
    doc.update_stream(xref, doc.xref_stream(xref) + b"\n" + content)


def pdf_actual_text(b: PdfBuild, text: str) -> None:
    """``/ActualText``: what copy-paste and screen readers return instead of the drawn text."""
    y = b.page.rect.height - b.line(25)
    literal = pymupdf.get_pdf_str(text)
    _append(b.doc, b.page, f"BT /helv 11 Tf 1 0 0 1 72 {y} Tm /Span <</ActualText "
                           f"{literal}>> BDC (see the annex) Tj EMC ET".encode("latin-1", "replace"))


def pdf_annotations(b: PdfBuild, text: str) -> None:
    """A free-text annotation and a note."""
    y = b.line(45)
    b.page.add_freetext_annot(pymupdf.Rect(300, y - 12, 560, y + 8), f"Note {text}")
    b.page.add_text_annot((270, y), f"Call {text}")


def pdf_form_field(b: PdfBuild, text: str) -> None:
    widget = pymupdf.Widget()
    widget.field_type = pymupdf.PDF_WIDGET_TYPE_TEXT
    widget.field_name = "contact"
    widget.field_value = text
    y = b.line(25)
    widget.rect = pymupdf.Rect(72, y - 12, 300, y + 8)
    b.page.add_widget(widget)


def pdf_link(b: PdfBuild, text: str) -> None:
    y = b.line(15)
    b.page.insert_link({"kind": pymupdf.LINK_URI, "from": pymupdf.Rect(72, y - 10, 200, y),
                        "uri": f"mailto:{text}"})


def pdf_earlier_revision(b: PdfBuild, text: str) -> None:
    """A line removed by an incremental update: the earlier revision still holds it."""
    page = b.page.number
    b.put(f"Earlier draft: {text}", b.line(25))

    def remove(doc: pymupdf.Document) -> None:
        redacted = doc[page]
        for rect in redacted.search_for("Earlier draft"):
            redacted.add_redact_annot(pymupdf.Rect(rect.x0, rect.y0, redacted.rect.width - 20, rect.y1))
        redacted.apply_redactions()

    b.after_save.append(remove)


def pdf_off_crop(b: PdfBuild, text: str) -> None:
    """``text`` below the crop box of the page (inside its media box)."""
    height = b.page.rect.height
    b.page.insert_text((72, height - 62), f"Off the crop box: {text}", fontname="helv", fontsize=11)
    b.page.set_cropbox(pymupdf.Rect(0, 0, b.page.rect.width, height - 142))


def pdf_metadata(b: PdfBuild, text: str) -> None:
    b.doc.set_metadata({"author": text, "title": f"CIA by {text}", "subject": text})


def pdf_xmp(b: PdfBuild, text: str) -> None:
    b.doc.set_xml_metadata(f'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/'
                           f'1999/02/22-rdf-syntax-ns#"><rdf:Description xmlns:dc="http://purl.org/dc/'
                           f'elements/1.1/" dc:creator={quoteattr(text)}/></rdf:RDF></x:xmpmeta>')


def pdf_outline(b: PdfBuild, text: str) -> None:
    b.doc.set_toc([[1, f"Contact {text}", 1]])


def pdf_attached_file(b: PdfBuild, text: str) -> None:
    b.doc.embfile_add("contacts.txt", text.encode(), filename="contacts.txt")


def pdf_page_labels(b: PdfBuild, text: str) -> None:
    b.doc.set_page_labels([{"startpage": 0, "prefix": f"{text}-", "style": "D", "firstpagenum": 1}])


def pdf_lang(b: PdfBuild, text: str) -> None:
    b.doc.xref_set_key(b.doc.pdf_catalog(), "Lang", pymupdf.get_pdf_str(text))


def pdf_named_destination(b: PdfBuild, text: str) -> None:
    b.doc.xref_set_key(b.doc.pdf_catalog(), "Dests",
                       f"<</{identifier(text)} [{b.doc.page_xref(0)} 0 R /Fit]>>")


# Every hiding place of a PDF, in the order a file is built with them (what draws on
# the page first; the crop box, then what lives outside the pages, last).
PDF_PLACES: dict[str, Callable[[PdfBuild, str], None]] = {
    "shuffled glyphs": pdf_shuffled,
    "hyphenated over a line break": pdf_hyphenated,
    "lying ToUnicode map": pdf_lying_font,
    "layer switched off": pdf_hidden_layer,
    "white text": pdf_white,
    "0.5 pt text": pdf_tiny,
    "text under an image": pdf_under_image,
    "form XObject": pdf_form_xobject,
    "ActualText": pdf_actual_text,
    "annotations": pdf_annotations,
    "form field": pdf_form_field,
    "link": pdf_link,
    "earlier revision": pdf_earlier_revision,
    "outside the crop box": pdf_off_crop,
    "document info": pdf_metadata,
    "XMP": pdf_xmp,
    "outline": pdf_outline,
    "attached file": pdf_attached_file,
    "page labels": pdf_page_labels,
    "/Lang": pdf_lang,
    "named destination": pdf_named_destination,
}
# Places whose text is a name (a word of it is broken).
NAME_PLACES = frozenset({"hyphenated over a line break"})


def hostile_pdf() -> bytes:
    b = PdfBuild()
    pdf_paragraph(b, control())  # the positive control
    pdf_paragraph(b, f"{OPEN}.")
    pdf_shuffled(b, NAME)
    pdf_hyphenated(b, NAME)
    pdf_lying_font(b, SECRET_LINE)
    pdf_hidden_layer(b, SECRET_LINE)
    pdf_white(b, f"{SECRET_LINE} {EMAIL}")
    pdf_tiny(b, f"{SECRET_LINE} {POSTCODE}")
    pdf_under_image(b, SECRET_LINE)
    pdf_form_xobject(b, SECRET_LINE)
    pdf_actual_text(b, f"{SECRET_LINE} {EMAIL}")
    pdf_annotations(b, SECRET_LINE)
    pdf_form_field(b, NAME)
    pdf_link(b, EMAIL)
    pdf_earlier_revision(b, SECRET_LINE)
    b.new_page()
    pdf_paragraph(b, f"{OPEN}, page two.")
    pdf_off_crop(b, SECRET_LINE)
    pdf_metadata(b, f"{NAME} {PHONE}")
    pdf_xmp(b, NAME)
    pdf_outline(b, SECRET_LINE)
    pdf_attached_file(b, f"{SECRET_LINE} {EMAIL} {POSTCODE}")
    pdf_page_labels(b, SURNAME)
    pdf_lang(b, NAME)
    pdf_named_destination(b, SURNAME)
    return b.data()


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


# ---------------------------------------------------------------- a scan

@dataclass
class Scan:
    """A PDF whose one page is only a picture of ``lines`` (no text layer), and where
    each word of them is drawn on the page, in points from its top left."""
    data: bytes
    words: list[tuple[str, tuple[float, float, float, float]]]

    def boxes(self, word: str) -> list[tuple[float, float, float, float]]:
        return [box for w, box in self.words if w.strip(".,;:") == word]


def scanned_pdf(lines: list[str], dpi: int = 150, size: tuple[float, float] = (595, 842)) -> Scan:
    """An A4 page scanned at ``dpi`` (greyscale, JPEG, as a scanner writes it)."""
    scale = dpi / 72
    image = Image.new("L", (round(size[0] * scale), round(size[1] * scale)), 250)
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=round(12 * scale))
    words = []
    y = 110 * scale
    for line in lines:
        x = 72 * scale
        for word in line.split(" "):
            left, top, right, bottom = draw.textbbox((x, y), word, font=font)
            draw.text((x, y), word, fill=20, font=font)
            words.append((word, (left / scale, top / scale, right / scale, bottom / scale)))
            x = draw.textbbox((x, y), word + " ", font=font)[2]
        y += 28 * scale
    jpeg = io.BytesIO()
    image.save(jpeg, "JPEG", quality=85, dpi=(dpi, dpi))
    doc = pymupdf.open()
    page = doc.new_page(width=size[0], height=size[1])
    page.insert_image(page.rect, stream=jpeg.getvalue())
    data = doc.tobytes()
    doc.close()
    return Scan(data, words)


# ---------------------------------------------------------------- DOCX

def _picture(text: str, size=(900, 220)) -> Image.Image:
    width = max(size[0], 40 + 26 * len(text))
    image = Image.new("RGB", (width, size[1]), "white")
    ImageDraw.Draw(image).text((20, 60), text, fill="black", font=ImageFont.load_default(size=48))
    return image


def _png(text: str | None = None, colour: str = "navy") -> bytes:
    """A small PNG; with ``text`` in its ``tEXt`` chunks."""
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    if text is not None:
        info.add_text("Author", text)
        info.add_text("Comment", text)
    out = io.BytesIO()
    Image.new("RGB", (40, 20), colour).save(out, "PNG", pnginfo=info)
    return out.getvalue()


def _jpeg_with_metadata(text: str) -> bytes:
    exif = Image.Exif()
    exif[0x013B] = text  # Artist
    exif[0x010E] = text  # ImageDescription
    out = io.BytesIO()
    Image.new("RGB", (40, 20), "olive").save(out, "JPEG", exif=exif.tobytes(),
                                             comment=text.encode())
    return out.getvalue()


def _workbook(text: str) -> bytes:
    import openpyxl

    book = openpyxl.Workbook()
    book.active["A1"] = text
    book.active["B1"] = "contact"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


class DocxBuild:
    """A Word package being built: python-docx's document (``d``), then, once saved,
    raw XML added to the body, parts, relationships and content types, parts renamed
    and comments on the zip."""

    def __init__(self) -> None:
        import docx

        self.d = docx.Document()
        self.body: list[str] = []  # paragraphs (XML) before the section properties
        self.main_rels: list[str] = []  # relationships of the main part
        self.root_rels: list[str] = []  # relationships of the package
        self.types: list[str] = []  # [Content_Types].xml entries
        self.parts: dict[str, bytes] = {}  # parts added or replaced
        self.renamed: dict[str, str] = {}  # part → its new name (references follow)
        self.main_as: str | None = None  # the main part stored under this name
        self.comment = b""
        self.entry_comment = b""  # on the main part's entry
        self.last_png: str | None = None

    def picture(self, data: bytes):
        """An inline picture; its part's name."""
        shape = self.d.add_picture(io.BytesIO(data))
        rid = shape._inline.graphic.graphicData.pic.blipFill.blip.embed
        return shape, str(self.d.part.related_parts[rid].partname).lstrip("/")

    def data(self) -> bytes:
        buf = io.BytesIO()
        self.d.save(buf)
        with zipfile.ZipFile(io.BytesIO(buf.getvalue())) as zf:
            parts = {info.filename: zf.read(info) for info in zf.infolist()}
        parts.update(self.parts)
        body = parts["word/document.xml"].decode()
        body = body.replace("<w:sectPr", "".join(self.body) + "<w:sectPr", 1)
        rels = parts.pop("word/_rels/document.xml.rels").decode()
        rels = rels.replace("</Relationships>", "".join(self.main_rels) + "</Relationships>")
        for old, new in self.renamed.items():
            parts[new] = parts.pop(old)
            rels = rels.replace(old.removeprefix("word/"), new.removeprefix("word/"))
        root = parts["_rels/.rels"].decode().replace("</Relationships>",
                                                     "".join(self.root_rels) + "</Relationships>")
        types = parts["[Content_Types].xml"].decode().replace("</Types>", "".join(self.types) + "</Types>")
        main = "word/document.xml"
        if self.main_as:
            # The main document under another name, found only through _rels/.rels; a
            # decoy where a reader by name would look.
            main = self.main_as
            folder, _, name = main.rpartition("/")
            root = root.replace('Target="word/document.xml"', f'Target="{main}"')
            types = types.replace('PartName="/word/document.xml"', f'PartName="/{main}"')
            parts[f"{folder}/_rels/{name}.rels"] = rels.encode()
            parts[main] = body.encode()
            parts["word/document.xml"] = (f'<?xml version="1.0"?><w:document xmlns:w="{W}"><w:body>'
                                          '<w:p><w:r><w:t>A decoy.</w:t></w:r></w:p></w:body>'
                                          '</w:document>').encode()
        else:
            parts["word/_rels/document.xml.rels"] = rels.encode()
            parts["word/document.xml"] = body.encode()
        parts["_rels/.rels"] = root.encode()
        parts["[Content_Types].xml"] = types.encode()
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
            zf.comment = self.comment
            for name, data in parts.items():
                info = zipfile.ZipInfo(name, date_time=(2019, 3, 1, 0, 0, 0))
                info.compress_type = zipfile.ZIP_DEFLATED
                info.comment = self.entry_comment if name == main else b""
                zf.writestr(info, data)
        return out.getvalue()


def _xml(fragment: str) -> str:
    return fragment.replace("\n", "")


def docx_paragraph(b: DocxBuild, text: str) -> None:
    """An ordinary body paragraph (the positive control, the open sentence)."""
    b.d.add_paragraph(text)


def docx_split_runs(b: DocxBuild, text: str) -> None:
    """``text`` in three runs, one of them bold: no run holds it whole."""
    p = b.d.add_paragraph("Prepared with ")
    third = max(1, len(text) // 3)
    p.add_run(text[:third])
    p.add_run(text[third:2 * third]).bold = True
    p.add_run(text[2 * third:] + ".")


def docx_table(b: DocxBuild, text: str) -> None:
    table = b.d.add_table(rows=1, cols=2)
    table.cell(0, 0).text = "Community contact"
    table.cell(0, 1).text = text


def docx_header(b: DocxBuild, text: str) -> None:
    b.d.sections[0].header.paragraphs[0].text = f"Author: {text}"


def docx_footer(b: DocxBuild, text: str) -> None:
    b.d.sections[0].footer.paragraphs[0].text = f"Checked by {text}"


def docx_comment(b: DocxBuild, text: str) -> None:
    commented = b.d.add_paragraph("The site was agreed.")
    b.d.add_comment(commented.runs, text=f"Ask {text} first", author=text, initials="OQ")


def docx_tracked_insertion(b: DocxBuild, text: str) -> None:
    b.body.append(_xml(f'<w:p {_NS}><w:r><w:t xml:space="preserve">Reviewed by </w:t></w:r>'
                       f'<w:ins w:id="91" w:author={quoteattr(text)} w:date="2019-03-01T10:00:00Z">'
                       f'<w:r><w:t xml:space="preserve">{escape(text)}</w:t></w:r></w:ins></w:p>'))


def docx_tracked_deletion(b: DocxBuild, text: str) -> None:
    b.body.append(_xml(f'<w:p {_NS}><w:r><w:t xml:space="preserve">Reviewed</w:t></w:r>'
                       f'<w:del w:id="92" w:author="Someone" w:date="2019-03-01T10:00:00Z"><w:r>'
                       f'<w:delText xml:space="preserve"> formerly {escape(text)}</w:delText></w:r>'
                       '</w:del></w:p>'))


def docx_text_box(b: DocxBuild, text: str) -> None:
    b.body.append(_xml(
        f'<w:p {_NS}><w:r><w:pict xmlns:v="urn:schemas-microsoft-com:vml">'
        '<v:shape id="box1" style="width:200pt;height:40pt" type="#_x0000_t202"><v:textbox>'
        f'<w:txbxContent><w:p><w:r><w:t>Box: {escape(text)}</w:t></w:r></w:p></w:txbxContent>'
        '</v:textbox></v:shape></w:pict></w:r></w:p>'))


def docx_hidden_text(b: DocxBuild, text: str) -> None:
    """A run formatted as hidden (``w:vanish``)."""
    b.body.append(_xml(f'<w:p {_NS}><w:r><w:t xml:space="preserve">Seen. </w:t></w:r><w:r><w:rPr>'
                       f'<w:vanish/></w:rPr><w:t>{escape(text)}</w:t></w:r></w:p>'))


def docx_field_code(b: DocxBuild, text: str) -> None:
    """A field whose code (``w:instrText``) holds the text; its shown result does not."""
    b.body.append(_xml(
        f'<w:p {_NS}><w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText xml:space="preserve">'
        f' HYPERLINK "mailto:{escape(text)}" </w:instrText></w:r><w:r><w:fldChar w:fldCharType="separate"/>'
        '</w:r><w:r><w:t>the contact</w:t></w:r><w:r><w:fldChar w:fldCharType="end"/></w:r></w:p>'))


_FOOTNOTES = (
    f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:footnotes xmlns:w="{W}">'
    '<w:footnote w:type="separator" w:id="-1"><w:p><w:r><w:separator/></w:r></w:p></w:footnote>'
    '<w:footnote w:type="continuationSeparator" w:id="0"><w:p><w:r><w:continuationSeparator/>'
    '</w:r></w:p></w:footnote>'
    '<w:footnote w:id="1"><w:p><w:r><w:t xml:space="preserve">Source: {value}, by e-mail.</w:t>'
    '</w:r></w:p></w:footnote></w:footnotes>')


def docx_footnote(b: DocxBuild, text: str) -> None:
    b.body.append(_xml(f'<w:p {_NS}><w:r><w:t>Engagement was recorded</w:t></w:r>'
                       '<w:r><w:footnoteReference w:id="1"/></w:r></w:p>'))
    b.parts["word/footnotes.xml"] = _FOOTNOTES.replace("{value}", escape(text)).encode()
    b.main_rels.append(f'<Relationship Id="rIdFn1" Type="{REL}footnotes" Target="footnotes.xml"/>')
    b.types.append('<Override PartName="/word/footnotes.xml" ContentType="application/'
                   'vnd.openxmlformats-officedocument.wordprocessingml.footnotes+xml"/>')


def docx_core_properties(b: DocxBuild, text: str) -> None:
    props = b.d.core_properties
    props.author = props.last_modified_by = props.comments = props.keywords = text
    props.title = f"CIA written by {text}"


def docx_custom_properties(b: DocxBuild, text: str) -> None:
    b.parts["docProps/custom.xml"] = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Properties xmlns="http://'
        'schemas.openxmlformats.org/officeDocument/2006/custom-properties" xmlns:vt="http://'
        'schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"><property fmtid="'
        '{D5CDD505-2E9C-101B-9397-08002B2CF9AE}" pid="2" name="Owner"><vt:lpwstr>'
        f'{escape(text)}</vt:lpwstr></property></Properties>').encode()
    b.root_rels.append('<Relationship Id="rIdCustom" Type="http://schemas.openxmlformats.org/'
                       'officeDocument/2006/relationships/custom-properties" Target="docProps/custom.xml"/>')
    b.types.append('<Override PartName="/docProps/custom.xml" ContentType="application/'
                   'vnd.openxmlformats-officedocument.custom-properties+xml"/>')


def docx_custom_xml(b: DocxBuild, text: str) -> None:
    b.parts["customXml/item9.xml"] = f"<data><owner>{escape(text)}</owner></data>".encode()


def docx_ole_object(b: DocxBuild, text: str) -> None:
    """An embedded workbook (OLE package) holding the text, and its EMF preview."""
    b.body.append(_xml(
        f'<w:p {_NS}><w:r><w:object xmlns:v="urn:schemas-microsoft-com:vml" '
        'xmlns:o="urn:schemas-microsoft-com:office:office">'
        '<v:shape id="ole1" style="width:80pt;height:30pt"><v:imagedata r:id="rIdOlePreview" o:title=""/>'
        '</v:shape><o:OLEObject Type="Embed" ProgID="Excel.Sheet.12" ShapeID="ole1" DrawAspect="Content" '
        'ObjectID="_1" r:id="rIdOle"/></w:object></w:r></w:p>'))
    b.main_rels.append(f'<Relationship Id="rIdOle" Type="{REL}package" '
                       'Target="embeddings/Microsoft_Excel_Worksheet.xlsx"/>'
                       f'<Relationship Id="rIdOlePreview" Type="{REL}image" Target="media/image9.emf"/>')
    b.parts["word/embeddings/Microsoft_Excel_Worksheet.xlsx"] = _workbook(text)
    b.parts["word/media/image9.emf"] = b"\x01\x00\x00\x00" + f" EMF {text} ".encode("utf-16-le")
    b.types.append('<Default Extension="emf" ContentType="image/x-emf"/>'
                   '<Override PartName="/word/embeddings/Microsoft_Excel_Worksheet.xlsx" ContentType='
                   '"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"/>')


_CHART = '''<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<c:chartSpace xmlns:c="http://schemas.openxmlformats.org/drawingml/2006/chart"
 xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main"><c:chart><c:plotArea><c:layout/>
<c:barChart><c:barDir val="col"/><c:grouping val="clustered"/><c:ser><c:idx val="0"/><c:order val="0"/>
<c:tx><c:strRef><c:f>Sheet1!$B$1</c:f><c:strCache><c:ptCount val="1"/><c:pt idx="0"><c:v>{series}</c:v></c:pt></c:strCache></c:strRef></c:tx>
<c:cat><c:strRef><c:f>Sheet1!$A$2</c:f><c:strCache><c:ptCount val="1"/><c:pt idx="0"><c:v>{category}</c:v></c:pt></c:strCache></c:strRef></c:cat>
<c:val><c:numRef><c:f>Sheet1!$B$2</c:f><c:numCache><c:ptCount val="1"/><c:pt idx="0"><c:v>3</c:v></c:pt></c:numCache></c:numRef></c:val>
</c:ser><c:axId val="1"/><c:axId val="2"/></c:barChart></c:plotArea></c:chart></c:chartSpace>'''


def docx_chart(b: DocxBuild, text: str, category: str | None = None) -> None:
    """A chart whose cached values (drawn by Word) hold the text."""
    b.body.append(_xml(
        f'<w:p {_NS}><w:r><w:drawing><wp:inline xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/'
        'wordprocessingDrawing"><wp:extent cx="3000000" cy="1500000"/><wp:docPr id="77" name="Chart 1"/>'
        '<a:graphic xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main">'
        '<a:graphicData uri="http://schemas.openxmlformats.org/drawingml/2006/chart">'
        '<c:chart xmlns:c="http://schemas.openxmlformats.org/drawingml/2006/chart" r:id="rIdChart"/>'
        '</a:graphicData></a:graphic></wp:inline></w:drawing></w:r></w:p>'))
    b.main_rels.append(f'<Relationship Id="rIdChart" Type="{REL}chart" Target="charts/chart1.xml"/>')
    b.parts["word/charts/chart1.xml"] = _CHART.format(series=escape(text),
                                                      category=escape(category or text)).encode()
    b.types.append('<Override PartName="/word/charts/chart1.xml" ContentType='
                   '"application/vnd.openxmlformats-officedocument.drawingml.chart+xml"/>')


def docx_numbering(b: DocxBuild, text: str, label: str | None = None) -> None:
    """A numbered paragraph whose level text (drawn as its label) and list name hold the text."""
    b.body.append(_xml(f'<w:p {_NS}><w:pPr><w:numPr><w:ilvl w:val="0"/><w:numId w:val="7"/></w:numPr>'
                       '</w:pPr><w:r><w:t>A numbered item.</w:t></w:r></w:p>'))
    b.parts["word/numbering.xml"] = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:numbering xmlns:w="{W}">'
        f'<w:abstractNum w:abstractNumId="3"><w:name w:val={quoteattr(text + " list")}/><w:lvl w:ilvl="0">'
        '<w:start w:val="1"/><w:numFmt w:val="decimal"/>'
        f'<w:lvlText w:val={quoteattr((label or text) + " %1.")}/></w:lvl></w:abstractNum>'
        '<w:num w:numId="7"><w:abstractNumId w:val="3"/></w:num></w:numbering>'
    ).encode()


def docx_style(b: DocxBuild, text: str) -> None:
    """A paragraph style whose id (camel case) and name are the text."""
    style_id = camel(text)
    styles = b.d.styles.element
    styles.append(styles.makeelement(f"{{{W}}}style", {f"{{{W}}}type": "paragraph",
                                                        f"{{{W}}}styleId": style_id}))
    styles[-1].append(styles.makeelement(f"{{{W}}}name", {f"{{{W}}}val": text}))
    b.body.append(_xml(f'<w:p {_NS}><w:pPr><w:pStyle w:val={quoteattr(style_id)}/></w:pPr>'
                       '<w:r><w:t>A styled paragraph.</w:t></w:r></w:p>'))


def docx_bookmark(b: DocxBuild, text: str) -> None:
    name = quoteattr(identifier(text))
    b.body.append(_xml(f'<w:p {_NS}><w:bookmarkStart w:id="90" w:name={name}/><w:r><w:t>A marked '
                       'place.</w:t></w:r><w:bookmarkEnd w:id="90"/></w:p>'))


def docx_hyperlink_anchor(b: DocxBuild, text: str) -> None:
    b.body.append(_xml(f'<w:p {_NS}><w:hyperlink w:anchor={quoteattr(identifier(text))}><w:r>'
                       '<w:t>See the contact.</w:t></w:r></w:hyperlink></w:p>'))


def docx_smart_tag(b: DocxBuild, text: str) -> None:
    b.body.append(_xml(
        f'<w:p {_NS}><w:smartTag w:uri="urn:schemas-microsoft-com:office:smarttags" w:element="PersonName">'
        f'<w:smartTagPr><w:attr w:name="FullName" w:val={quoteattr(text)}/></w:smartTagPr>'
        '<w:r><w:t>the contact</w:t></w:r></w:smartTag></w:p>'))


def docx_content_control(b: DocxBuild, text: str) -> None:
    b.body.append(_xml(
        f'<w:sdt {_NS}><w:sdtPr><w:alias w:val="Contact"/><w:dropDownList>'
        f'<w:listItem w:displayText={quoteattr(text)} w:value={quoteattr(text)}/>'
        '<w:listItem w:displayText="Nobody" w:value="0"/></w:dropDownList></w:sdtPr>'
        '<w:sdtContent><w:p><w:r><w:t>Nobody</w:t></w:r></w:p></w:sdtContent></w:sdt>'))


def docx_form_field(b: DocxBuild, text: str, name: str | None = None) -> None:
    """A legacy form field: its name, help and status text and default value."""
    b.body.append(_xml(
        f'<w:p {_NS}><w:r><w:fldChar w:fldCharType="begin"><w:ffData>'
        f'<w:name w:val={quoteattr(identifier(name or text))}/><w:enabled/>'
        f'<w:helpText w:type="text" w:val={quoteattr("Ask " + text)}/>'
        f'<w:statusText w:type="text" w:val={quoteattr(text)}/>'
        f'<w:textInput><w:default w:val={quoteattr(text)}/></w:textInput></w:ffData></w:fldChar></w:r>'
        '<w:r><w:instrText xml:space="preserve"> FORMTEXT </w:instrText></w:r><w:r><w:fldChar '
        'w:fldCharType="separate"/></w:r><w:r><w:t>a form field</w:t></w:r><w:r><w:fldChar '
        'w:fldCharType="end"/></w:r></w:p>'))


def docx_vml_alt(b: DocxBuild, text: str) -> None:
    b.body.append(_xml(
        f'<w:p {_NS}><w:r><w:pict><v:shape xmlns:v="urn:schemas-microsoft-com:vml" '
        'xmlns:o="urn:schemas-microsoft-com:office:office" id="s1" style="width:20pt;height:20pt" '
        f'alt={quoteattr(text)} o:title={quoteattr(text)}/></w:pict></w:r></w:p>'))


def docx_document_variable(b: DocxBuild, text: str) -> None:
    settings = b.d.settings.element
    settings.append(settings.makeelement(f"{{{W}}}docVars", {}))
    settings[-1].append(settings.makeelement(f"{{{W}}}docVar", {f"{{{W}}}name": "contact",
                                                                 f"{{{W}}}val": text}))


def docx_png_text(b: DocxBuild, text: str) -> None:
    """A PNG picture whose ``tEXt`` chunks hold the text."""
    _shape, b.last_png = b.picture(_png(text))


def docx_jpeg_metadata(b: DocxBuild, text: str) -> None:
    """A JPEG picture whose EXIF and comment hold the text."""
    b.picture(_jpeg_with_metadata(text))


def docx_picture_description(b: DocxBuild, text: str) -> None:
    shape, _name = b.picture(_png(colour="teal"))
    shape._inline.docPr.set("descr", text)
    shape._inline.docPr.set("title", text)


def docx_part_name(b: DocxBuild, text: str) -> None:
    """The last PNG picture's part (or a new one's) named after the text."""
    if b.last_png is None:
        _shape, b.last_png = b.picture(_png(colour="maroon"))
    b.renamed[b.last_png] = f"word/media/{identifier(text)}.png"


def docx_thumbnail(b: DocxBuild, text: str) -> None:
    """The package's thumbnail: a picture of the text."""
    out = io.BytesIO()
    _picture(text).save(out, "JPEG", quality=90)
    b.parts["docProps/thumbnail.jpeg"] = out.getvalue()
    b.root_rels.append('<Relationship Id="rIdThumb" Type="http://schemas.openxmlformats.org/package/2006/'
                       'relationships/metadata/thumbnail" Target="docProps/thumbnail.jpeg"/>')


def docx_unreferenced_part(b: DocxBuild, text: str) -> None:
    b.parts["word/notes-old.xml"] = f"<notes>{escape(text)}</notes>".encode()


def docx_zip_comment(b: DocxBuild, text: str) -> None:
    b.comment = text.encode()


def docx_entry_comment(b: DocxBuild, text: str) -> None:
    b.entry_comment = text.encode()


def docx_main_part_renamed(b: DocxBuild, _text: str = "") -> None:
    """The main document stored as ``word/body.bin`` (a decoy ``word/document.xml``)."""
    b.main_as = "word/body.bin"


# Every hiding place of a Word package (the main part's name aside: it hides the
# whole body, not a text).
DOCX_PLACES: dict[str, Callable[[DocxBuild, str], None]] = {
    "runs": docx_split_runs,
    "table": docx_table,
    "header": docx_header,
    "footer": docx_footer,
    "comment": docx_comment,
    "tracked insertion": docx_tracked_insertion,
    "tracked deletion": docx_tracked_deletion,
    "text box": docx_text_box,
    "hidden text": docx_hidden_text,
    "field code": docx_field_code,
    "footnote": docx_footnote,
    "core properties": docx_core_properties,
    "custom properties": docx_custom_properties,
    "custom XML": docx_custom_xml,
    "OLE object": docx_ole_object,
    "chart cache": docx_chart,
    "numbering": docx_numbering,
    "style": docx_style,
    "bookmark": docx_bookmark,
    "hyperlink anchor": docx_hyperlink_anchor,
    "smart tag": docx_smart_tag,
    "content control": docx_content_control,
    "form field": docx_form_field,
    "VML alt": docx_vml_alt,
    "document variable": docx_document_variable,
    "PNG tEXt": docx_png_text,
    "JPEG metadata": docx_jpeg_metadata,
    "picture description": docx_picture_description,
    "part name": docx_part_name,
    "thumbnail": docx_thumbnail,
    "unreferenced part": docx_unreferenced_part,
    "zip comment": docx_zip_comment,
    "entry comment": docx_entry_comment,
}


def hostile_docx() -> bytes:
    b = DocxBuild()
    docx_split_runs(b, f"{NAME} and PC Jorvik Tannenbaum, on {PHONE}")
    docx_table(b, NAME)
    docx_header(b, NAME)
    docx_footer(b, SURNAME)
    docx_comment(b, NAME)
    docx_tracked_insertion(b, NAME)
    docx_tracked_deletion(b, NAME)
    docx_text_box(b, NAME)
    docx_footnote(b, NAME)
    docx_paragraph(b, f"{OPEN}.")
    docx_core_properties(b, NAME)
    docx_custom_properties(b, NAME)
    docx_custom_xml(b, NAME)
    docx_paragraph(b, control())  # the positive control
    docx_png_text(b, f"{NAME} {PHONE}")
    docx_jpeg_metadata(b, f"{NAME} {EMAIL}")
    docx_part_name(b, NAME)
    docx_picture_description(b, SECRET_LINE)
    docx_style(b, NAME)
    docx_document_variable(b, f"{SECRET_LINE} {EMAIL}")
    docx_numbering(b, NAME, label=SURNAME)
    docx_bookmark(b, NAME)
    docx_hyperlink_anchor(b, NAME)
    docx_smart_tag(b, SECRET_LINE)
    docx_content_control(b, NAME)
    docx_form_field(b, f"{NAME} {PHONE} {EMAIL}", name=SURNAME)
    docx_vml_alt(b, SECRET_LINE)
    docx_hidden_text(b, SECRET_LINE)
    docx_field_code(b, EMAIL)
    docx_ole_object(b, SECRET_LINE)
    docx_chart(b, NAME, category=PHONE)
    docx_main_part_renamed(b)
    docx_thumbnail(b, SECRET_LINE)
    docx_unreferenced_part(b, f"{SECRET_LINE} {POSTCODE}")
    docx_zip_comment(b, SECRET_LINE)
    docx_entry_comment(b, PHONE)
    return b.data()

