"""review.completed applied to CIA versions (the worker's handler, run through the
consumer's inbox on a real database), then amendments, versions and diffs."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from cia_authoring.cias.models import Document
from cia_common.web import db

from tests.integration.test_authoring_support import *  # noqa: F401,F403
from tests.integration.test_authoring_support import (ADMIN, PLANNER, PLANNER2, REVIEWER,
                                                      approved_cia, authorise, create_cia,
                                                      create_operation, deliver, example,
                                                      get_cia, ok, outbox_events, problem,
                                                      review_completed, submit)

pytestmark = pytest.mark.integration


def _documents(app, cia_id):
    with db(app).sessions() as s:
        return {(d.version, d.kind): d.sha256 for d in s.execute(
            sa.select(Document).where(Document.cia_id == cia_id)).scalars()}


def test_approval_stores_documents_once_and_emits_cia_approved(app, client):
    op, cia = approved_cia(app, client)
    assert cia["status"] == "approved" and cia["approved_at"]
    assert cia["review"]["decision"] == "approved"
    assert cia["review"]["decided_by"] == {"sub": "reviewer-1", "name": "Robin Reviewer"}
    docs = _documents(app, cia["id"])
    assert set(docs) == {(1, "full"), (1, "disclosure")}

    [event] = outbox_events(app, "cia.approved")
    assert event["_key"] == cia["id"]
    data = event["data"]
    assert (data["cia_id"], data["version"], data["operation_reference"]) == \
        (cia["id"], 1, op["reference"])
    assert sorted((d["kind"], d["format"], d["sha256"]) for d in data["documents"]) == sorted(
        [("full", "docx", docs[(1, "full")]), ("disclosure", "docx", docs[(1, "disclosure")])])

    # The same event again is dropped by the inbox; another decision for the
    # same version (no longer submitted) is ignored.
    replay = review_completed(cia["id"], 1, "approved")
    assert deliver(app, replay) is True
    assert deliver(app, replay) is False
    assert deliver(app, review_completed(cia["id"], 1, "rejected")) is True
    assert get_cia(client, cia["id"])["status"] == "approved"
    assert _documents(app, cia["id"]) == docs
    assert len(outbox_events(app, "cia.approved")) == 1
    assert outbox_events(app, "cia.rejected") == []

    # Approved versions are immutable.
    problem(client.patch(f"/api/v1/cias/{cia['id']}", json={"content": {"risks": []}},
                         headers={**PLANNER, "If-Match": cia["etag"]}), 409)
    problem(client.post(f"/api/v1/cias/{cia['id']}/submit", headers=PLANNER), 409)


def test_approval_waits_for_the_operation_authorisation(app, client):
    op = create_operation(client)
    cia = create_cia(client, op["id"])
    submit(client, cia["id"])
    deliver(app, review_completed(cia["id"], 1, "approved"))

    held = get_cia(client, cia["id"])
    assert held["status"] == "submitted"
    assert "not been authorised" in held["review"]["approval_blocked_reason"]
    assert _documents(app, cia["id"]) == {}
    [blocked] = outbox_events(app, "cia.approval_blocked")
    assert blocked["data"]["cia_id"] == cia["id"] and blocked["data"]["version"] == 1
    assert "not been authorised" in blocked["data"]["reason"]
    assert outbox_events(app, "cia.approved") == []
    actions = [e["action"] for e in ok(client.get(f"/api/v1/cias/{cia['id']}/audit",
                                                  headers=ADMIN))["entries"]]
    assert actions[-1] == "review.approval_blocked"

    # Recording the authorisation lets the reviewed approval take effect.
    authorise(client, op["id"])
    approved = get_cia(client, cia["id"])
    assert approved["status"] == "approved" and approved["review"]["approval_blocked_reason"] is None
    assert set(_documents(app, cia["id"])) == {(1, "full"), (1, "disclosure")}
    assert len(outbox_events(app, "cia.approved")) == 1


def test_changes_requested_then_resubmitted(app, client):
    op = create_operation(client)
    authorise(client, op["id"])
    cia = create_cia(client, op["id"])
    submit(client, cia["id"])
    comments = [{"section": "risks", "comment": "Add a risk about protest."}]
    deliver(app, review_completed(cia["id"], 1, "changes_requested", comment="Nearly.",
                                  section_comments=comments))

    back = get_cia(client, cia["id"])
    assert back["status"] == "changes_requested"
    assert back["review"]["comment"] == "Nearly." and back["review"]["section_comments"] == comments
    [event] = outbox_events(app, "cia.changes_requested")
    assert event["data"]["cia_id"] == cia["id"] and event["data"]["version"] == 1

    risks = back["content"]["risks"] + [{"risk": "Protest", "likelihood": "low", "impact": "low",
                                         "mitigation": "Facilitate.", "owner": "Someone-S40"}]
    edited = ok(client.patch(f"/api/v1/cias/{cia['id']}", json={"content": {"risks": risks}},
                             headers={**PLANNER2, "If-Match": back["etag"]}))
    assert edited["status"] == "changes_requested" and len(edited["content"]["risks"]) == 3
    again = submit(client, cia["id"])
    assert again["status"] == "submitted"
    submitted = outbox_events(app, "cia.submitted")
    assert len(submitted) == 2
    assert submitted[1]["data"]["last_editor"]["sub"] == "planner-2"
    assert submitted[1]["data"]["content_hash"] != submitted[0]["data"]["content_hash"]

    deliver(app, review_completed(cia["id"], 1, "approved"))
    assert get_cia(client, cia["id"])["status"] == "approved"


def test_rejection_withdraws_the_version(app, client):
    op = create_operation(client)
    authorise(client, op["id"])
    cia = create_cia(client, op["id"])
    submit(client, cia["id"])
    deliver(app, review_completed(cia["id"], 1, "rejected"))

    gone = get_cia(client, cia["id"])
    assert gone["status"] == "withdrawn" and gone["status_reason"] == "rejected by review"
    [event] = outbox_events(app, "cia.rejected")
    assert event["data"]["cia_id"] == cia["id"]
    problem(client.patch(f"/api/v1/cias/{cia['id']}", json={"content": {"risks": []}},
                         headers={**PLANNER, "If-Match": gone["etag"]}), 409)
    problem(client.post(f"/api/v1/cias/{cia['id']}/amendments", json={"reason": "again"},
                        headers=PLANNER), 409)
    assert _documents(app, cia["id"]) == {}


def test_amendment_versions_diff_and_supersede(app, client):
    op, v1 = approved_cia(app, client)
    cia_id = v1["id"]
    base = f"/api/v1/cias/{cia_id}"

    assert problem(client.post(f"{base}/amendments", json={"reason": "  "}, headers=PLANNER),
                   422)["errors"][0]["pointer"] == "/reason"
    problem(client.post(f"{base}/amendments", json={}, headers=PLANNER), 422)
    resp = client.post(f"{base}/amendments", json={"reason": "Post-deployment review"},
                       headers=PLANNER2)
    v2 = ok(resp, 201)
    assert (v2["version"], v2["status"], v2["amendment_reason"], v2["amended_from"]) == \
        (2, "draft", "Post-deployment review", 1)
    assert v2["author"]["sub"] == "planner-2" and resp.headers["ETag"] == v2["etag"]
    assert v2["content"]["header"]["version"] == 2
    assert get_cia(client, cia_id)["version"] == 2
    # One open version at a time.
    problem(client.post(f"{base}/amendments", json={"reason": "again"}, headers=PLANNER), 409)
    [amended] = outbox_events(app, "cia.amended")
    assert amended["data"]["version"] == 2 and amended["data"]["operation_reference"] == op["reference"]

    pdr = example("post-deployment-review.json")
    v2 = ok(client.patch(base, json={"content": {"post_deployment_review": pdr,
                                                 "header": {"title": "Amended CIA"}}},
                         headers={**PLANNER2, "If-Match": v2["etag"]}))
    # Version 1 is untouched and still approved.
    v1_now = ok(client.get(f"{base}/versions/1", headers=REVIEWER))
    assert v1_now["status"] == "approved" and "post_deployment_review" not in v1_now["content"]
    assert v1_now["content"] == v1["content"]

    diff = ok(client.get(f"{base}/versions/2/diff?against=1", headers=REVIEWER))
    assert (diff["version"], diff["against"]) == (2, 1)
    changes = {(c["op"], c["pointer"]) for c in diff["changes"]}
    assert changes == {("changed", "/header/version"), ("changed", "/header/title"),
                       ("added", "/post_deployment_review")}
    title = next(c for c in diff["changes"] if c["pointer"] == "/header/title")
    assert title["old"] == v1["content"]["header"]["title"] and title["new"] == "Amended CIA"
    assert ok(client.get(f"{base}/versions/2/diff", headers=REVIEWER))["changes"] == diff["changes"]
    reverse = ok(client.get(f"{base}/versions/1/diff?against=2", headers=REVIEWER))
    assert ("removed", "/post_deployment_review") in {(c["op"], c["pointer"]) for c in reverse["changes"]}
    problem(client.get(f"{base}/versions/1/diff", headers=REVIEWER), 422)
    problem(client.get(f"{base}/versions/2/diff?against=7", headers=REVIEWER), 404)

    # The outcome record goes to review only once the operation has been deployed.
    ok(client.post(f"/api/v1/operations/{op['id']}/status", json={"status": "deployed"},
                   headers=PLANNER))
    submit(client, cia_id)
    deliver(app, review_completed(cia_id, 2, "approved"))
    assert ok(client.get(f"/api/v1/operations/{op['id']}", headers=PLANNER))["status"] == "completed"
    versions = ok(client.get(f"{base}/versions", headers=ADMIN))
    assert [(v["version"], v["status"]) for v in versions] == [(1, "superseded"), (2, "approved")]
    assert versions[0]["superseded_at"] and versions[1]["amendment_reason"] == "Post-deployment review"
    assert set(_documents(app, cia_id)) == {(1, "full"), (1, "disclosure"), (2, "full"),
                                            (2, "disclosure")}
    # Superseded versions stay immutable and readable.
    assert ok(client.get(f"{base}/versions/1", headers=PLANNER))["status"] == "superseded"
    problem(client.get(f"{base}/versions/3", headers=PLANNER), 404)
    # A new amendment starts from the latest approval (version 2).
    v3 = ok(client.post(f"{base}/amendments", json={"reason": "Lessons learned"},
                        headers=PLANNER), 201)
    assert v3["amended_from"] == 2 and v3["content"]["post_deployment_review"] == pdr
