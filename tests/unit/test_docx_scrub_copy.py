"""The whole-document pass over a rendered DOCX rewrites only the parts it changes:
every other member is carried over as stored (the same compressed bytes and CRC),
and the file still opens and reads back without the withheld value."""
from __future__ import annotations

import io
import zipfile

import docx
from hypothesis import assume, given, settings, strategies as st

from cia_redaction import Detectors, Redactor, WithheldSet
from cia_redaction.docx import scrub_docx
from cia_redaction.vocabulary import S40

NAME = "Helen Mabury"


def _docx(paragraphs: list[str], header: str) -> bytes:
    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    document.sections[0].header.paragraphs[0].text = header
    buf = io.BytesIO()
    document.save(buf)
    return buf.getvalue()


def _redactor() -> Redactor:
    withheld = WithheldSet()
    withheld.add_name(NAME, S40, "Contact of an outside body.", "field")
    return Redactor(Detectors(people=False), withheld)


def _stored(zf: zipfile.ZipFile, data: bytes) -> dict[str, tuple]:
    out = {}
    for info in zf.infolist():
        start = info.header_offset
        name_len = int.from_bytes(data[start + 26:start + 28], "little")
        extra_len = int.from_bytes(data[start + 28:start + 30], "little")
        body = start + 30 + name_len + extra_len
        out[info.filename] = (info.CRC, info.compress_type,
                              data[body:body + info.compress_size])
    return out


@settings(max_examples=max(1, settings.default.max_examples // 10), deadline=None)
@given(before=st.lists(st.text(st.characters(codec="ascii", categories=("L", "N", "Zs")),
                               max_size=40), max_size=4),
       in_header=st.booleans())
def test_only_the_changed_part_is_rewritten(before, in_header):
    # The other paragraphs hold nothing the pass withholds ("0AA" reads as a collar number).
    assume(not any(_redactor().findings(text) for text in before))
    planted = f"Call {NAME} on Tuesday."
    body = [*before, "Nothing withheld here." if in_header else planted]
    source = _docx(body, planted if in_header else "Community Impact Assessment")
    out = scrub_docx(source, _redactor())
    src, dst = zipfile.ZipFile(io.BytesIO(source)), zipfile.ZipFile(io.BytesIO(out))
    assert dst.testzip() is None
    assert [i.filename for i in dst.infolist()] == [i.filename for i in src.infolist()]
    changed = "word/header1.xml" if in_header else "word/document.xml"
    kept, made = _stored(src, source), _stored(dst, out)
    for name in kept:
        if name == changed:  # positive control: the redacted part did change
            assert made[name] != kept[name]
            assert dst.read(name) != src.read(name)
        else:
            assert made[name] == kept[name], name
    for name in dst.namelist():
        assert b"Mabury" not in dst.read(name), name
    assert "Mabury" in "".join(src.read(n).decode("utf-8", "replace") for n in src.namelist())
    reopened = docx.Document(io.BytesIO(out))  # still a Word document
    assert len(reopened.paragraphs) == len(body)
