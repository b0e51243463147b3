"""Disclosure bundles: the released, current copies of a date range as one zip,
streamed over HTTP and written by ``cia export-disclosures`` from the same
service function. The May copy carries a value in every s40/s31 field, and its
PDF is the stored DOCX converted by LibreOffice: the bundle's PDF and DOCX are
read as a reader would (``tests.leaks``) for the redaction markers and for
anything planted."""
from __future__ import annotations

import csv
import hashlib
import io
import zipfile

import pytest
from click.testing import CliRunner

from cia_authoring.documents.libreoffice import docx_to_pdf
from cia_authoring.cias.models import Document
from cia_common.cli import main as cia
from cia_common.web import db

from tests.integration.test_authoring_support import (ADMIN, FOI, PLANNER, app, authorise, client,
                                                      content_for, create_operation, deliver,
                                                      libreoffice, ok, problem, review_completed)
from tests.integration.test_foi_support import (CENSOR_BADGE, FOI_OFFICER, checked, drain, leaked,
                                                missing, planted_content)
from tests.leaks import docx_texts, found, pdf_text, readable

pytestmark = pytest.mark.integration
__all__ = ["app", "client", "libreoffice"]

MAY = "LFR-2026-0042"


def seed(app, client, soffice: str) -> tuple[dict, dict, bytes]:
    """Three approved CIAs: May (planted, released, with its PDF made by LibreOffice),
    June (released, then its rule changes), July (pending). Returns the copies, May's
    planted values and May's PDF."""
    copies = {}
    planted, tokens = planted_content(MAY)
    for ref, day in (("LFR-2026-0042", "2026-05-14"), ("LFR-2026-0043", "2026-06-10"),
                     ("LFR-2026-0044", "2026-07-01")):
        op_fields = {"planned_start": f"{day}T10:00:00+01:00", "planned_end": f"{day}T18:00:00+01:00"}
        op = create_operation(client, reference=ref, **op_fields)
        authorise(client, op["id"])
        content = planted if ref == MAY else content_for(ref)
        cia = ok(client.post("/api/v1/cias", json={"operation_id": op["id"], "content": content},
                             headers=PLANNER), 201)
        ok(client.post(f"/api/v1/cias/{cia['id']}/submit", json={}, headers=PLANNER))
        assert deliver(app, review_completed(cia["id"], 1, "approved"))
        copies[ref] = cia["id"]
    docx = client.get(f"/api/v1/disclosures/{copies[MAY]}/versions/1/document", headers=FOI)
    assert docx.status_code == 200
    pdf = docx_to_pdf(docx.data, soffice=soffice)
    with db(app).sessions() as s:
        s.add(Document(cia_id=copies[MAY], version=1, kind="disclosure",
                       format="pdf", sha256=hashlib.sha256(pdf).hexdigest(),
                       size=len(pdf), data=pdf, redaction_log=[]))
        s.commit()
    checked(app)
    for ref in ("LFR-2026-0042", "LFR-2026-0043"):
        ok(client.post(f"/api/v1/disclosures/{copies[ref]}/versions/1/release",
                       headers=FOI_OFFICER))
    # No censor rule applies here: the texts planted for those rules stay in the copy.
    tokens = {k: v for k, v in tokens.items() if not k.startswith("censor")}
    # Positive control: the checker sees every planted value in May's full document.
    full = client.get(f"/api/v1/cias/{copies[MAY]}/versions/1/document", headers=PLANNER)
    assert missing(tokens, readable(full.data)) == []
    return copies, tokens, pdf


def members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        assert zf.testzip() is None
        return {n: zf.read(n) for n in zf.namelist()}


def check_bundle(files: dict[str, bytes], expected_refs: list[str]) -> list[dict]:
    index = list(csv.DictReader(io.StringIO(files["index.csv"].decode())))
    assert "README.txt" in files
    folders = sorted({n.split("/")[0] for n in files if "/" in n})
    assert folders == [f"{r}-v1" for r in expected_refs]
    for row in index:
        data = files[row["file"]]
        assert hashlib.sha256(data).hexdigest() == row["sha256"]
        assert int(row["bytes"]) == len(data) and row["version"] == "1"
        assert row["borough"] == "Croydon" and row["released_at"] and row["planned_start"]
    assert {r["file"] for r in index} == set(files) - {"README.txt", "index.csv"}
    for ref in expected_refs:
        folder = f"{ref}-v1"
        assert zipfile.is_zipfile(io.BytesIO(files[f"{folder}/{folder}-disclosure.docx"]))
        log = files[f"{folder}/redaction-log.csv"].decode()
        assert log.startswith("pointer,rule_id,detector,exemption,reason") and "s.40(2)" in log
        assert f"{folder}/redaction-log.json" in files
    return index


def check_may_copy(files: dict[str, bytes], tokens: dict[str, list[str]]) -> None:
    """May's PDF in the bundle is a real PDF whose text shows the redaction markers,
    the open text around them, and nothing planted; so does its DOCX."""
    from pypdf import PdfReader

    folder = f"{MAY}-v1"
    pdf = files[f"{folder}/{folder}-disclosure.pdf"]
    assert pdf.startswith(b"%PDF-") and len(PdfReader(io.BytesIO(pdf)).pages) >= 2
    text = pdf_text(pdf)
    assert found("Croydon Town Centre LFR Deployment", text)  # the text layer was read
    assert found("Redacted s.40(2)", text) and found("Redacted s.31(1)(a)(b)", text)
    assert leaked(tokens, text) == []
    assert found(CENSOR_BADGE, text)  # open text with no rule against it: shown, and seen
    for name, part in docx_texts(files[f"{folder}/{folder}-disclosure.docx"]).items():
        assert leaked(tokens, part) == [], name
    # Every other member too (redaction logs, index, README), read as the checker reads.
    for name, data in files.items():
        assert leaked(tokens, readable(data)) == [], name


def test_bundle_streams_the_released_current_copies_of_the_range(app, client, libreoffice):
    copies, tokens, may_pdf = seed(app, client, libreoffice)
    # June's copy gets a rule that changes it: until the worker has re-rendered it,
    # it is left out even though it was released.
    ok(client.post("/api/v1/disclosures/rules", headers=FOI_OFFICER, json={
        "cia_id": copies["LFR-2026-0043"], "kind": "literal", "pattern": "Whitgift Centre",
        "exemption": "s31", "reason": "Reveals where the cameras stand."}), 201)

    resp = client.get("/api/v1/disclosures/bundle?from=2026-05-01&to=2026-06-30", headers=FOI)
    assert resp.status_code == 200 and resp.mimetype == "application/zip"
    assert resp.is_streamed
    assert resp.headers["X-Bundle-Copies"] == "1" and resp.headers["X-Bundle-Left-Out"] == "1"
    assert "disclosures-2026-05-01-2026-07-01.zip" in resp.headers["Content-Disposition"]
    chunks = list(resp.response)
    assert len(chunks) > 3  # written out file by file, not built whole
    files = members(b"".join(chunks))
    index = check_bundle(files, ["LFR-2026-0042"])
    assert {r["format"] for r in index} == {"docx", "pdf", "redaction-log-csv", "redaction-log-json"}
    assert files["LFR-2026-0042-v1/LFR-2026-0042-v1-disclosure.pdf"] == may_pdf
    check_may_copy(files, tokens)
    stored = ok(client.get(f"/api/v1/disclosures/{copies['LFR-2026-0042']}/versions/1", headers=FOI))
    docx_row = next(r for r in index if r["format"] == "docx")
    assert docx_row["sha256"] == stored["sha256"]

    # After the worker re-rendered June's copy it is pending again: still not bundled
    # (and no longer "left out"); released again, it is.
    drain(app)
    resp = client.get("/api/v1/disclosures/bundle?from=2026-06-01", headers=ADMIN)
    assert resp.headers["X-Bundle-Copies"] == "0" and resp.headers["X-Bundle-Left-Out"] == "0"
    assert [n for n in members(resp.data) if "/" in n] == []
    checked(app)
    ok(client.post(f"/api/v1/disclosures/{copies['LFR-2026-0043']}/versions/1/release",
                   headers=FOI_OFFICER))
    files = members(client.get("/api/v1/disclosures/bundle?from=2026-06-01", headers=FOI).data)
    check_bundle(files, ["LFR-2026-0043"])  # July is in range but never released
    docx = files["LFR-2026-0043-v1/LFR-2026-0043-v1-disclosure.docx"]
    assert not found("Whitgift", readable(docx)) and not found("Whitgift Centre", readable(docx))
    # Positive control: the same checker sees the site in June's full document.
    assert found("Whitgift Centre", readable(client.get(
        f"/api/v1/cias/{copies['LFR-2026-0043']}/versions/1/document", headers=PLANNER).data))
    problem(client.get("/api/v1/disclosures/bundle?from=soon", headers=FOI), 422)
    problem(client.get("/api/v1/disclosures/bundle", headers=PLANNER), 403)


def test_export_disclosures_command_writes_the_same_bundle(app, client, tmp_path, libreoffice):
    _copies, tokens, _pdf = seed(app, client, libreoffice)
    out = tmp_path / "bundle.zip"
    result = CliRunner().invoke(cia, ["export-disclosures", "--from", "2026-05-01", "--to",
                                      "2026-12-31", "--database-url", app.config["DATABASE_URL"],
                                      str(out)])
    assert result.exit_code == 0, result.output
    assert "Wrote 2 released disclosure copies" in result.output
    assert "Disclosure copies" in result.output  # the progress bar's label
    from_cli = members(out.read_bytes())
    check_bundle(from_cli, ["LFR-2026-0042", "LFR-2026-0043"])
    check_may_copy(from_cli, tokens)
    from_api = members(client.get("/api/v1/disclosures/bundle?from=2026-05-01&to=2026-12-31",
                                  headers=FOI).data)
    assert {n: v for n, v in from_cli.items() if n not in ("README.txt", "index.csv")} == \
        {n: v for n, v in from_api.items() if n not in ("README.txt", "index.csv")}
    assert not list(tmp_path.glob("*.part"))
    bad = CliRunner().invoke(cia, ["export-disclosures", "--from", "May", str(out),
                                   "--database-url", app.config["DATABASE_URL"]])
    assert bad.exit_code == 2 and "not a date" in bad.output
