"""Nothing leaks: every s40 and s31 field planted (walking the schema), free text
carrying e-mail addresses, UK phone numbers and two censor-rule targets; the
disclosure DOCX (every part of the zip) and PDF (text and metadata, LibreOffice
for real) show none of it, and name the force, not the author. Planted values
carry ``&``, ``<``, ``>``, line breaks and Unicode spaces, and are looked for
with ``tests.leaks`` (unescaped, normalised, case-folded), never as raw bytes."""
from __future__ import annotations

import io
import json
import re
import zipfile

import pytest

from cia_common.web import db

from tests.integration.test_authoring_support import (ADMIN, PLANNER, bearer, make_app, ok,
                                                      problem)
from tests.integration.test_foi_support import (CENSOR_BADGE, CENSOR_NAME, FOI_OFFICER, approve,
                                                drain, leaked, missing, planted_content,
                                                readable_text, secret_pointers)
from tests.leaks import docx_texts, found, norm, pdf_text

pytestmark = pytest.mark.integration

FORCE = "Metropolitan Police Service"
DOCX_URL = "/api/v1/disclosures/{cia}/versions/1/document"
# A planner whose name is as spottable as the planted values.
AUTHOR = bearer("planner-zq", "Zebedee Quartermaine", "planner")
S40_MARKER, S31_MARKER = "[Redacted — s.40(2)]", "[Redacted — s.31(1)(a)(b)]"


def test_nothing_planted_reaches_the_disclosure_docx_or_pdf(databases):
    # PDF_RENDER_AHEAD off: the PDF request converts the stored DOCX there and then.
    app = make_app(databases.new("authoring"), PDF_RENDER_AHEAD=False)
    try:
        client = app.test_client()
        content, tokens = planted_content("LFR-2026-0042")
        _op, cia = approve(app, client, content, planner=AUTHOR)
        for body in ({"cia_id": cia["id"], "kind": "literal", "pattern": CENSOR_NAME,
                      "exemption": "s40", "reason": "Name of an officer below Superintendent."},
                     {"kind": "regex", "pattern": r"ZQ-BADGE-\d{4}", "exemption": "s31",
                      "reason": "Internal log numbers reveal tactics."}):
            ok(client.post("/api/v1/disclosures/rules", json=body, headers=FOI_OFFICER), 201)
        assert "disclosure.rerender_requested" in drain(app)

        # Positive control: the planner's full document shows every planted value,
        # so their absence below means they were withheld, not that the checker is blind
        # to escaped, wrapped or oddly spaced text.
        full = readable_text(client.get(f"/api/v1/cias/{cia['id']}/versions/1/document",
                                        headers=PLANNER).data)
        assert missing(tokens, full) == []

        docx = client.get(DOCX_URL.format(cia=cia["id"]), headers=FOI_OFFICER)
        assert docx.status_code == 200
        parts = docx_texts(docx.data)
        assert "word/document.xml" in parts and any(n.startswith("word/header") for n in parts)
        assert any(n.startswith("word/footer") for n in parts) and "docProps/core.xml" in parts
        for name, text in parts.items():
            assert leaked(tokens, text) == [], name
            assert not found("Zebedee", text) and not found("Quartermaine", text), name
        with zipfile.ZipFile(io.BytesIO(docx.data)) as zf:
            core = zf.read("docProps/core.xml").decode()
        assert re.search(rf"<dc:creator>{FORCE}</dc:creator>", core)
        assert re.search(rf"<cp:lastModifiedBy>{FORCE}</cp:lastModifiedBy>", core)
        everything = "\n".join(parts.values())
        s40, s31 = norm(S40_MARKER), norm(S31_MARKER)
        assert s40 in everything and s31 in everything
        body = parts["word/document.xml"]
        # In place: free-text e-mail and phone, and the censor rules' targets.
        assert norm(f"Questions to {S40_MARKER} or {S40_MARKER}.") in body
        assert norm(f"Out of hours: {S40_MARKER}.") in body
        assert norm(f"Advised by {S40_MARKER}.") in body
        assert norm(f"Logged under {S31_MARKER}.") in body

        pdf = client.get(DOCX_URL.format(cia=cia["id"]), headers={**FOI_OFFICER,
                                                                  "Accept": "application/pdf"})
        assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
        assert pdf.data.startswith(b"%PDF")
        text = pdf_text(pdf.data)
        assert found("Croydon Town Centre LFR Deployment", text)  # the text layer was read
        assert leaked(tokens, text) == []
        assert not found("Zebedee", text) and not found("Quartermaine", text)
        from pypdf import PdfReader
        meta = PdfReader(io.BytesIO(pdf.data)).metadata
        assert meta.author == FORCE
        assert found("Redacted s.40(2)", text) and found("Redacted s.31(1)(a)(b)", text)
        # What was converted is the re-rendered copy: asking again serves the stored PDF.
        again = client.get(DOCX_URL.format(cia=cia["id"]) + "?format=pdf", headers=ADMIN)
        assert again.data == pdf.data

        # Every s40/s31 field of the schema was planted, and each is in the log.
        log = ok(client.get(f"/api/v1/disclosures/{cia['id']}/versions/1/redaction-log",
                            headers=FOI_OFFICER))
        secret = secret_pointers()
        assert all(any(p == sp or p.startswith(sp + "/") for p in tokens) for sp in secret)
        logged = {re.sub(r"/\d+(?=/|$)", "/0", e["pointer"]) for e in log if e["rule_id"] is None}
        assert secret <= logged
        by_rule = [e for e in log if e["rule_id"]]
        assert {e["pointer"] for e in by_rule} == {"/legal_basis/necessity", "/communications/plan",
                                                  "/risks/0/mitigation"}
        assert {e["exemption"] for e in by_rule} == {"s.40(2)", "s.31(1)(a)(b)"}
        log_text = norm(json.dumps(log, ensure_ascii=False))
        assert not found(CENSOR_BADGE, log_text) and not found(CENSOR_NAME, log_text)
        assert leaked(tokens, log_text) == []
    finally:
        db(app).dispose()


def test_foi_cannot_release_or_read_what_it_should_not(databases):
    """The role gate around the new endpoints (the sweep over every endpoint is
    in test_foi_access.py)."""
    app = make_app(databases.new("authoring"))
    try:
        client = app.test_client()
        _op, cia = approve(app, client)
        release = f"/api/v1/disclosures/{cia['id']}/versions/1/release"
        problem(client.post(release, headers=ADMIN), 403)
        problem(client.post(release, headers=PLANNER), 403)
        problem(client.post("/api/v1/disclosures/rules", headers=ADMIN,
                            json={"kind": "literal", "pattern": "ab", "exemption": "s40",
                                  "reason": "x"}), 403)
        problem(client.get("/api/v1/statistics/alerts", headers=PLANNER), 403)
        problem(client.get("/api/v1/disclosures/bundle"), 401)
    finally:
        db(app).dispose()
