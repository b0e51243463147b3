"""Hostile files get a fast 4xx naming the limit, with the web process's memory
bounded and the service answering its readiness probe while it reads them: legacy
documents and Word templates, over real HTTP (a threaded server in this process, so
its memory is measured here). Built in memory: a DOCX of 5 million empty elements,
one expanding to 1 GiB, one whose sizes lie, PDFs whose page tree lies or loops;
and an ordinary 25 MiB upload, accepted within the memory bound."""
from __future__ import annotations

import io
import os
import struct
import threading
import time
import zipfile
import zlib

import pymupdf
import pytest
import requests
from werkzeug.serving import make_server

from cia_common.web import db

from tests.integration.test_authoring_support import ADMIN, FOI, create_operation, make_app
from tests.unit.test_legacy_support import planted_docx

pytestmark = pytest.mark.integration

BUDGET_SECONDS = 10
MEMORY_BOUND = 256 * 1024 * 1024
W_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
CONTENT_TYPES = ('<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/'
                 '2006/content-types"><Default Extension="xml" ContentType="application/xml"/>'
                 f'<Override PartName="/word/document.xml" ContentType="{W_MAIN}"/></Types>')


ROOT_RELS = ('<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
             '2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
             'officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/>'
             '</Relationships>')


def docx_of(body: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", CONTENT_TYPES)
        z.writestr("_rels/.rels", ROOT_RELS)
        z.writestr("word/document.xml", b'<w:document xmlns:w="http://schemas.openxmlformats.org/'
                                        b'wordprocessingml/2006/main"><w:body>' + body +
                   b"</w:body></w:document>")
    return out.getvalue()


def five_million_elements() -> bytes:
    return docx_of(b"<w:p/>" * 5_000_000)


def expanding_to_1gib() -> bytes:
    """A real DOCX with one more part: 1 GiB of zeros, about 1 MB compressed."""
    out = io.BytesIO(planted_docx())
    with zipfile.ZipFile(out, "a") as z:
        info = zipfile.ZipInfo("word/media/image1.bin")
        info.compress_type = zipfile.ZIP_DEFLATED
        with z.open(info, "w", force_zip64=True) as part:
            chunk = bytes(16 << 20)
            for _ in range(64):
                part.write(chunk)
    return out.getvalue()


def lying_sizes() -> bytes:
    """A part declared as 1 KiB that inflates to 64 MiB: the reader must stop at what
    is declared, not trust it."""
    data = bytearray(docx_of(b"<w:p><w:r><w:t>x</w:t></w:r></w:p>"))
    payload = zlib.compressobj(9, zlib.DEFLATED, -15)
    deflated = payload.compress(bytes(64 << 20)) + payload.flush()
    out = io.BytesIO(bytes(data))
    with zipfile.ZipFile(out, "a") as z:
        info = zipfile.ZipInfo("word/media/image2.bin")
        info.compress_type = zipfile.ZIP_DEFLATED
        z.writestr(info, b"\0" * 1024)
    raw = bytearray(out.getvalue())
    # Swap the real 1 KiB deflate stream for the 64 MiB one, keeping the declared sizes.
    name = b"word/media/image2.bin"
    local = raw.rfind(b"PK\x03\x04", 0, raw.index(name) + 1)
    csize = struct.unpack_from("<I", raw, local + 18)[0]
    start = local + 30 + len(name) + struct.unpack_from("<H", raw, local + 28)[0]
    head, tail = raw[:start], raw[start + csize:]
    struct.pack_into("<I", head, local + 18, len(deflated))
    rebuilt = bytearray(head + deflated + tail)
    # The central directory's offsets after the swapped stream move by the difference.
    shift = len(deflated) - csize
    eocd = rebuilt.rfind(b"PK\x05\x06")
    cd_offset = struct.unpack_from("<I", rebuilt, eocd + 16)[0] + shift
    struct.pack_into("<I", rebuilt, eocd + 16, cd_offset)
    pos = cd_offset
    while rebuilt[pos:pos + 4] == b"PK\x01\x02":
        n, e, c = struct.unpack_from("<HHH", rebuilt, pos + 28)
        if rebuilt[pos + 46:pos + 46 + n] == name:
            struct.pack_into("<I", rebuilt, pos + 20, len(deflated))
        pos += 46 + n + e + c
    return bytes(rebuilt)


def raw_pdf(objects: list[bytes]) -> bytes:
    out, offsets = b"%PDF-1.7\n", []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    return out + b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1, xref)


PAGE = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>"
CATALOG = b"<< /Type /Catalog /Pages 2 0 R >>"
HOSTILE_PDFS = {
    "a page tree claiming 100,000,000 pages": raw_pdf(
        [CATALOG, b"<< /Type /Pages /Kids [3 0 R] /Count 100000000 >>", PAGE]),
    "a page tree claiming 5,000 pages": raw_pdf(
        [CATALOG, b"<< /Type /Pages /Kids [3 0 R] /Count 5000 >>", PAGE]),
    "a page tree that is its own child": raw_pdf(
        [CATALOG, b"<< /Type /Pages /Kids [3 0 R 2 0 R] /Count 3 >>", PAGE]),
    "a page tree looping through a grandchild": raw_pdf(
        [CATALOG, b"<< /Type /Pages /Kids [4 0 R] /Count 2 >>", PAGE,
         b"<< /Type /Pages /Parent 2 0 R /Kids [2 0 R 3 0 R] /Count 2 >>"]),
}


def rss_bytes(field: str = "VmHWM") -> int:
    with open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    raise AssertionError(field)


def reset_peak_rss() -> None:
    with open("/proc/self/clear_refs", "w", encoding="ascii") as f:
        f.write("5")  # the peak (VmHWM) starts again from the current RSS


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    app = make_app(f"sqlite:///{tmp_path_factory.mktemp('hostile') / 'authoring.db'}",
                   PDF_RENDER_AHEAD=False, RATE_LIMIT="0", READY_NEEDS_WORKER=False)
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield app, f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()
    db(app).dispose()


@pytest.fixture(scope="module")
def operation(server):
    app, _ = server
    return create_operation(app.test_client(), reference="LFR-2019-0099")


class Prober:
    """Asks /readyz every 100 ms while a hostile file is read."""

    def __init__(self, base: str):
        self.base, self.answers, self._stop = base, [], threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            started = time.monotonic()
            try:
                status = requests.get(self.base + "/readyz", timeout=5).status_code
            except requests.RequestException:
                status = None
            self.answers.append((status, time.monotonic() - started))
            self._stop.wait(0.1)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def send(base: str, path: str, method: str, data: bytes, **form) -> tuple[requests.Response, float]:
    started = time.monotonic()
    resp = requests.request(method, base + path, headers=ADMIN if "templates" in path else FOI,
                            files={"file": ("upload.docx", data)}, data=form, timeout=60)
    return resp, time.monotonic() - started


def refused_fast(server, path: str, method: str, data: bytes, limit: str | None, **form) -> dict:
    _, base = server
    reset_peak_rss()
    before = rss_bytes("VmRSS")
    with Prober(base) as prober:
        resp, took = send(base, path, method, data, **form)
    grown = rss_bytes() - before
    assert resp.status_code in (413, 422), resp.text[:300]
    assert resp.headers["Content-Type"].startswith("application/problem+json")
    problem = resp.json()
    if limit is not None:
        assert [e["limit"] for e in problem["errors"]] == [limit]
        assert limit in problem["detail"] or limit.removeprefix("CIA_") in str(problem)
    assert took < BUDGET_SECONDS
    assert grown < MEMORY_BOUND, f"{grown / 2**20:.0f} MiB"
    # The service answered its readiness probe while it read the file, and after.
    assert prober.answers and all(status == 200 for status, _ in prober.answers)
    assert requests.get(base + "/readyz", timeout=5).status_code == 200
    return problem


@pytest.mark.parametrize("build, limit", [
    (five_million_elements, "CIA_UPLOAD_MAX_XML_ELEMENTS"),
    (expanding_to_1gib, "CIA_UPLOAD_MAX_EXPANDED_BYTES"),
])
def test_a_hostile_docx_is_refused_fast_as_a_legacy_document_and_as_a_template(
        server, operation, build, limit):
    data = build()
    refused_fast(server, f"/api/v1/operations/{operation['id']}/documents", "POST", data, limit,
                 title="CIA 2019")
    refused_fast(server, "/api/v1/templates/cia", "PUT", data, limit)
    refused_fast(server, "/api/v1/templates/cia/preview", "POST", data, limit)


def test_sizes_that_lie_are_not_believed(server, operation):
    """A part that declares 1 KiB and inflates to 64 MiB is read as 1 KiB: the copy
    holds no more than that, quickly and within the memory bound."""
    data = lying_sizes()
    with zipfile.ZipFile(io.BytesIO(data)) as z:  # what it claims: a small part
        assert z.getinfo("word/media/image2.bin").file_size == 1024
    _, base = server
    reset_peak_rss()
    before = rss_bytes("VmRSS")
    resp, took = send(base, f"/api/v1/operations/{operation['id']}/documents", "POST", data,
                      title="CIA 2019")
    assert rss_bytes() - before < MEMORY_BOUND and took < BUDGET_SECONDS
    assert resp.status_code == 201, resp.text[:300]
    copy = requests.get(f"{base}/api/v1/documents/{resp.json()['id']}/disclosure",
                        headers=FOI, timeout=30)
    with zipfile.ZipFile(io.BytesIO(copy.content)) as z:
        # Not an image, referenced by nothing: left behind by the rebuild; and no part
        # of the copy holds what the lying one inflates to.
        assert "word/media/image2.bin" not in z.namelist()
        assert max(i.file_size for i in z.infolist()) < 1024 * 1024


@pytest.mark.parametrize("name", sorted(HOSTILE_PDFS))
def test_a_lying_or_looping_page_tree_is_refused(server, operation, name):
    problem = refused_fast(server, f"/api/v1/operations/{operation['id']}/documents", "POST",
                           HOSTILE_PDFS[name], None, title="CIA 2019")
    detail = problem["errors"][0]["detail"]
    assert "page" in detail.lower(), detail


def test_an_ordinary_pdf_passes_the_page_tree_check(server, operation):
    # Positive control for the page-tree checks: a well-formed PDF is taken.
    doc = pymupdf.open()
    for n in range(3):
        doc.new_page().insert_text((72, 72), f"Page {n + 1} of an ordinary document.")
    _, base = server
    resp, _ = send(base, f"/api/v1/operations/{operation['id']}/documents", "POST",
                   doc.tobytes(), title="Ordinary")
    assert resp.status_code == 201, resp.text[:300]
    assert resp.json()["pages"] == 3


def test_an_upload_of_25_mib_is_taken_within_the_memory_bound(server, operation):
    """Peak RSS growth of the web process ≤ 256 MB for an accepted 25 MiB upload (an
    ordinary DOCX carrying an incompressible picture)."""
    out = io.BytesIO(planted_docx())
    with zipfile.ZipFile(out, "a") as z:
        z.writestr("word/media/image9.png", os.urandom(24 * 1024 * 1024))
    data = out.getvalue()
    assert 24 * 2**20 < len(data) <= 25 * 2**20
    _, base = server
    reset_peak_rss()
    before = rss_bytes("VmRSS")
    resp, _ = send(base, f"/api/v1/operations/{operation['id']}/documents", "POST", data,
                   title="CIA 2019 with photographs")
    grown = rss_bytes() - before
    assert resp.status_code == 201, resp.text[:300]
    assert grown < MEMORY_BOUND, f"{grown / 2**20:.0f} MiB"
