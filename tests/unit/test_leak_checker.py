"""The shared leak checker (tests/leaks.py) sees what a reader sees: text behind
XML escapes, split over runs or line breaks, or spaced with Unicode spaces."""
from __future__ import annotations

import io
import zipfile

from tests.leaks import docx_texts, found, norm

NS = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'


def docx(body: str) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("word/document.xml", f'<w:document {NS}><w:body>{body}</w:body></w:document>')
    return buf.getvalue()


def test_a_value_after_a_line_break_in_a_paragraph_is_found():
    # A table cell: name, then e-mail on the next line of the same paragraph.
    text = docx_texts(docx('<w:p><w:r><w:t>Jo Bloggs, chair</w:t><w:br/>'
                           '<w:t>jo@leak.example.org</w:t><w:tab/><w:t>0207</w:t></w:r></w:p>'))
    body = text["word/document.xml"]
    assert found("jo@leak.example.org", body)
    assert found("0207", body) and found("chair", body)


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
