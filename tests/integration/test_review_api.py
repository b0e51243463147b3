"""The review API over a real database (SQLite and PostgreSQL): every endpoint and
every refusal. Reviews are opened through the worker's real handler and inbox."""
from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from cia_common.auth import mint_token
from cia_common.tables import outbox
from cia_common.web import db
from cia_review.app import create_app
from tests.review_events import deliver, submitted_event

pytestmark = pytest.mark.integration


@pytest.fixture
def app(databases):
    app = create_app({"DATABASE_URL": databases.new("review"), "TESTING": True,
                      "REVIEW_URL": "http://review.test", "AUTHORING_URL": "http://authoring.test"})
    yield app
    db(app).dispose()


@pytest.fixture
def client(app):
    return app.test_client()


def auth(app, sub="reviewer-1", *roles, name=None):
    token = mint_token(app.config["JWT_SECRET"], sub=sub, name=name or sub.title(),
                       roles=list(roles or ["reviewer"]))
    return {"Authorization": f"Bearer {token}"}


def open_review(app, **data) -> dict:
    event = submitted_event(**data)
    assert deliver(db(app), app.config, event)
    with db(app).engine.connect() as conn:
        row = conn.execute(sa.text("SELECT id FROM reviews WHERE submitted_event_id = :e"),
                           {"e": event.id}).one()
    return {"id": row.id, "cia_id": event.data["cia_id"], "event": event}


def events(app, event_type: str) -> list[dict]:
    with db(app).engine.connect() as conn:
        rows = conn.execute(sa.select(outbox.c.payload, outbox.c.key, outbox.c.topic)
                            .where(outbox.c.event_type == event_type)
                            .order_by(outbox.c.seq)).all()
    out = []
    for row in rows:
        doc = json.loads(row.payload)
        assert row.key == doc["subject"]
        assert row.topic.endswith("cia.review.events")
        out.append(doc)
    return out


def assert_problem(resp, status: int, *words: str) -> dict:
    assert resp.status_code == status, resp.get_data(as_text=True)
    assert resp.mimetype == "application/problem+json"
    body = resp.get_json()
    assert body["status"] == status
    text = json.dumps(body).lower()
    for word in words:
        assert word.lower() in text, body
    return body


def decide(client, app, review_id, sub, decision="approve", comment="", roles=("reviewer",), **extra):
    return client.post(f"/api/v1/reviews/{review_id}/decisions",
                       json={"decision": decision, "comment": comment, **extra},
                       headers=auth(app, sub, *roles))


# --- reading ---------------------------------------------------------------------

def test_get_review_carries_the_contract_fields(app, client):
    r = open_review(app, requested_reviewers=["reviewer-1", "reviewer-2"], version=3)
    resp = client.get(f"/api/v1/reviews/{r['id']}", headers=auth(app))
    assert resp.status_code == 200
    body = resp.get_json()
    assert body["id"] == r["id"] and body["cia_id"] == r["cia_id"]
    assert (body["version"], body["round"], body["state"]) == (3, 1, "open")
    assert body["reviewers"] == ["reviewer-1", "reviewer-2"]
    assert body["approvals_required"] == 1 and body["decisions"] == []
    assert body["due_at"] and body["author"] == {"sub": "planner-1", "name": "Pat Planner"}
    assert body["links"]["cia_api"] == f"http://authoring.test/api/v1/cias/{r['cia_id']}"
    assert client.get(f"/api/v1/reviews/{r['id']}", headers=auth(app, "admin-1", "admin")).status_code == 200


def test_get_review_refusals(app, client):
    r = open_review(app)
    assert_problem(client.get(f"/api/v1/reviews/{r['id']}"), 401, "bearer")
    assert_problem(client.get(f"/api/v1/reviews/{r['id']}",
                              headers={"Authorization": "Bearer not-a-jwt"}), 401)
    assert_problem(client.get(f"/api/v1/reviews/{r['id']}", headers=auth(app, "p", "planner")),
                   403, "reviewer")
    assert_problem(client.get(f"/api/v1/reviews/{r['id']}", headers=auth(app, "f", "foi")), 403)
    assert_problem(client.get("/api/v1/reviews/00000000-0000-0000-0000-000000000000",
                              headers=auth(app)), 404, "does not exist")


def test_list_filters_and_paginates(app, client):
    a = open_review(app, requested_reviewers=["reviewer-1"])
    b = open_review(app, requested_reviewers=["reviewer-2"])
    c = open_review(app, requested_reviewers=[])
    assert decide(client, app, b["id"], "reviewer-2").status_code == 201

    def ids(query, sub="reviewer-1"):
        resp = client.get(f"/api/v1/reviews{query}", headers=auth(app, sub))
        assert resp.status_code == 200, resp.get_data(as_text=True)
        return {x["id"] for x in resp.get_json()}, json.loads(resp.headers["X-Pagination"])

    assert ids("")[0] == {a["id"], b["id"], c["id"]}
    assert ids(f"?cia_id={a['cia_id']}")[0] == {a["id"]}
    assert ids("?state=approved")[0] == {b["id"]}
    assert ids("?state=open")[0] == {a["id"], c["id"]}
    assert ids("?assigned_to=reviewer-2")[0] == {b["id"]}
    assert ids("?assigned_to=me", sub="reviewer-1")[0] == {a["id"]}
    page, meta = ids("?page=2&page_size=2")
    assert len(page) == 1 and meta["total"] == 3 and meta["total_pages"] == 2
    assert_problem(client.get("/api/v1/reviews?state=pending", headers=auth(app)), 422, "/state")
    assert_problem(client.get("/api/v1/reviews"), 401)
    assert_problem(client.get("/api/v1/reviews", headers=auth(app, "p", "planner")), 403)


# --- deciding ----------------------------------------------------------------------

def test_approval_closes_the_review_and_emits_review_completed(app, client):
    r = open_review(app, requested_reviewers=["reviewer-1"], version=2)
    resp = decide(client, app, r["id"], "reviewer-1", comment="Proportionate.",
                  section_comments=[{"section": "area_profile", "comment": "Good data."}])
    assert resp.status_code == 201, resp.get_data(as_text=True)
    body = resp.get_json()
    assert body["state"] == "approved" and body["approvals"] == 1
    assert body["decisions"][0]["reviewer"] == {"sub": "reviewer-1", "name": "Reviewer-1"}
    assert body["decisions"][0]["channel"] == "api"
    [completed] = events(app, "review.completed")
    assert completed["subject"] == r["cia_id"]
    data = completed["data"]
    assert data["review_id"] == r["id"] and data["cia_id"] == r["cia_id"]
    assert (data["version"], data["round"], data["outcome"]) == (2, 1, "approved")
    assert data["decided_by"] == {"sub": "reviewer-1", "name": "Reviewer-1"}
    assert data["comment"] == "Proportionate."
    assert data["section_comments"] == [{"section": "area_profile", "comment": "Good data."}]
    # Closed: no more decisions, from anyone.
    assert_problem(decide(client, app, r["id"], "reviewer-1"), 409, "approved")


@pytest.mark.parametrize("sub, word", [("planner-1", "author"), ("planner-2", "last edited")])
def test_author_and_last_editor_cannot_decide(app, client, sub, word):
    r = open_review(app, requested_reviewers=["planner-1", "planner-2", "reviewer-1"])
    assert_problem(decide(client, app, r["id"], sub), 403, word)
    assert events(app, "review.completed") == []


def test_only_named_reviewers_decide(app, client):
    r = open_review(app, requested_reviewers=["reviewer-1"])
    assert_problem(decide(client, app, r["id"], "reviewer-9"), 403, "named reviewers")
    anyone = open_review(app, requested_reviewers=[])
    assert decide(client, app, anyone["id"], "reviewer-9").status_code == 201


def test_decisions_need_the_reviewer_role(app, client):
    r = open_review(app, requested_reviewers=["admin-1"])
    assert_problem(decide(client, app, r["id"], "admin-1", roles=("admin",)), 403, "reviewer")
    assert_problem(decide(client, app, r["id"], "admin-1", roles=("planner",)), 403)
    assert_problem(client.post(f"/api/v1/reviews/{r['id']}/decisions", json={"decision": "approve"}),
                   401)
    assert_problem(decide(client, app, "no-such-review", "reviewer-1"), 404)


def test_two_approvals_required_and_one_decision_per_reviewer(databases):
    app = create_app({"DATABASE_URL": databases.new("review2"), "APPROVALS_REQUIRED": 2})
    client = app.test_client()
    try:
        r = open_review(app, requested_reviewers=["reviewer-1", "reviewer-2"])
        first = decide(client, app, r["id"], "reviewer-1")
        assert first.status_code == 201 and first.get_json()["state"] == "open"
        assert first.get_json()["undecided_reviewers"] == ["reviewer-2"]
        assert events(app, "review.decided")[0]["data"]["approvals"] == 1
        assert events(app, "review.completed") == []
        assert_problem(decide(client, app, r["id"], "reviewer-1"), 409, "already decided")
        second = decide(client, app, r["id"], "reviewer-2")
        assert second.get_json()["state"] == "approved" and second.get_json()["approvals"] == 2
        [completed] = events(app, "review.completed")
        assert [d["reviewer"]["sub"] for d in completed["data"]["decisions"]] == \
            ["reviewer-1", "reviewer-2"]
    finally:
        db(app).dispose()


def test_request_changes_needs_a_comment(app, client):
    r = open_review(app)
    body = assert_problem(decide(client, app, r["id"], "reviewer-1", "request_changes", "  "),
                          422, "comment")
    assert body["errors"] == [{"pointer": "/comment", "detail": body["detail"]}]
    resp = decide(client, app, r["id"], "reviewer-1", "request_changes", "Add the IAG meeting.",
                  section_comments=[{"section": "engagement_log", "comment": "Missing IAG."}])
    assert resp.get_json()["state"] == "changes_requested"
    data = events(app, "review.completed")[0]["data"]
    assert data["outcome"] == "changes_requested" and data["comment"] == "Add the IAG meeting."
    assert data["section_comments"] == [{"section": "engagement_log", "comment": "Missing IAG."}]


def test_reject_closes_the_review(app, client):
    r = open_review(app)
    assert decide(client, app, r["id"], "reviewer-1", "reject", "Not necessary").get_json()["state"] \
        == "rejected"
    assert events(app, "review.completed")[0]["data"]["outcome"] == "rejected"


def test_invalid_decision_bodies_point_at_the_field(app, client):
    r = open_review(app)
    h = auth(app)
    url = f"/api/v1/reviews/{r['id']}/decisions"
    body = assert_problem(client.post(url, json={"decision": "maybe"}, headers=h), 422)
    assert [e["pointer"] for e in body["errors"]] == ["/decision"]
    body = assert_problem(client.post(url, json={"decision": "approve", "section_comments": [
        {"section": "nope", "comment": "x"}]}, headers=h), 422)
    assert [e["pointer"] for e in body["errors"]] == ["/section_comments/0/section"]
    body = assert_problem(client.post(url, json={}, headers=h), 422)
    assert [e["pointer"] for e in body["errors"]] == ["/decision"]


# --- reassigning -------------------------------------------------------------------

def test_reassign_by_admin_is_recorded_and_moves_the_decision(app, client):
    r = open_review(app, requested_reviewers=["reviewer-1"])
    resp = client.post(f"/api/v1/reviews/{r['id']}/reassign",
                       json={"reviewers": ["reviewer-3", "reviewer-4"], "reason": "On leave"},
                       headers=auth(app, "admin-1", "admin"))
    assert resp.status_code == 200, resp.get_data(as_text=True)
    body = resp.get_json()
    assert body["reviewers"] == ["reviewer-3", "reviewer-4"]
    assert body["reassignments"][0]["reason"] == "On leave"
    assert body["reassignments"][0]["previous_reviewers"] == ["reviewer-1"]
    assert body["reassignments"][0]["by"]["sub"] == "admin-1"
    [event] = events(app, "review.reassigned")
    assert set(event["data"]["action_links"]) == {"reviewer-3", "reviewer-4"}
    assert event["data"]["previous_reviewers"] == ["reviewer-1"]
    assert_problem(decide(client, app, r["id"], "reviewer-1"), 403, "named reviewers")
    assert decide(client, app, r["id"], "reviewer-4").status_code == 201


def test_reassign_keeps_and_reorders_existing_reviewers(app, client):
    r = open_review(app, requested_reviewers=["reviewer-1", "reviewer-2"])
    resp = client.post(f"/api/v1/reviews/{r['id']}/reassign",
                       json={"reviewers": ["reviewer-2", "reviewer-1", "reviewer-5"],
                             "reason": "Add a specialist"}, headers=auth(app, "reviewer-1"))
    assert resp.status_code == 200
    assert resp.get_json()["reviewers"] == ["reviewer-2", "reviewer-1", "reviewer-5"]
    again = client.get(f"/api/v1/reviews/{r['id']}", headers=auth(app))
    assert again.get_json()["reviewers"] == ["reviewer-2", "reviewer-1", "reviewer-5"]


def test_reassign_refusals(app, client):
    r = open_review(app, requested_reviewers=["reviewer-1"])
    url = f"/api/v1/reviews/{r['id']}/reassign"
    admin = auth(app, "admin-1", "admin")
    assert_problem(client.post(url, json={"reviewers": ["x"], "reason": "r"}), 401)
    assert_problem(client.post(url, json={"reviewers": ["x"], "reason": "r"},
                               headers=auth(app, "p", "planner")), 403)
    assert_problem(client.post(url, json={"reviewers": ["reviewer-7"], "reason": "mine"},
                               headers=auth(app, "reviewer-7")), 403, "assigned reviewers")
    body = assert_problem(client.post(url, json={"reviewers": ["x"]}, headers=admin), 422)
    assert [e["pointer"] for e in body["errors"]] == ["/reason"]
    body = assert_problem(client.post(url, json={"reviewers": [], "reason": "r"}, headers=admin), 422)
    assert [e["pointer"] for e in body["errors"]] == ["/reviewers"]
    body = assert_problem(client.post(url, json={"reviewers": ["x", "planner-1"], "reason": "r"},
                                      headers=admin), 422, "planner-1")
    assert body["errors"][0]["pointer"] == "/reviewers/1"
    assert_problem(client.post("/api/v1/reviews/nope/reassign",
                               json={"reviewers": ["x"], "reason": "r"}, headers=admin), 404)
    assert decide(client, app, r["id"], "reviewer-1").status_code == 201
    assert_problem(client.post(url, json={"reviewers": ["x"], "reason": "r"}, headers=admin),
                   409, "approved")
    assert events(app, "review.reassigned") == []


def test_openapi_documents_the_review_api(client):
    spec = client.get("/openapi.json").get_json()
    for path in ("/api/v1/reviews", "/api/v1/reviews/{review_id}",
                 "/api/v1/reviews/{review_id}/decisions", "/api/v1/reviews/{review_id}/reassign",
                 "/review/actions/{token}", "/api/v1/inbound/decisions"):
        assert path in spec["paths"], path
    decision = spec["components"]["schemas"]["DecisionRequest"]["properties"]["decision"]
    assert decision["enum"] == ["approve", "request_changes", "reject"]
    assert client.get("/healthz").status_code == 200


def test_reassignment_targets_must_be_registered_reviewers(app, client):
    r = open_review(app, requested_reviewers=["reviewer-1"])
    body = assert_problem(client.post(f"/api/v1/reviews/{r['id']}/reassign",
                                      json={"reviewers": ["planner-3"], "reason": "cover"},
                                      headers=auth(app, "reviewer-1")), 422, "planner-3", "register")
    assert [e["pointer"] for e in body["errors"]] == ["/reviewers/0"]
    assert events(app, "review.reassigned") == []
    # The planner cannot decide either: not assigned, no link, no reviewer role.
    assert_problem(decide(client, app, r["id"], "planner-3", roles=("planner",)), 403)
    assert client.get(f"/api/v1/reviews/{r['id']}", headers=auth(app)).get_json()["state"] == "open"
