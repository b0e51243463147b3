"""PDF documents: made once from the stored DOCX of an approved version and
served from storage; drafts converted on the fly; a failed conversion never
touches the approval and is retried (SQLite and PostgreSQL, real LibreOffice)."""
from __future__ import annotations

import hashlib
import io
import stat

import pytest
import sqlalchemy as sa
from pypdf import PdfReader

from cia_authoring import settings as authoring_settings
from cia_authoring.documents import pdfs
from cia_authoring.cias.models import Document
from cia_common.web import db

from tests.integration.test_authoring_support import *  # noqa: F401,F403
from tests.integration.test_authoring_support import (ADMIN, PLANNER, REVIEWER, approved_cia,
                                                      create_cia, create_operation, make_app, ok,
                                                      problem)
from tests.leaks import found, readable

pytestmark = pytest.mark.integration

PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@pytest.fixture(autouse=True)
def _needs_libreoffice(libreoffice):
    return libreoffice


def _text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def _stored(app, cia_id) -> dict:
    with db(app).sessions() as s:
        return {(d.version, d.kind, d.format): d.sha256 for d in s.execute(
            sa.select(Document).where(Document.cia_id == cia_id)).scalars()}


def _audit(client, cia_id) -> dict:
    return ok(client.get(f"/api/v1/cias/{cia_id}/audit", headers=ADMIN))


def test_pdf_of_an_approved_version_is_made_once_and_served_from_storage(app, client):
    op, cia = approved_cia(app, client)
    url = f"/api/v1/cias/{cia['id']}/versions/1/document"
    docx_sha = _stored(app, cia["id"])[(1, "full", "docx")]
    entries_before = len(_audit(client, cia["id"])["entries"])

    first = client.get(url, headers={**PLANNER, "Accept": PDF})
    assert first.status_code == 200 and first.mimetype == PDF
    assert first.data.startswith(b"%PDF")
    digest = hashlib.sha256(first.data).hexdigest()
    assert first.headers["X-Content-SHA256"] == digest and first.headers["ETag"] == f'"{digest}"'
    assert first.headers["X-Document-Stored"] == "true"
    assert 'filename="LFR-2026-0042-v1.pdf"' in first.headers["Content-Disposition"]
    text = _text(first.data)
    assert op["name"] in text and "LFR-2026-0042" in text
    # The full, unredacted copy, read whole (tests/leaks.py): no draft watermark as written,
    # capitals and all, anywhere in it; the planted value shows.
    shown = readable(first.data, keep_case=True)
    assert not found("DRAFT", shown, keep_case=True) and found("Hollingsworth-S40", shown)
    assert _stored(app, cia["id"])[(1, "full", "pdf")] == digest

    audit = _audit(client, cia["id"])
    assert audit["chain_valid"] is True
    [render] = audit["entries"][entries_before:]
    assert render["action"] == "document.rendered" and render["version"] == 1
    assert render["actor"]["sub"] == "planner-1"  # the request that came first made it
    assert render["detail"] == {"kind": "full", "format": "pdf", "sha256": digest, "stored": True,
                                "from_docx_sha256": docx_sha}
    assert render["content_sha256"] == cia["content_hash"]

    # From storage: the same bytes, nothing rendered or recorded again.
    again = client.get(url, headers={**REVIEWER, "Accept": "application/pdf, */*;q=0.1"})
    assert again.data == first.data and again.mimetype == PDF
    assert len(_audit(client, cia["id"])["entries"]) == entries_before + 1
    assert client.get(url, headers=PLANNER).mimetype == DOCX  # DOCX still the default


def test_a_draft_pdf_is_converted_on_the_fly_and_not_stored(app, client):
    op = create_operation(client)
    cia = create_cia(client, op["id"], content={"header": {"operation_reference": op["reference"],
                                                           "title": "Early draft"}})
    resp = client.get(f"/api/v1/cias/{cia['id']}/versions/1/document",
                      headers={**PLANNER, "Accept": PDF})
    assert resp.status_code == 200 and resp.mimetype == PDF
    assert resp.headers["X-Document-Stored"] == "false"
    assert resp.headers["X-Content-SHA256"] == hashlib.sha256(resp.data).hexdigest()
    text = _text(resp.data)
    assert "Early draft" in text and "DRAFT — NOT APPROVED" in text and "Not yet provided" in text
    # The positive control of the approved copy's check: the same checker sees the watermark.
    assert found("DRAFT — NOT APPROVED", readable(resp.data, keep_case=True), keep_case=True)
    assert _stored(app, cia["id"]) == {}
    last = _audit(client, cia["id"])["entries"][-1]
    assert last["action"] == "document.rendered"
    assert last["detail"] == {"kind": "full", "format": "pdf", "stored": False,
                              "sha256": resp.headers["X-Content-SHA256"]}


def _broken_soffice(tmp_path) -> str:
    script = tmp_path / "broken-soffice"
    script.write_text("#!/bin/sh\necho 'General Error: the document could not be loaded'\nexit 1\n")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return str(script)


def test_a_failed_conversion_keeps_the_approval_and_is_retried(databases, tmp_path):
    app = make_app(databases.new("authoring"), SOFFICE=_broken_soffice(tmp_path))
    try:
        client = app.test_client()
        _op, cia = approved_cia(app, client)
        assert cia["status"] == "approved"  # approval never waits for LibreOffice
        assert set(_stored(app, cia["id"])) == {(1, "full", "docx"), (1, "disclosure", "docx")}
        url = f"/api/v1/cias/{cia['id']}/versions/1/document"
        entries = len(_audit(client, cia["id"])["entries"])

        body = problem(client.get(url, headers={**PLANNER, "Accept": PDF}), 503)
        assert "DOCX" in body["detail"] and "General Error" not in body["detail"]
        assert client.get(url, headers={**PLANNER, "Accept": PDF}).headers["Retry-After"] == "30"
        assert client.get(url, headers=PLANNER).status_code == 200  # the DOCX is there

        # The worker's job fails on each document, then waits before trying again.
        cfg = dict(app.config)
        job = pdfs.RenderAhead()
        assert job(db(app), cfg) == 0.5
        assert job(db(app), cfg) == 0.5
        assert job(db(app), cfg) == 2.0  # both failed recently: nothing due
        assert {k.kind: n for k, (n, _at) in job.failures.items()} == {"full": 1, "disclosure": 1}
        assert set(_stored(app, cia["id"])) == {(1, "full", "docx"), (1, "disclosure", "docx")}
        assert len(_audit(client, cia["id"])["entries"]) == entries
        assert get_status(client, cia["id"]) == "approved"

        # LibreOffice fixed (and the worker restarted): both PDFs are stored once.
        fixed = {**cfg, "SOFFICE": None}
        job = pdfs.RenderAhead()
        while job(db(app), fixed) != 2.0:
            pass
        stored = _stored(app, cia["id"])
        assert set(stored) == {(1, kind, fmt) for kind in ("full", "disclosure")
                               for fmt in ("docx", "pdf")}
        with db(app).sessions() as s:
            assert pdfs.pending(s) == []
        renders = _audit(client, cia["id"])["entries"][entries:]
        assert sorted((e["detail"]["kind"], e["actor"]["sub"]) for e in renders) == [
            ("disclosure", "system"), ("full", "system")]
        # Served from storage even though this app's LibreOffice is still broken.
        served = client.get(url, headers={**PLANNER, "Accept": PDF})
        assert served.status_code == 200
        assert hashlib.sha256(served.data).hexdigest() == stored[(1, "full", "pdf")]
        assert "[Redacted" in _text(_disclosure_pdf(app, cia["id"]))
    finally:
        db(app).dispose()


def get_status(client, cia_id) -> str:
    return ok(client.get(f"/api/v1/cias/{cia_id}", headers=PLANNER))["status"]


def _disclosure_pdf(app, cia_id) -> bytes:
    with db(app).sessions() as s:
        return s.execute(sa.select(Document.data).where(
            Document.cia_id == cia_id, Document.kind == "disclosure",
            Document.format == "pdf")).scalar_one()


def test_a_pdf_of_a_docx_no_longer_stored_is_refused(app, client):
    _op, cia = approved_cia(app, client)
    key = pdfs.DocKey(cia["id"], 1, "disclosure")
    with pytest.raises(pdfs.SourceChanged):
        with authoring_settings.unit_of_work(db(app), app.config) as uow:
            pdfs.store(uow, key, b"%PDF-1.7 made from an older DOCX", "0" * 64, object())
    with db(app).sessions() as s:
        assert key in pdfs.pending(s)  # still to be made, from the DOCX that is stored
