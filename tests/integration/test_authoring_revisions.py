"""No dead ends after a rejection: a revision opens the next version from the
rejected one; cancelling the operation withdraws the open version instead."""
from __future__ import annotations

import pytest

from tests.integration.test_authoring_support import *  # noqa: F401,F403
from tests.integration.test_authoring_support import (ADMIN, PLANNER, PLANNER2, REVIEWER,
                                                      authorise, create_cia, create_operation,
                                                      deliver, get_cia, ok, outbox_events, problem,
                                                      review_completed, submit)

pytestmark = pytest.mark.integration

COMMENTS = [{"section": "watchlist", "comment": "The composition rationale is missing."},
            {"section": "engagement_log", "comment": "Meet the IAG before the deployment."}]


def rejected_cia(app, client) -> tuple[dict, dict]:
    op = create_operation(client)
    authorise(client, op["id"])
    cia = create_cia(client, op["id"])
    submit(client, cia["id"])
    deliver(app, review_completed(cia["id"], 1, "rejected", comment="Not proportionate yet.",
                                  section_comments=COMMENTS))
    return op, get_cia(client, cia["id"])


def move(client, op_id, status):
    return client.post(f"/api/v1/operations/{op_id}/status", json={"status": status},
                       headers=PLANNER)


def test_a_rejected_cia_is_revised_reviewed_and_approved(app, client):
    op, v1 = rejected_cia(app, client)
    base = f"/api/v1/cias/{v1['id']}"
    assert (v1["status"], v1["status_reason"]) == ("withdrawn", "rejected by review")

    # The refusals name the way out.
    edit = problem(client.patch(base, json={"content": {"risks": []}},
                                headers={**PLANNER, "If-Match": v1["etag"]}), 409)
    assert "revised" in edit["detail"]
    assert "revised" in problem(client.post(f"{base}/amendments", json={"reason": "again"},
                                            headers=PLANNER), 409)["detail"]
    assert "revise" in problem(client.post("/api/v1/cias", headers=PLANNER, json={
        "operation_id": op["id"], "content": {}}), 409)["detail"]

    # The reason is mandatory.
    assert problem(client.post(f"{base}/revisions", json={}, headers=PLANNER),
                   422)["errors"][0]["pointer"] == "/reason"
    assert problem(client.post(f"{base}/revisions", json={"reason": " "}, headers=PLANNER),
                   422)["errors"][0]["pointer"] == "/reason"
    # Reviewers and the FOI team do not revise.
    problem(client.post(f"{base}/revisions", json={"reason": "x"}, headers=REVIEWER), 403)

    resp = client.post(f"{base}/revisions", json={"reason": "Watchlist rationale added; IAG met."},
                       headers=PLANNER2)
    v2 = ok(resp, 201)
    assert resp.headers["Location"] == f"{base}/versions/2" and resp.headers["ETag"] == v2["etag"]
    assert (v2["version"], v2["status"], v2["revised_from"], v2["revision_reason"]) == \
        (2, "draft", 1, "Watchlist rationale added; IAG met.")
    assert v2["amended_from"] is None and v2["author"]["sub"] == "planner-2"
    # Started from the rejected content, renumbered; the rejection stays visible on it.
    assert v2["content"]["header"]["version"] == 2
    assert {k: v for k, v in v2["content"].items() if k != "header"} == \
        {k: v for k, v in v1["content"].items() if k != "header"}
    rejection = v2["rejection"]
    assert (rejection["version"], rejection["comment"], rejection["section_comments"]) == \
        (1, "Not proportionate yet.", COMMENTS)
    assert rejection["decided_by"]["sub"] == "reviewer-1"
    assert v2["review"] is None

    # One open version at a time; the rejected version itself is untouched.
    assert "draft" in problem(client.post(f"{base}/revisions", json={"reason": "again"},
                                          headers=PLANNER), 409)["detail"]
    old = ok(client.get(f"{base}/versions/1", headers=REVIEWER))
    assert old["status"] == "withdrawn" and old["content"] == v1["content"]
    versions = ok(client.get(f"{base}/versions", headers=ADMIN))
    assert [(v["version"], v["status"], v["revised_from"]) for v in versions] == \
        [(1, "withdrawn", None), (2, "draft", 1)]

    [revised] = outbox_events(app, "cia.revised")
    assert revised["_key"] == v1["id"]
    assert (revised["data"]["version"], revised["data"]["revised_from"]) == (2, 1)
    audit = ok(client.get(f"{base}/audit", headers=ADMIN))
    assert audit["chain_valid"] is True
    assert (audit["entries"][-1]["action"], audit["entries"][-1]["detail"]) == \
        ("cia.revised", {"reason": "Watchlist rationale added; IAG met.", "revised_from": 1})

    # Reviewed like any version: edited, submitted, approved.
    v2 = ok(client.patch(base, json={"content": {"header": {"title": "Revised CIA"}}},
                         headers={**PLANNER2, "If-Match": v2["etag"]}))
    assert submit(client, v1["id"])["status"] == "submitted"
    assert outbox_events(app, "cia.submitted")[-1]["data"]["version"] == 2
    deliver(app, review_completed(v1["id"], 2, "approved"))
    approved = get_cia(client, v1["id"])
    assert (approved["version"], approved["status"]) == (2, "approved")
    assert approved["rejection"]["version"] == 1  # still there, for the record
    assert ok(move(client, op["id"], "deployed"))["status"] == "deployed"


def test_only_a_rejected_version_is_revised(app, client):
    op = create_operation(client)
    authorise(client, op["id"])
    cia = create_cia(client, op["id"])
    base = f"/api/v1/cias/{cia['id']}"
    problem(client.post("/api/v1/cias/nope/revisions", json={"reason": "x"}, headers=PLANNER), 404)
    assert "rejected" in problem(client.post(f"{base}/revisions", json={"reason": "x"},
                                             headers=PLANNER), 409)["detail"]
    submit(client, cia["id"])
    problem(client.post(f"{base}/revisions", json={"reason": "x"}, headers=PLANNER), 409)
    deliver(app, review_completed(cia["id"], 1, "changes_requested"))
    problem(client.post(f"{base}/revisions", json={"reason": "x"}, headers=PLANNER), 409)
    submit(client, cia["id"])
    deliver(app, review_completed(cia["id"], 1, "approved"))
    assert "amended" in problem(client.post(f"{base}/revisions", json={"reason": "x"},
                                            headers=PLANNER), 409)["detail"]
    assert outbox_events(app, "cia.revised") == []


def test_cancelling_the_operation_withdraws_the_version_under_review(app, client):
    op = create_operation(client)
    authorise(client, op["id"])
    cia = create_cia(client, op["id"])
    submit(client, cia["id"])

    assert ok(move(client, op["id"], "cancelled"))["status"] == "cancelled"
    gone = get_cia(client, cia["id"])
    reason = f"operation {op['reference']} cancelled"
    assert (gone["status"], gone["status_reason"]) == ("withdrawn", reason)
    [withdrawn] = outbox_events(app, "cia.withdrawn")
    assert withdrawn["_key"] == cia["id"]
    assert (withdrawn["data"]["cia_id"], withdrawn["data"]["version"],
            withdrawn["data"]["previous_status"], withdrawn["data"]["reason"]) == \
        (cia["id"], 1, "submitted", reason)
    entries = ok(client.get(f"/api/v1/cias/{cia['id']}/audit", headers=ADMIN))["entries"]
    assert entries[-1]["action"] == "cia.withdrawn" and entries[-1]["actor"]["sub"] == "planner-1"

    # An approval that was already on its way lands on nothing.
    deliver(app, review_completed(cia["id"], 1, "approved"))
    assert get_cia(client, cia["id"])["status"] == "withdrawn"
    assert outbox_events(app, "cia.approved") == []
    # Nothing left to revise: the operation is over.
    assert "cancelled" in problem(client.post(f"/api/v1/cias/{cia['id']}/revisions",
                                              json={"reason": "x"}, headers=PLANNER), 409)["detail"]


def test_cancelling_after_a_rejection_withdraws_nothing_more(app, client):
    op, v1 = rejected_cia(app, client)
    assert ok(move(client, op["id"], "cancelled"))["status"] == "cancelled"
    after = get_cia(client, v1["id"])
    assert (after["status"], after["status_reason"]) == ("withdrawn", "rejected by review")
    assert outbox_events(app, "cia.withdrawn") == []


def test_cancelling_a_draft_withdraws_it_too(app, client):
    op = create_operation(client)
    cia = create_cia(client, op["id"])
    ok(move(client, op["id"], "cancelled"))
    assert get_cia(client, cia["id"])["status"] == "withdrawn"
    assert outbox_events(app, "cia.withdrawn")[0]["data"]["previous_status"] == "draft"
