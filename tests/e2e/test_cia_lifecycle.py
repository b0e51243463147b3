"""One CIA through its whole life, driven over HTTP against the running system:
draft → submitted → changes requested (section comments) → edited (If-Match) →
resubmitted → approved → (operation deployed) → amended with the post-deployment
review → approved, and the operation completed. Versions, statuses, diffs and the
audit trail are checked at each step; the PDF is downloaded and read; the audit
chain is verified by the ``cia`` CLI, before and after tampering."""
from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa
from pypdf import PdfReader

from tests.e2e.helpers import (ADMIN, PLANNER, REVIEWER, create_authorised_operation, example, ok,
                               reviews_of)
from tests.e2e.system import token
from tests.integration.test_authoring_support import libreoffice  # noqa: F401 (fixture)
from tests.support import wait_for

pytestmark = pytest.mark.e2e
# The worker makes the PDFs of approved versions ahead of any request: what is tested here.
RENDER_AHEAD = {"CIA_PDF_RENDER_AHEAD": "true"}

PLANNER2 = token("planner-2", "Sam Second", "planner")
CIA_CLI = str(Path(sys.executable).with_name("cia"))


class Authoring:
    """The planner's side of the authoring API, asserting every answer."""

    def __init__(self, system, cia_id: str | None = None):
        self.base = system.url("authoring")
        self.cia_id = cia_id

    def call(self, method: str, path: str, *codes: int, headers=PLANNER, **kw) -> requests.Response:
        resp = requests.request(method, self.base + path, headers=headers, timeout=60, **kw)
        assert resp.status_code in (codes or (200,)), f"{resp.status_code}: {resp.text[:1500]}"
        return resp

    @property
    def path(self) -> str:
        return f"/api/v1/cias/{self.cia_id}"

    def cia(self) -> dict:
        return self.call("GET", self.path, headers=REVIEWER).json()

    def versions(self) -> list[tuple[int, str]]:
        return [(v["version"], v["status"]) for v in
                self.call("GET", f"{self.path}/versions", headers=ADMIN).json()]

    def audit(self) -> list[tuple]:
        """(action, version, actor, outcome-or-format) for every entry, in order;
        the PDFs the worker makes in the background are left out (their own check)."""
        body = self.call("GET", f"{self.path}/audit", headers=ADMIN).json()
        assert body["chain_valid"] is True
        return [(e["action"], e["version"], e["actor"]["sub"],
                 (e["detail"] or {}).get("outcome") or (e["detail"] or {}).get("format"))
                for e in body["entries"]
                if not (e["action"] == "document.rendered" and e["detail"]["format"] == "pdf")]

    def pdf_renders(self, version: int) -> dict | None:
        """{kind: (actor, sha256)} of the stored PDFs of ``version``, once both are made."""
        entries = self.call("GET", f"{self.path}/audit", headers=ADMIN).json()["entries"]
        found = {e["detail"]["kind"]: (e["actor"]["sub"], e["detail"]["sha256"]) for e in entries
                 if e["action"] == "document.rendered" and e["version"] == version
                 and e["detail"]["format"] == "pdf" and e["detail"]["stored"]}
        return found if len(found) == 2 else None

    def patch(self, content: dict, etag: str | None, *codes: int, headers=PLANNER) -> requests.Response:
        hdrs = dict(headers)
        if etag is not None:
            hdrs["If-Match"] = etag
        return self.call("PATCH", self.path, *codes, headers=hdrs, json={"content": content})

    def wait_status(self, version: int, status: str) -> dict:
        return wait_for(lambda: (lambda c: c if (c["version"], c["status"]) == (version, status)
                                 else None)(self.cia()), 90,
                        message=f"version {version} to become {status}")


def open_review(system, cia_id: str, version: int, round_: int) -> dict:
    def find():
        return next((r for r in reviews_of(system, cia_id) if r["state"] == "open"
                     and (r["version"], r.get("round", round_)) == (version, round_)), None)
    return wait_for(find, 90, message=f"an open review of v{version} round {round_}")


def decide(system, review: dict, decision: str, **body) -> dict:
    resp = requests.post(system.url("review") + f"/api/v1/reviews/{review['id']}/decisions",
                         headers=REVIEWER, json={"decision": decision, **body}, timeout=30)
    return ok(resp, 200, 201)


def cia_audit_verify(url: str) -> subprocess.CompletedProcess:
    return subprocess.run([CIA_CLI, "audit", "verify", "--database-url", url],
                          capture_output=True, text=True, timeout=120)


def test_a_cia_from_draft_to_post_deployment_review(make_system, pg_databases, libreoffice):
    system = make_system(pg_databases, extra_env=RENDER_AHEAD)
    op = create_authorised_operation(system)
    api = Authoring(system)
    full = example("cia-content.json")

    # -- Draft: partial content is fine.
    draft = {"header": full["header"], "deployment": {"use_case": "crime_hotspot"}}
    created = api.call("POST", "/api/v1/cias", 201,
                       json={"operation_id": op["id"], "content": draft})
    cia = created.json()
    api.cia_id = cia["id"]
    assert (cia["version"], cia["status"], cia["content"]) == (1, "draft", draft)
    assert created.headers["ETag"] == cia["etag"]
    assert api.versions() == [(1, "draft")]
    assert api.audit() == [("cia.created", 1, "planner-1", None)]

    # -- Completed by a second planner (If-Match), then submitted.
    edited = api.patch(full, cia["etag"], headers=PLANNER2).json()
    assert edited["last_editor"]["sub"] == "planner-2" and edited["content"] == full
    submitted = api.call("POST", f"{api.path}/submit", json={}).json()
    assert submitted["status"] == "submitted"
    assert api.versions() == [(1, "submitted")]
    assert api.audit()[1:] == [("cia.edited", 1, "planner-2", None),
                               ("cia.submitted", 1, "planner-1", None)]
    assert api.call("GET", f"{api.path}/versions/1/diff?against=1",
                    headers=REVIEWER).json()["changes"] == []

    # -- The reviewer asks for changes, with comments on sections.
    comments = [{"section": "risks", "comment": "Add the risk of protest at Crown Hill."},
                {"section": "communications", "comment": "Name the languages of the leaflets."}]
    review = open_review(system, api.cia_id, 1, 1)
    decide(system, review, "request_changes", comment="Nearly there.", section_comments=comments)
    back = api.wait_status(1, "changes_requested")
    assert back["review"]["decision"] == "changes_requested"
    assert back["review"]["comment"] == "Nearly there."
    assert back["review"]["section_comments"] == comments
    assert api.versions() == [(1, "changes_requested")]
    assert api.audit()[3:] == [("review.decision_applied", 1, "reviewer-1", "changes_requested")]

    # -- Edited under If-Match: missing 428, stale 412, current 200.
    risks = full["risks"] + [{"risk": "Protest at Crown Hill", "likelihood": "low",
                              "impact": "medium", "mitigation": "Facilitate peaceful protest.",
                              "owner": "Arjun Castellano-S40"}]
    api.patch({"risks": risks}, None, 428)
    api.patch({"risks": risks}, edited["etag"], 412)
    fixed = api.patch({"risks": risks}, back["etag"]).json()
    assert fixed["status"] == "changes_requested" and len(fixed["content"]["risks"]) == 3
    api.call("POST", f"{api.path}/submit", headers={**PLANNER, "If-Match": fixed["etag"]}, json={})
    assert api.versions() == [(1, "submitted")]

    # -- Approved in a second round: the documents are stored.
    review = open_review(system, api.cia_id, 1, 2)
    decide(system, review, "approve", comment="Ready.")
    v1 = api.wait_status(1, "approved")
    assert api.versions() == [(1, "approved")]
    assert api.audit()[4:] == [
        ("cia.edited", 1, "planner-1", None), ("cia.submitted", 1, "planner-1", None),
        ("review.decision_applied", 1, "reviewer-1", "approved"),
        ("document.rendered", 1, "system", "docx"), ("document.rendered", 1, "system", "docx")]

    # -- The worker makes the PDFs from the stored DOCX; pypdf opens the full one.
    made = wait_for(lambda: api.pdf_renders(1), 120, message="the PDFs of version 1")
    assert {kind: actor for kind, (actor, _sha) in made.items()} == {"full": "system",
                                                                     "disclosure": "system"}
    pdf = api.call("GET", f"{api.path}/versions/1/document",
                   headers={**REVIEWER, "Accept": "application/pdf"})
    assert pdf.headers["Content-Type"] == "application/pdf"
    assert pdf.headers["X-Document-Stored"] == "true"
    assert pdf.headers["X-Content-SHA256"] == made["full"][1]  # the stored one
    text = " ".join(" ".join(p.extract_text().split())
                    for p in PdfReader(io.BytesIO(pdf.content)).pages)
    # The approved content, with the risk added after the reviewer's comments.
    assert op["name"] in text and "Protest at Crown Hill" in text and "DRAFT" not in text

    # -- Deployed, then amended with the outcome record.
    deployed = api.call("POST", f"/api/v1/operations/{op['id']}/status",
                        json={"status": "deployed"}).json()
    assert deployed["status"] == "deployed"
    v2 = api.call("POST", f"{api.path}/amendments", 201,
                  json={"reason": "Post-deployment review"}).json()
    assert (v2["version"], v2["status"], v2["amended_from"]) == (2, "draft", 1)
    assert api.versions() == [(1, "approved"), (2, "draft")]
    pdr = example("post-deployment-review.json")
    v2 = api.patch({"post_deployment_review": pdr}, v2["etag"]).json()
    diff = api.call("GET", f"{api.path}/versions/2/diff?against=1", headers=REVIEWER).json()
    assert {(c["op"], c["pointer"]) for c in diff["changes"]} == {
        ("changed", "/header/version"), ("added", "/post_deployment_review")}
    assert next(c for c in diff["changes"] if c["op"] == "added")["new"] == pdr
    api.call("POST", f"{api.path}/submit", json={})
    assert api.versions() == [(1, "approved"), (2, "submitted")]

    # -- Approved: version 1 superseded, the operation completed.
    review = open_review(system, api.cia_id, 2, 1)
    decide(system, review, "approve")
    v2 = api.wait_status(2, "approved")
    assert api.versions() == [(1, "superseded"), (2, "approved")]
    assert api.call("GET", f"/api/v1/operations/{op['id']}").json()["status"] == "completed"
    assert api.call("GET", f"{api.path}/versions/1", headers=REVIEWER).json()["content"] == \
        v1["content"]  # untouched by the amendment
    assert api.call("GET", f"{api.path}/versions/2/diff", headers=REVIEWER).json()["changes"] == \
        diff["changes"]
    assert api.audit()[9:] == [
        ("cia.amended", 2, "planner-1", None), ("cia.edited", 2, "planner-1", None),
        ("cia.submitted", 2, "planner-1", None),
        ("review.decision_applied", 2, "reviewer-1", "approved"),
        ("document.rendered", 2, "system", "docx"), ("document.rendered", 2, "system", "docx"),
        ("operation.completed", 2, "system", None)]

    # -- The chain verifies with the CLI; a tampered row does not.
    url = system.database_urls["authoring"]
    good = cia_audit_verify(url)
    assert good.returncode == 0, good.stdout + good.stderr
    assert "OK: 1 audit chain(s)" in good.stdout
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text("UPDATE audit_entries SET detail = NULL "
                                 "WHERE cia_id = :c AND action = 'cia.amended'"), {"c": api.cia_id})
    finally:
        engine.dispose()
    bad = cia_audit_verify(url)
    assert bad.returncode == 1 and f"BROKEN: CIA {api.cia_id}" in bad.stderr
    assert api.call("GET", f"{api.path}/audit", headers=ADMIN).json()["chain_valid"] is False

    # -- Version 2's PDFs are made too, each once.
    assert set(wait_for(lambda: api.pdf_renders(2), 120, message="the PDFs of version 2")) == {
        "full", "disclosure"}
    entries = api.call("GET", f"{api.path}/audit", headers=ADMIN).json()["entries"]
    assert len([e for e in entries if e["action"] == "document.rendered"
                and e["detail"]["format"] == "pdf"]) == 4
