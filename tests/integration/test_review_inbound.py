"""Standard-Webhooks-signed decisions from integrations, on both backends."""
from __future__ import annotations

import base64
import json
import time
import uuid
from datetime import datetime, timezone

import pytest
import sqlalchemy as sa
from standardwebhooks.webhooks import Webhook

from cia_common.auth import mint_token
from cia_common.tables import outbox
from cia_common.web import db
from cia_review.app import create_app
from tests.review_events import deliver, submitted_event

pytestmark = pytest.mark.integration

SECRET = "whsec_" + base64.b64encode(b"integration-secret-0123456789ab").decode()
OTHER = "whsec_" + base64.b64encode(b"someone-else-secret-0123456789").decode()


@pytest.fixture
def app(databases):
    app = create_app({"DATABASE_URL": databases.new("review"),
                      "INBOUND_SECRETS": json.dumps({"review-desk": SECRET})})
    yield app
    db(app).dispose()


@pytest.fixture
def client(app):
    return app.test_client()


def open_review(app, **data) -> str:
    deliver(db(app), app.config, submitted_event(**data))
    with db(app).engine.connect() as conn:
        payload = conn.execute(sa.select(outbox.c.payload)
                               .where(outbox.c.event_type == "review.requested")
                               .order_by(outbox.c.seq.desc())).scalars().first()
    return json.loads(payload)["data"]["review_id"]


def send(client, body, *, secret=SECRET, msg_id=None, at=None, raw=None):
    raw = raw if raw is not None else json.dumps(body)
    msg_id = msg_id or f"msg_{uuid.uuid4().hex}"
    at = time.time() if at is None else at
    signature = Webhook(secret).sign(msg_id, datetime.fromtimestamp(at, timezone.utc), raw)
    return client.post("/api/v1/inbound/decisions", data=raw, content_type="application/json",
                       headers={"webhook-id": msg_id, "webhook-timestamp": str(int(at)),
                                "webhook-signature": signature})


def decision(review_id, sub="reviewer-1", **extra):
    return {"review_id": review_id, "reviewer": {"sub": sub, "name": "Rev One"},
            "decision": "approve", "comment": "Fine", **extra}


def assert_problem(resp, status, *words):
    assert resp.status_code == status, resp.get_data(as_text=True)
    assert resp.mimetype == "application/problem+json"
    text = resp.get_data(as_text=True)
    for word in words:
        assert word in text, text
    return resp.get_json()


def test_signed_decision_is_recorded_and_a_replay_refused(app, client):
    review_id = open_review(app)
    resp = send(client, decision(review_id), msg_id="msg_one")
    assert resp.status_code == 201, resp.get_data(as_text=True)
    body = resp.get_json()
    assert body["state"] == "approved"
    assert body["decisions"][0]["channel"] == "inbound:review-desk"
    assert body["decisions"][0]["reviewer"] == {"sub": "reviewer-1", "name": "Rev One"}
    assert_problem(send(client, decision(review_id), msg_id="msg_one"), 409, "already received")
    with db(app).engine.connect() as conn:
        stored = conn.execute(sa.text("SELECT integration, webhook_id, review_id FROM inbound_webhooks")).all()
        completed = conn.execute(sa.select(sa.func.count()).select_from(outbox)
                                 .where(outbox.c.event_type == "review.completed")).scalar_one()
    assert [tuple(r) for r in stored] == [("review-desk", "msg_one", review_id)]
    assert completed == 1


def test_wrong_signature_and_stale_timestamp_are_401(app, client):
    review_id = open_review(app)
    assert_problem(send(client, decision(review_id), secret=OTHER), 401, "signature")
    assert_problem(send(client, decision(review_id), at=time.time() - 3600), 401, "window")
    assert_problem(send(client, decision(review_id), at=time.time() + 3600), 401, "window")
    assert_problem(client.post("/api/v1/inbound/decisions", json=decision(review_id)), 401,
                   "webhook-signature")
    resp = client.post("/api/v1/inbound/decisions", json=decision(review_id),
                       headers={"webhook-id": "m", "webhook-timestamp": str(int(time.time())),
                                "webhook-signature": "v1,garbage!!"})
    assert_problem(resp, 401)
    # A bearer token is no substitute for the signature.
    bearer = mint_token(app.config["JWT_SECRET"], sub="reviewer-1", name="R", roles=["reviewer"])
    assert_problem(client.post("/api/v1/inbound/decisions", json=decision(review_id),
                               headers={"Authorization": f"Bearer {bearer}"}), 401)
    assert db_decisions(app) == 0


def db_decisions(app) -> int:
    with db(app).engine.connect() as conn:
        return conn.execute(sa.text("SELECT COUNT(*) FROM decisions")).scalar_one()


def test_invalid_body_is_422_with_pointers_and_its_id_is_remembered(app, client):
    review_id = open_review(app)
    body = {"review_id": review_id, "reviewer": {"name": "x"}, "decision": "sure"}
    problem = assert_problem(send(client, body, msg_id="msg_bad"), 422)
    assert {e["pointer"] for e in problem["errors"]} == {"/reviewer/sub", "/decision"}
    assert_problem(send(client, body, msg_id="msg_bad"), 409)
    assert_problem(send(client, None, raw="not json"), 422, "not JSON")


def test_same_policy_as_the_api(app, client):
    review_id = open_review(app, requested_reviewers=["reviewer-1"])
    assert_problem(send(client, decision(review_id, sub="planner-1")), 403, "author")
    assert_problem(send(client, decision(review_id, sub="reviewer-9")), 403, "named reviewers")
    assert_problem(send(client, decision(review_id, decision="request_changes", comment="")),
                   422, "comment")
    assert_problem(send(client, decision("no-such-review")), 404)
    assert db_decisions(app) == 0
    assert send(client, decision(review_id)).status_code == 201
    assert_problem(send(client, decision(review_id)), 409, "approved")


def test_a_signature_does_not_vouch_for_someone_outside_the_register(app, client):
    review_id = open_review(app, requested_reviewers=[])
    body = assert_problem(send(client, decision(review_id, sub="planner-3")), 403, "register")
    assert "planner-3" in body["detail"]
    assert db_decisions(app) == 0
    assert send(client, decision(review_id)).status_code == 201
