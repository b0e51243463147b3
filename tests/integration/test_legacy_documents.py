"""Legacy CIA documents through the API, the CLI and the bundles, on SQLite and
PostgreSQL: a value planted in every part of a DOCX, and in a PDF made from it
by LibreOffice, is absent from the disclosure copy; scanned pages are read by
OCR, what the pass withholds there is boxed out and proposed, and they block
release until confirmed after their preview; bad files are refused with nothing
stored; released documents join the disclosures listing and the bundles (a
document published elsewhere as an s.21 link)."""
from __future__ import annotations

import csv
import io
import zipfile
from datetime import date

import pymupdf
import pytest
from click.testing import CliRunner

from cia_authoring.documents.libreoffice import docx_to_pdf
from cia_authoring.legacy.released import released_legacy_documents
from cia_common.cli import main as cia
from cia_common.web import db
from cia_schemas.disclosure import MARKERS

from tests.integration.test_authoring_support import (ADMIN, FOI, PLANNER, app, client,
                                                      create_operation, libreoffice, make_app, ok,
                                                      problem)
from tests.hostile import NAME, PHONE, SURNAME, scanned_pdf
from tests.leaks import docx_texts, found, norm, pdf_raw, pdf_text, raw_found, seen
from tests.unit.test_legacy_support import (LEAKS, PLANTED, SCAN_AREA, encrypted_pdf, macro_docx,
                                            planted_docx, planted_pdf, raw_contains, raw_streams)

pytestmark = pytest.mark.integration
__all__ = ["app", "client", "libreoffice"]

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
TERM = {"text": PLANTED, "exemption": "s40", "reason": "Name of a member of the public."}


def upload(client, operation_id: str, data: bytes, *, name: str = "cia.docx", title: str = "CIA 2019",
           dated: str | None = "2019-03-01", headers=FOI):
    form = {"file": (io.BytesIO(data), name), "title": title}
    if dated is not None:
        form["dated"] = dated
    return client.post(f"/api/v1/operations/{operation_id}/documents", data=form,
                       headers=headers, content_type="multipart/form-data")


def made(app, client=None, document_id: str | None = None) -> dict | None:
    """Run the worker's job until no legacy copy is waiting (a PDF's copy is flattened
    there, never in the request); the document as it then is."""
    from cia_authoring.legacy.jobs import MakeLegacyCopies

    job = MakeLegacyCopies()
    while job(db(app), app.config) < job.IDLE_S:
        pass
    if document_id is not None:
        return ok(client.get(f"/api/v1/documents/{document_id}", headers=ADMIN))
    return None


def listed(client) -> list[dict]:
    return ok(client.get("/api/v1/documents?page_size=100", headers=ADMIN))


@pytest.fixture
def patterns_only(databases):
    # The FOI officer's own term is what this test adds: the name model, which would
    # find the planted name on its own, is off, so that the term changes the copy.
    application = make_app(databases.new("authoring"), DISCLOSURE_NAME_MODEL=False)
    yield application
    db(application).dispose()


def test_docx_upload_redact_and_download(patterns_only):
    app, client = patterns_only, patterns_only.test_client()
    op = create_operation(client, reference="LFR-2019-0007")
    doc = ok(upload(client, op["id"], planted_docx()), 201)
    assert {k: doc[k] for k in ("operation_id", "title", "format", "state")} == {
        "operation_id": op["id"], "title": "CIA 2019", "format": "docx", "state": "pending_release"}
    assert len(doc["sha256"]) == 64 and doc["size"] > 0 and doc["dated"] == "2019-03-01"
    assert ok(client.get(f"/api/v1/documents/{doc['id']}", headers=ADMIN))["id"] == doc["id"]

    added = ok(client.post(f"/api/v1/documents/{doc['id']}/redactions", json=TERM, headers=FOI), 201)
    assert added["redaction"]["text"] == PLANTED
    assert added["document"]["redacted_sha256"] != doc["redacted_sha256"]

    resp = client.get(f"/api/v1/documents/{doc['id']}/disclosure", headers=FOI)
    assert resp.status_code == 200 and resp.mimetype == DOCX_TYPE
    parts = docx_texts(resp.data)
    assert [(n, v) for n, t in parts.items() for v in LEAKS if found(v, t)] == []
    assert norm(MARKERS["s40"]) in parts["word/document.xml"]
    assert resp.headers["X-Content-SHA256"] == added["document"]["redacted_sha256"]

    log = ok(client.get(f"/api/v1/documents/{doc['id']}/redaction-log", headers=ADMIN))
    assert any(e["rule_id"] == f"term:{added['redaction']['id']}" for e in log)
    assert {"phone", "name_after_rank"} <= {e["detector"] for e in log}
    csv_log = client.get(f"/api/v1/documents/{doc['id']}/redaction-log?format=csv", headers=FOI)
    assert csv_log.mimetype == "text/csv" and "pointer,rule_id" in csv_log.get_data(as_text=True)


def test_pdf_made_by_libreoffice_loses_the_value_across_runs_and_lines(app, client, libreoffice):
    op = create_operation(client, reference="LFR-2019-0008")
    # A PDF as a word processor writes it: the planted DOCX through LibreOffice.
    pdf = docx_to_pdf(planted_docx(), soffice=libreoffice)
    assert [v for v in LEAKS if not found(v, pdf_text(pdf))] == []  # positive control
    doc = ok(upload(client, op["id"], pdf, name="cia.docx"), 201)  # the name says docx; it is a PDF
    assert doc["format"] == "pdf" and doc["state"] == "processing"
    assert doc["progress"] == {"done": 0, "pages": doc["pages"]}
    # Nothing is served while the copy is made.
    assert problem(client.get(f"/api/v1/documents/{doc['id']}/disclosure", headers=FOI),
                   409)["state"] == "processing"
    ok(client.post(f"/api/v1/documents/{doc['id']}/redactions", json=TERM, headers=FOI), 201)
    doc = made(app, client, doc["id"])
    assert doc["state"] == "pending_release" and doc["scan_pages"] == [] and doc["progress"] is None
    assert doc["disclosure_formats"] == ["pdf"]

    resp = client.get(f"/api/v1/documents/{doc['id']}/disclosure", headers=FOI)
    assert resp.mimetype == "application/pdf"
    text = pdf_text(resp.data)
    assert [v for v in LEAKS if found(v, text)] == []
    raw = raw_streams(resp.data)
    assert [v for v in LEAKS if raw_contains(raw, v)] == []
    assert "an open sentence about the deployment." in text
    png = client.get(f"/api/v1/documents/{doc['id']}/disclosure/pages/1.png", headers=FOI)
    assert png.status_code == 200 and png.data.startswith(b"\x89PNG")
    problem(client.get(f"/api/v1/documents/{doc['id']}/disclosure/pages/99.png", headers=FOI), 404)
    # A PDF is only a PDF.
    problem(client.get(f"/api/v1/documents/{doc['id']}/disclosure?format=docx", headers=FOI), 406)


def test_a_docx_is_converted_to_pdf_on_request(app, client, libreoffice):
    op = create_operation(client, reference="LFR-2019-0009")
    doc = ok(upload(client, op["id"], planted_docx()), 201)
    ok(client.post(f"/api/v1/documents/{doc['id']}/redactions", json=TERM, headers=FOI), 201)
    resp = client.get(f"/api/v1/documents/{doc['id']}/disclosure",
                      headers={**FOI, "Accept": "application/pdf"})
    assert resp.status_code == 200 and resp.data.startswith(b"%PDF")
    text = pdf_text(resp.data)
    assert [v for v in LEAKS if found(v, text)] == []
    assert "redacted - s.40(2)" in text
    meta = pymupdf.open(stream=resp.data, filetype="pdf").metadata
    assert not meta["author"] and not meta["title"]
    again = client.get(f"/api/v1/documents/{doc['id']}/disclosure?format=pdf", headers=FOI)
    assert again.headers["X-Content-SHA256"] == resp.headers["X-Content-SHA256"]  # kept, not redone


def test_a_scanned_page_blocks_release_until_confirmed_after_its_preview(app, client):
    op = create_operation(client, reference="LFR-2019-0010")
    doc = ok(upload(client, op["id"], planted_pdf(scan=True), name="scan.pdf"), 201)
    doc = made(app, client, doc["id"])
    assert doc["scan_pages"] == [3] and doc["needs_manual_review"] == [3]
    base = f"/api/v1/documents/{doc['id']}"
    body = problem(client.post(f"{base}/release", json={}, headers=FOI), 409)
    assert body["needs_manual_review"] == [3]
    problem(client.post(f"{base}/pages/3/confirm", headers=FOI), 409)  # not looked at yet
    problem(client.post(f"{base}/pages/1/confirm", headers=FOI), 409)  # has text
    assert client.get(f"{base}/disclosure/pages/3.png", headers=FOI).status_code == 200
    # An area on the scan changes the copy: the page is looked at again.
    area = {"page": 3, "rect": list(SCAN_AREA), "exemption": "s31", "reason": "Camera positions."}
    ok(client.post(f"{base}/redactions", json=area, headers=FOI), 201)
    problem(client.post(f"{base}/pages/3/confirm", headers=FOI), 409)
    made(app)
    problem(client.post(f"{base}/pages/3/confirm", headers=FOI), 409)
    client.get(f"{base}/disclosure/pages/3.png", headers=FOI)
    confirmed = ok(client.post(f"{base}/pages/3/confirm", headers=FOI))
    assert confirmed["needs_manual_review"] == []
    released = ok(client.post(f"{base}/release", json={"note": "FOI 01.FOI.22.024139"}, headers=FOI))
    assert released["state"] == "released" and released["released_sha256"] == released["redacted_sha256"]
    problem(client.post(f"{base}/release", json={}, headers=FOI), 409)
    problem(client.post(f"{base}/redactions", json=TERM, headers=FOI), 409)


def _covered(area: list[float], box: tuple[float, ...]) -> float:
    """The share of ``box`` that ``area`` covers (both [x0, y0, x1, y1] in points)."""
    overlap = pymupdf.Rect(area) & pymupdf.Rect(box)
    return 0.0 if overlap.is_empty else overlap.get_area() / pymupdf.Rect(box).get_area()


def test_a_scan_is_read_by_ocr_and_what_the_pass_withholds_is_boxed_out_for_the_officer(app, client):
    scan = scanned_pdf(["Incident note from the ward panel meeting.",
                        f"Statement taken by Sergeant {NAME} on {PHONE}.",
                        "The panel discussed signage and the public notices."])
    planted = [NAME, SURNAME, "Ottoline", PHONE]
    # The source: no text layer holds the values, but a reader sees them on the image.
    assert [v for v in planted if found(v, pdf_text(scan.data))] == []
    assert [v for v in planted if not found(v, seen(scan.data))] == []
    op = create_operation(client, reference="LFR-2019-0016")
    doc = ok(upload(client, op["id"], scan.data, name="scan.pdf"), 201)
    assert doc["state"] == "processing"
    doc = made(app, client, doc["id"])
    base = f"/api/v1/documents/{doc['id']}"
    assert doc["state"] == "pending_release" and doc["pages"] == 1
    assert doc["scan_pages"] == [1] and doc["review_pages"] == [1] and doc["needs_manual_review"] == [1]

    # The words the pass withholds are proposed as areas of the page, where the image shows them.
    areas = [a for a in doc["proposed_areas"] if a["page"] == 1]
    assert {"name_after_rank", "phone"} <= {a["kind"] for a in areas}
    assert {a["exemption"] for a in areas} == {"s40"}
    for word in ("Ottoline", "Quillfeather", "020", "7946", "0321"):
        boxes = scan.boxes(word)
        assert boxes and all(max(_covered(a["rect"], box) for a in areas) >= 0.9 for box in boxes), word
    for word in ("Incident", "Statement", "signage"):  # and nothing else
        assert all(max(_covered(a["rect"], box) for a in areas) == 0 for box in scan.boxes(word)), word
    log = ok(client.get(f"{base}/redaction-log", headers=ADMIN))
    assert {("/page/1/ocr", "ocr:phone"), ("/page/1/ocr", "ocr:name_after_rank")} <= {
        (e["pointer"], e["detector"]) for e in log}

    # The copy has them boxed out: not on the page, in its text layer or anywhere in the file.
    resp = client.get(f"{base}/disclosure", headers=FOI)
    assert resp.status_code == 200 and resp.headers["X-Content-SHA256"] == doc["redacted_sha256"]
    copy = resp.data
    assert [v for v in planted if found(v, seen(copy))] == []
    assert [v for v in planted if found(v, pdf_text(copy))] == []
    raw = pdf_raw(copy)
    assert [v for v in planted if raw_found(raw, v)] == []
    # What is not withheld is still read on the page and searchable in the copy's text layer.
    layer = norm(pymupdf.open(stream=copy, filetype="pdf")[0].get_text())
    assert found("signage and the public notices", layer) and found("Sergeant", layer)

    # Proposed, boxed out, but released only once an officer has looked at the page.
    body = problem(client.post(f"{base}/release", json={}, headers=FOI), 409)
    assert body["needs_manual_review"] == [1]
    problem(client.post(f"{base}/pages/1/confirm", headers=FOI), 409)  # not looked at yet
    png = client.get(f"{base}/disclosure/pages/1.png", headers=FOI)
    assert png.status_code == 200 and png.data.startswith(b"\x89PNG")
    confirmed = ok(client.post(f"{base}/pages/1/confirm", headers=FOI))
    assert confirmed["needs_manual_review"] == [] and confirmed["proposed_areas"] == doc["proposed_areas"]
    released = ok(client.post(f"{base}/release", json={}, headers=FOI))
    assert released["state"] == "released" and released["released_sha256"] == doc["redacted_sha256"]
    after = client.get(f"{base}/disclosure", headers=FOI)
    assert after.headers["X-Content-SHA256"] == released["released_sha256"] and after.data == copy


def test_bad_redactions_name_the_field(app, client):
    op = create_operation(client, reference="LFR-2019-0011")
    docx_doc = ok(upload(client, op["id"], planted_docx()), 201)
    pdf_doc = ok(upload(client, op["id"], planted_pdf(), name="a.pdf"), 201)
    cases = [
        (docx_doc, {"page": 1, "rect": [0, 0, 10, 10], "exemption": "s40", "reason": "x"}, "/page"),
        (pdf_doc, {"page": 9, "rect": [0, 0, 10, 10], "exemption": "s40", "reason": "x"}, "/page"),
        (pdf_doc, {"page": 1, "rect": [10, 10, 0, 0], "exemption": "s40", "reason": "x"}, "/rect"),
        (pdf_doc, {"text": "A", "exemption": "s40", "reason": "x"}, "/text"),
        (pdf_doc, {"text": "Some words", "exemption": "s99", "reason": "x"}, "/exemption"),
        (pdf_doc, {"text": "Some words", "exemption": "s40", "reason": "About Some words"}, "/reason"),
        (pdf_doc, {"exemption": "s40", "reason": "x"}, "/text"),
    ]
    for doc, body, pointer in cases:
        errors = problem(client.post(f"/api/v1/documents/{doc['id']}/redactions", json=body,
                                     headers=FOI), 422)["errors"]
        assert pointer in {e["pointer"] for e in errors}, (body, errors)
    assert ok(client.get(f"/api/v1/documents/{pdf_doc['id']}/redactions", headers=FOI)) == []


def test_bad_files_are_refused_and_nothing_is_stored(databases):
    application = make_app(databases.new("authoring"), LEGACY_MAX_UPLOAD_BYTES=200_000)
    try:
        client = application.test_client()
        op = create_operation(client, reference="LFR-2019-0012")
        cases = [
            (b"plain text, named like a Word file", "cia.docx", "neither"),
            (encrypted_pdf(), "cia.pdf", "password-protected"),
            (macro_docx(), "cia.docx", "macro-enabled"),
            (planted_docx()[:-300], "cia.docx", "corrupt"),
        ]
        for data, name, says in cases:
            body = problem(upload(client, op["id"], data, name=name), 422)
            assert says in body["detail"] and body["errors"][0]["pointer"] == "/file"
        big = problem(upload(client, op["id"], b"%PDF-1.7\n" + b"0" * 300_000, name="big.pdf"), 413)
        assert big["status"] == 413
        problem(upload(client, op["id"], planted_pdf(), title=""), 422)
        problem(upload(client, op["id"], planted_pdf(), dated="01/03/2019"), 422)
        problem(upload(client, "no-such-operation", planted_pdf()), 404)
        problem(upload(client, op["id"], planted_pdf(), headers=PLANNER), 403)
        assert listed(client) == []
        pdf = planted_pdf()
        ok(upload(client, op["id"], pdf, name="a.pdf"), 201)
        duplicate = problem(upload(client, op["id"], pdf, name="b.pdf"), 409)
        assert duplicate["document_id"] == listed(client)[0]["id"]
        assert len(listed(client)) == 1
    finally:
        db(application).dispose()


def test_released_documents_join_the_listing_and_the_bundle(app, client, tmp_path):
    op = create_operation(client, reference="LFR-2019-0013", planned_start="2019-05-14T10:00:00+01:00",
                          planned_end="2019-05-14T18:00:00+01:00")
    released = ok(upload(client, op["id"], planted_docx(), headers=ADMIN), 201)
    ok(client.post(f"/api/v1/documents/{released['id']}/redactions", json=TERM, headers=FOI), 201)
    ok(client.post(f"/api/v1/documents/{released['id']}/release", json={}, headers=FOI))
    published = ok(upload(client, op["id"], planted_pdf(), name="p.pdf"), 201)
    url = "https://www.met.police.uk/foi-ai/lfr-2019-0013"
    ok(client.post(f"/api/v1/documents/{published['id']}/release", json={"published_url": url},
                   headers=FOI))
    pending = ok(upload(client, op["id"], planted_pdf("Another Person"), name="q.pdf"), 201)
    made(app)
    problem(client.post(f"/api/v1/documents/{pending['id']}/release", json={"published_url": "ftp://x"},
                        headers=FOI), 422)

    listing = ok(client.get("/api/v1/disclosures?page_size=50", headers=FOI))
    legacy = {d["document_id"]: d for d in listing if d["kind"] == "legacy"}
    assert set(legacy) == {released["id"], published["id"]}
    assert legacy[published["id"]]["published_url"] == url
    assert legacy[released["id"]]["operation_reference"] == "LFR-2019-0013"

    resp = client.get("/api/v1/disclosures/bundle?from=2019-01-01&to=2019-12-31", headers=FOI)
    assert resp.status_code == 200 and resp.headers["X-Bundle-Legacy-Documents"] == "2"
    with zipfile.ZipFile(io.BytesIO(resp.data)) as zf:
        files = {n: zf.read(n) for n in zf.namelist()}
    index = list(csv.DictReader(io.StringIO(files["index.csv"].decode())))
    rows = [r for r in index if r["kind"] == "legacy"]
    cited = [r for r in rows if r["exemption"] == "s.21"]
    assert [(r["url"], r["file"]) for r in cited] == [(url, "")]
    filed = [r for r in rows if r["file"]]
    assert {r["format"] for r in filed} == {"docx", "redaction-log-csv", "redaction-log-json"}
    assert all(r["source"] == "upload" for r in rows)
    docx_name = next(r["file"] for r in filed if r["format"] == "docx")
    parts = docx_texts(files[docx_name])
    assert [(n, v) for n, t in parts.items() for v in LEAKS if found(v, t)] == []
    assert not any("Another" in n for n in files)

    # The command line writes the same bundle.
    out = tmp_path / "bundle.zip"
    result = CliRunner().invoke(cia, ["export-disclosures", "--from", "2019-01-01", "--to", "2019-12-31",
                                      "--database-url", app.config["DATABASE_URL"], str(out)])
    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(out) as zf:
        exported = list(csv.DictReader(io.StringIO(zf.read("index.csv").decode())))
        assert zf.read(docx_name) == files[docx_name]
    assert [(r["kind"], r["format"], r["exemption"]) for r in exported] == [
        (r["kind"], r["format"], r["exemption"]) for r in index]

    with db(app).sessions() as session:
        found_docs = released_legacy_documents(session, operation_ids=[op["id"]])
        assert {d.id for d in found_docs} == {released["id"], published["id"]}
        assert released_legacy_documents(session, date_from=date(2020, 1, 1)) == []


def test_cli_imports_a_manifest_once(app, client, tmp_path):
    op = create_operation(client, reference="LFR-2019-0014")
    (tmp_path / "a.docx").write_bytes(planted_docx())
    (tmp_path / "b.bin").write_bytes(planted_pdf())
    (tmp_path / "c.pdf").write_bytes(b"not a pdf at all")
    manifest = tmp_path / "manifest.csv"
    manifest.write_text("file,operation_reference,title,dated\n"
                        f"a.docx,{op['reference']},CIA v1,2019-03-01\n"
                        f"b.bin,{op['reference']},CIA map,\n"
                        "c.pdf,LFR-2019-0014,Broken,2019-03-02\n"
                        "a.docx,LFR-1999-0000,Unknown operation,2019-03-01\n"
                        f"missing.pdf,{op['reference']},Missing,2019-03-01\n")
    runner = CliRunner()
    url = app.config["DATABASE_URL"]
    first = runner.invoke(cia, ["import-documents", str(manifest), "--database-url", url, "--by", "records"])
    assert first.exit_code == 1, first.output
    assert "line 4: c.pdf: file: The file is neither" in first.output
    assert "line 6: missing.pdf: no such file" in first.output
    assert "Imported 2 document(s)" in first.output and "1 already imported" in first.output
    # The PDF's flattened copy was made there and then, its pages counted as they went.
    assert "Pages of 1 PDF(s)" in first.output
    docs = listed(client)
    assert {d["state"] for d in docs} == {"pending_release"}
    assert sorted(d["format"] for d in docs) == ["docx", "pdf"]
    assert {d["source"] for d in docs} == {"import:manifest.csv"}
    second = runner.invoke(cia, ["import-documents", str(manifest), "--database-url", url])
    assert "Imported 0 document(s)" in second.output and "3 already imported" in second.output
    assert len(listed(client)) == 2


def test_censor_rules_and_the_name_register_apply_and_release_checks_them_again(app, client):
    from cia_authoring.disclosure.models import RegisteredName

    with db(app).sessions() as session:
        session.add(RegisteredName(key="zebedee quaintrell", name="Zebedee Quaintrell",
                                   first_cia_id="elsewhere"))
        session.commit()
    op = create_operation(client, reference="LFR-2019-0015")
    doc = ok(upload(client, op["id"], planted_docx("Zebedee Quaintrell")), 201)
    copy = client.get(f"/api/v1/documents/{doc['id']}/disclosure", headers=FOI).data
    assert not any(found("Quaintrell", t) for t in docx_texts(copy).values())  # the register

    # A global censor rule added after the upload: release redacts again, refuses once.
    assert any(found("open sentence", t) for t in docx_texts(copy).values())
    ok(client.post("/api/v1/disclosures/rules", headers=FOI, json={
        "kind": "literal", "pattern": "open sentence", "exemption": "s31",
        "reason": "Tactics."}), 201)
    body = problem(client.post(f"/api/v1/documents/{doc['id']}/release", json={}, headers=FOI), 409)
    assert body["redacted_sha256"] != doc["redacted_sha256"]
    copy = client.get(f"/api/v1/documents/{doc['id']}/disclosure", headers=FOI).data
    assert not any(found("open sentence", t) for t in docx_texts(copy).values())
    released = ok(client.post(f"/api/v1/documents/{doc['id']}/release", json={}, headers=FOI))
    assert released["released_sha256"] == body["redacted_sha256"]
