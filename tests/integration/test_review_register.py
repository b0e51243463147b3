"""The reviewer register: only active registered reviewers are reassigned a review,
receive one-time action links or decide, through every channel (both backends)."""
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
                      "REVIEW_URL": "http://review.test", "REVIEWERS": "reviewer-1,reviewer-2",
                      "REVIEWER_POOL": ""})
    yield app
    db(app).dispose()


@pytest.fixture
def client(app):
    return app.test_client()


def auth(app, sub, *roles):
    token = mint_token(app.config["JWT_SECRET"], sub=sub, name=sub.title(),
                       roles=list(roles or ["reviewer"]))
    return {"Authorization": f"Bearer {token}"}


def admin(app):
    return auth(app, "admin-1", "admin")


def open_review(app, **data) -> str:
    event = submitted_event(**data)
    assert deliver(db(app), app.config, event)
    with db(app).engine.connect() as conn:
        return conn.execute(sa.text("SELECT id FROM reviews WHERE submitted_event_id = :e"),
                            {"e": event.id}).scalar_one()


def emitted(app, event_type) -> list[dict]:
    with db(app).engine.connect() as conn:
        rows = conn.execute(sa.select(outbox.c.payload).where(outbox.c.event_type == event_type)
                            .order_by(outbox.c.seq)).scalars().all()
    return [json.loads(p)["data"] for p in rows]


def problem(resp, status) -> dict:
    assert resp.status_code == status, resp.get_data(as_text=True)
    assert resp.mimetype == "application/problem+json"
    return resp.get_json()


def test_admin_keeps_the_register(app, client):
    listed = client.get("/api/v1/reviewers", headers=admin(app))
    assert listed.status_code == 200
    assert [(r["sub"], r["active"], r["source"]) for r in listed.get_json()] == \
        [("reviewer-1", True, "settings"), ("reviewer-2", True, "settings")]

    created = client.post("/api/v1/reviewers", headers=admin(app),
                          json={"sub": "reviewer-7", "name": "Sam Seven",
                                "email": "sam.seven@example.police.uk"})
    assert created.status_code == 201, created.get_data(as_text=True)
    assert created.get_json()["active"] is True and created.get_json()["source"] == "admin"
    problem(client.post("/api/v1/reviewers", headers=admin(app),
                        json={"sub": "reviewer-7", "name": "Again"}), 409)
    body = problem(client.post("/api/v1/reviewers", headers=admin(app),
                               json={"sub": "", "email": "not-an-email"}), 422)
    assert {e["pointer"] for e in body["errors"]} == {"/sub", "/name", "/email"}

    patched = client.patch("/api/v1/reviewers/reviewer-7", headers=admin(app),
                           json={"active": False, "name": "Sam Seven (retired)"})
    assert patched.status_code == 200
    assert (patched.get_json()["active"], patched.get_json()["name"]) == \
        (False, "Sam Seven (retired)")
    assert client.get("/api/v1/reviewers/reviewer-7", headers=admin(app)).get_json()["active"] \
        is False
    assert [r["sub"] for r in client.get("/api/v1/reviewers?active=false",
                                         headers=admin(app)).get_json()] == ["reviewer-7"]
    problem(client.get("/api/v1/reviewers/nobody", headers=admin(app)), 404)
    problem(client.patch("/api/v1/reviewers/nobody", headers=admin(app), json={}), 404)
    for role in ("reviewer", "planner", "foi"):
        problem(client.get("/api/v1/reviewers", headers=auth(app, f"{role}-x", role)), 403)
        problem(client.post("/api/v1/reviewers", headers=auth(app, f"{role}-x", role),
                            json={"sub": "me", "name": "Me"}), 403)


def test_a_reviewer_token_registers_its_holder_on_first_use(app, client):
    assert client.get("/api/v1/reviews", headers=auth(app, "reviewer-5")).status_code == 200
    entry = client.get("/api/v1/reviewers/reviewer-5", headers=admin(app)).get_json()
    assert (entry["name"], entry["active"], entry["source"]) == ("Reviewer-5", True, "token")
    # A planner's token does not.
    client.get("/api/v1/reviews", headers=auth(app, "planner-5", "planner"))
    problem(client.get("/api/v1/reviewers/planner-5", headers=admin(app)), 404)


def test_a_reviewer_cannot_reassign_to_a_planner(app, client):
    review_id = open_review(app, requested_reviewers=["reviewer-1"])
    resp = client.post(f"/api/v1/reviews/{review_id}/reassign", headers=auth(app, "reviewer-1"),
                       json={"reviewers": ["reviewer-2", "planner-3"], "reason": "mine now"})
    body = problem(resp, 422)
    assert "planner-3" in body["detail"] and "reviewer-2" not in body["detail"]
    assert body["errors"] == [{"pointer": "/reviewers/1",
                               "detail": "planner-3 is not an active registered reviewer."}]
    assert emitted(app, "review.reassigned") == []
    review = client.get(f"/api/v1/reviews/{review_id}", headers=admin(app)).get_json()
    assert review["reviewers"] == ["reviewer-1"] and review["reassignments"] == []
    # Nor an admin; and a registered planner who wrote the version stays refused.
    problem(client.post(f"/api/v1/reviews/{review_id}/reassign", headers=admin(app),
                        json={"reviewers": ["planner-3"], "reason": "x"}), 422)
    client.post("/api/v1/reviewers", headers=admin(app), json={"sub": "planner-1", "name": "P"})
    body = problem(client.post(f"/api/v1/reviews/{review_id}/reassign", headers=admin(app),
                               json={"reviewers": ["planner-1"], "reason": "x"}), 422)
    assert "wrote or last edited" in body["detail"]


def test_action_links_go_only_to_active_registered_reviewers(app, client):
    open_review(app, requested_reviewers=["reviewer-1", "planner-3", "reviewer-2"])
    [requested] = emitted(app, "review.requested")
    assert requested["reviewers"] == ["reviewer-1", "planner-3", "reviewer-2"]
    assert set(requested["action_links"]) == {"reviewer-1", "reviewer-2"}

    client.patch("/api/v1/reviewers/reviewer-2", headers=admin(app), json={"active": False})
    review_id = open_review(app, requested_reviewers=["reviewer-1", "reviewer-2"])
    assert set(emitted(app, "review.requested")[1]["action_links"]) == {"reviewer-1"}
    # A deactivated reviewer decides through no channel.
    body = problem(client.post(f"/api/v1/reviews/{review_id}/decisions",
                               headers=auth(app, "reviewer-2"), json={"decision": "approve"}), 403)
    assert "register" in body["detail"]


def test_deactivating_a_reviewer_withdraws_their_links(app, client):
    open_review(app, requested_reviewers=["reviewer-1"])
    link = emitted(app, "review.requested")[0]["action_links"]["reviewer-1"]
    path = link.replace("http://review.test", "")
    assert client.get(path).status_code == 200
    client.patch("/api/v1/reviewers/reviewer-1", headers=admin(app), json={"active": False})
    page = client.get(path)
    assert page.status_code == 403 and "no longer an active reviewer" in page.get_data(as_text=True)
    # Reactivated, the old link stays withdrawn, and a token does not reactivate anyone.
    client.patch("/api/v1/reviewers/reviewer-1", headers=admin(app), json={"active": True})
    assert client.get(path).status_code == 403


def test_the_pool_is_a_view_of_the_register(databases):
    app = create_app({"DATABASE_URL": databases.new("pool"), "REVIEWERS": "",
                      "REVIEWER_POOL": "pool-1,pool-2"})
    try:
        client = app.test_client()
        open_review(app, requested_reviewers=[])
        assert emitted(app, "review.requested")[0]["reviewers"] == ["pool-1", "pool-2"]
        client.patch("/api/v1/reviewers/pool-2", headers=admin(app), json={"active": False})
        open_review(app, requested_reviewers=[])
        assert emitted(app, "review.requested")[1]["reviewers"] == ["pool-1"]
    finally:
        db(app).dispose()
