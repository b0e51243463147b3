"""The limits an upload is read under (cia_authoring.uploads) and the child process
that bounds the reading (cia_common.limits)."""
from __future__ import annotations

import io
import zipfile

import pymupdf
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from cia_authoring import uploads
from cia_authoring.legacy import files
from cia_common.limits import ChildFailed, LimitExceeded, Limits, run_limited


def zip_of(parts: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)
    return out.getvalue()


def test_too_many_parts_or_too_much_expansion_is_refused_from_the_directory_alone():
    limits = uploads.UploadLimits(max_parts=3, max_expanded_bytes=1000)
    with pytest.raises(uploads.LimitRefused) as err:
        uploads.check_package(zip_of({f"p{n}.xml": b"<a/>" for n in range(4)}), limits)
    assert err.value.limit == "UPLOAD_MAX_PARTS"
    with pytest.raises(uploads.LimitRefused) as err:
        uploads.check_package(zip_of({"big.bin": bytes(1001)}), limits)
    assert err.value.limit == "UPLOAD_MAX_EXPANDED_BYTES"
    # At the limits exactly, and a file that is no zip at all, pass this stage.
    uploads.check_package(zip_of({"a.xml": b"<a/>", "b.bin": bytes(996)}), limits)
    uploads.check_package(b"%PDF-1.7 not a zip", limits)


_names = st.sampled_from(["w:p", "w:r", "w:t", "a", "x:y-z"])


@st.composite
def xml_documents(draw) -> bytes:
    """Nested elements with text, comments, CDATA-free; some self-closing."""
    def element(depth: int) -> str:
        name = draw(_names)
        if depth > 3 or draw(st.booleans()):
            return f"<{name}/>"
        inner = "".join(element(depth + 1) for _ in range(draw(st.integers(0, 4))))
        text = draw(st.sampled_from(["", "text &lt;escaped&gt;", " "]))
        return f"<{name}>{text}{inner}</{name}>"
    head = draw(st.sampled_from(["", '<?xml version="1.0"?>', "<!-- a comment -->"]))
    return (head + f'<root xmlns:w="w" xmlns:x="x">{element(0)}</root>').encode()


@settings(max_examples=200, deadline=None)
@given(xml_documents(), st.integers(1, 64))
def test_elements_are_counted_as_a_parser_counts_them(document, chunk):
    """The start-tag count equals lxml's element count, whatever the chunking."""
    expected = sum(1 for _ in etree.fromstring(document).iter())
    limits = uploads.UploadLimits(max_xml_elements=expected)
    data = zip_of({"word/document.xml": document})
    uploads.check_xml_parts(data, limits)  # exactly at the limit: passes
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        info = z.getinfo("word/document.xml")
        assert uploads._start_tags(z, info, 10**9, chunk_size=chunk) == expected
    with pytest.raises(uploads.LimitRefused) as err:
        uploads.check_xml_parts(data, uploads.UploadLimits(max_xml_elements=expected - 1))
    assert err.value.limit == "UPLOAD_MAX_XML_ELEMENTS"


def test_a_pdf_over_the_page_limit_is_refused_naming_it():
    doc = pymupdf.open()
    for _ in range(5):
        doc.new_page()
    data = doc.tobytes()
    assert files.check(data, uploads.UploadLimits(max_pages=5)).pages == 5
    with pytest.raises(uploads.LimitRefused) as err:
        files.check(data, uploads.UploadLimits(max_pages=4))
    assert err.value.limit == "UPLOAD_MAX_PAGES"


def test_a_refusal_names_the_setting_and_its_status():
    too_big = uploads.refusal(uploads.LimitRefused("UPLOAD_MAX_PARTS", "too many"))
    assert too_big.kind == "too_large" and too_big.errors[0]["limit"] == "CIA_UPLOAD_MAX_PARTS"
    slow = uploads.refusal(LimitExceeded("seconds", "took too long"))
    assert slow.kind == "unprocessable" and slow.errors[0]["limit"] == "CIA_UPLOAD_PARSE_SECONDS"
    hungry = uploads.refusal(LimitExceeded("memory", "too much"))
    assert hungry.kind == "too_large" and hungry.errors[0]["limit"] == "CIA_UNTRUSTED_MEMORY_MB"


def _allocate(n: int) -> int:
    return len(bytearray(n))


def _spin() -> None:
    while True:
        pass


def _nested() -> int:
    return run_limited(_allocate, 10)  # inside a child: runs in place, under its limits


def test_the_child_returns_results_and_keeps_its_exceptions_apart():
    assert run_limited(_allocate, 1000) == 1000
    assert run_limited(_nested) == 10
    with pytest.raises(ValueError, match="invalid literal"):
        run_limited(int, "x", passthrough=(ValueError,))
    with pytest.raises(ChildFailed) as err:
        run_limited(int, "x")
    assert err.value.kind == "ValueError"


def test_the_child_is_stopped_at_its_memory_and_time():
    with pytest.raises(LimitExceeded) as err:
        run_limited(_allocate, 2**30, limits=Limits(seconds=10, memory_bytes=64 * 2**20))
    assert err.value.limit == "memory"
    assert run_limited(_allocate, 16 * 2**20, limits=Limits(10, 64 * 2**20)) == 16 * 2**20
    with pytest.raises(LimitExceeded) as err:
        run_limited(_spin, limits=Limits(seconds=0.5))
    assert err.value.limit == "seconds"
