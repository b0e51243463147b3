"""Full documents (/cias/.../document) and FOI disclosure copies (/disclosures)."""
from __future__ import annotations

import hashlib
import re

import pytest

from tests.integration.test_authoring_support import *  # noqa: F401,F403
from tests.integration.test_authoring_support import (ADMIN, FOI, PLANNER, REVIEWER, approved_cia,
                                                      content_for, create_cia, create_operation,
                                                      ok, problem)
from tests.leaks import found, readable

pytestmark = pytest.mark.integration

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _planted(content: dict) -> list[str]:
    """The deliberately spottable personal (S40) and tactical (S31-) tokens of the example."""
    tokens = []

    def walk(node):
        if isinstance(node, dict):
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)
        elif isinstance(node, str):
            tokens.extend(re.findall(r"[\w.@+-]*(?:S40|s40)[\w.@-]*|S31-[A-Z0-9-]+", node))

    walk(content)
    return sorted(set(tokens))


def test_full_document_of_an_approved_version_is_the_stored_one(app, client):
    op, cia = approved_cia(app, client)
    url = f"/api/v1/cias/{cia['id']}/versions/1/document"
    first = client.get(url, headers=REVIEWER)
    assert first.status_code == 200 and first.mimetype == DOCX
    digest = hashlib.sha256(first.data).hexdigest()
    assert first.headers["X-Content-SHA256"] == digest
    assert first.headers["ETag"] == f'"{digest}"'
    assert first.headers["X-Document-Stored"] == "true"
    assert 'filename="LFR-2026-0042-v1.docx"' in first.headers["Content-Disposition"]
    again = client.get(url, headers=ADMIN)
    assert again.data == first.data  # stored, not re-rendered

    text = readable(first.data)
    assert found(op["name"], text)
    # The full document is the unredacted one: every planted value shows (the positive
    # control of the disclosure copy's check below, by the same checker).
    assert [p for p in _planted(content_for("LFR-2026-0042")) if not found(p, text)] == []

    problem(client.get(url, headers=FOI), 403)
    problem(client.get(url), 401)
    # DOCX unless PDF is preferred (PDFs: test_authoring_pdf.py); neither acceptable: 406.
    assert problem(client.get(url, headers={**PLANNER, "Accept": "text/html"}),
                   406)["title"] == "Not Acceptable"
    ok_any = client.get(url, headers={**PLANNER, "Accept": "application/pdf;q=0.1, */*"})
    assert ok_any.status_code == 200 and ok_any.mimetype == DOCX and ok_any.data == first.data
    problem(client.get(f"/api/v1/cias/{cia['id']}/versions/9/document", headers=PLANNER), 404)


def test_draft_document_is_rendered_on_the_fly(client):
    op = create_operation(client)
    cia = create_cia(client, op["id"], content={"header": {"operation_reference": op["reference"],
                                                           "title": "Early draft"}})
    resp = client.get(f"/api/v1/cias/{cia['id']}/versions/1/document", headers=PLANNER)
    assert resp.status_code == 200 and resp.mimetype == DOCX
    assert resp.headers["X-Document-Stored"] == "false"
    assert resp.headers["X-Content-SHA256"] == hashlib.sha256(resp.data).hexdigest()
    assert found("Early draft", readable(resp.data))
    audit = ok(client.get(f"/api/v1/cias/{cia['id']}/audit", headers=PLANNER))
    last = audit["entries"][-1]
    assert last["action"] == "document.rendered" and last["detail"]["stored"] is False
    assert last["actor"]["sub"] == "planner-1"
    # No disclosure copy for a version that was never approved.
    problem(client.get(f"/api/v1/disclosures/{cia['id']}/versions/1/document", headers=FOI), 404)


def test_disclosure_copies_for_foi(app, client):
    op, cia = approved_cia(app, client)
    op2, cia2 = approved_cia(app, client, reference="LFR-2026-0043")
    _op3 = create_operation(client, reference="LFR-2026-0044")  # no CIA: not listed

    listing = client.get("/api/v1/disclosures", headers=FOI)
    items = ok(listing)
    assert {(d["cia_id"], d["version"]) for d in items} == {(cia["id"], 1), (cia2["id"], 1)}
    assert '"total": 2' in listing.headers["X-Pagination"]
    one = next(d for d in items if d["cia_id"] == cia["id"])
    assert one["operation_reference"] == "LFR-2026-0042" and one["borough"] == "Croydon"
    assert one["state"] == "pending_release" and one["approved_at"] and len(one["sha256"]) == 64
    assert ok(client.get("/api/v1/disclosures?borough=hackney", headers=ADMIN)) == []
    assert len(ok(client.get("/api/v1/disclosures?from=2000-01-01&to=2999-12-31", headers=FOI))) == 2
    assert ok(client.get("/api/v1/disclosures?to=2001-01-01", headers=FOI)) == []
    assert len(ok(client.get("/api/v1/disclosures?page_size=1&page=2", headers=FOI))) == 1
    problem(client.get("/api/v1/disclosures?from=yesterday", headers=FOI), 422)

    resp = client.get(f"/api/v1/disclosures/{cia['id']}/versions/1/document", headers=FOI)
    assert resp.status_code == 200 and resp.mimetype == DOCX
    assert resp.headers["X-Content-SHA256"] == one["sha256"] == hashlib.sha256(resp.data).hexdigest()
    assert "LFR-2026-0042-v1-disclosure.docx" in resp.headers["Content-Disposition"]
    text = readable(resp.data)
    planted = _planted(content_for("LFR-2026-0042"))
    assert len(planted) >= 10
    assert [p for p in planted if found(p, text)] == []
    assert found("[Redacted — s.40(2)]", text) and found("[Redacted — s.31(1)(a)(b)]", text)
    assert found("Margaret Ashdown", text)  # Chief Superintendent: released under the rank rule
    full = client.get(f"/api/v1/cias/{cia['id']}/versions/1/document", headers=PLANNER)
    assert full.data != resp.data

    log = ok(client.get(f"/api/v1/disclosures/{cia['id']}/versions/1/redaction-log",
                        headers=FOI))
    pointers = {e["pointer"] for e in log}
    # Every one of them is logged, not merely one (the intelligence case field by field).
    assert {"/sign_off/author/name", "/deployment/camera_positions",
            "/engagement_log/0/contact_email", "/intelligence_case/summary",
            "/intelligence_case/key_points"} <= pointers
    assert "/sign_off/authorising_officer/name" not in pointers
    assert all(e["exemption"] in ("s.40(2)", "s.31(1)(a)(b)") and e["reason"] for e in log)

    for path in ("/api/v1/disclosures", f"/api/v1/disclosures/{cia['id']}/versions/1/document",
                 f"/api/v1/disclosures/{cia['id']}/versions/1/redaction-log"):
        problem(client.get(path), 401)
        problem(client.get(path, headers=PLANNER), 403)
        problem(client.get(path, headers=REVIEWER), 403)
    # The PDF is not converted yet (the worker does it): 503, retry later.
    pending = client.get(f"/api/v1/disclosures/{cia['id']}/versions/1/document",
                         headers={**FOI, "Accept": "application/pdf"})
    problem(pending, 503)
    assert int(pending.headers["Retry-After"]) > 0
    problem(client.get(f"/api/v1/disclosures/{cia['id']}/versions/2/redaction-log",
                       headers=FOI), 404)


def test_disclosure_rank_cutoff_is_configurable(databases):
    from cia_common.web import db

    from tests.integration.test_authoring_support import make_app
    app = make_app(databases.new("authoring"), DISCLOSURE_RANK_CUTOFF="commissioner")
    try:
        client = app.test_client()
        _op, cia = approved_cia(app, client)
        text = readable(client.get(f"/api/v1/disclosures/{cia['id']}/versions/1/document",
                                   headers=FOI).data)
        assert not found("Margaret Ashdown", text) and not found("Ashdown", text)  # withheld
        # Positive control: the same checker sees the name in the full document.
        assert found("Margaret Ashdown", readable(client.get(
            f"/api/v1/cias/{cia['id']}/versions/1/document", headers=PLANNER).data))
        log = ok(client.get(f"/api/v1/disclosures/{cia['id']}/versions/1/redaction-log",
                            headers=FOI))
        assert "/sign_off/authorising_officer/name" in {e["pointer"] for e in log}
    finally:
        db(app).dispose()
