"""Subscription and delivery-log endpoints of the notifier, on SQLite and PostgreSQL."""
import json
from datetime import datetime, timezone

import pytest
import sqlalchemy as sa
from standardwebhooks import Webhook

from cia_common.auth import mint_token
from cia_common.consumer import handle_event
from cia_common.events import CloudEvent
from cia_common.tables import outbox
from cia_common.web import db as app_db
from cia_notifier.app import create_app
from cia_notifier.deliveries.consumers import fan_out
from cia_notifier.deliveries.loop import DeliveryLoop
from tests.receiver import WebhookReceiver
from tests.support import wait_for

pytestmark = pytest.mark.integration


@pytest.fixture
def app(databases):
    app = create_app({"DATABASE_URL": databases.new("notifier"), "TESTING": True,
                      "WEBHOOK_ALLOWED_HOSTS": "127.0.0.1,localhost",
                      "RETRY_SCHEDULE_SECONDS": "0.1"})
    yield app
    app_db(app).dispose()


@pytest.fixture
def client(app):
    return app.test_client()


def token(app, *roles, sub="admin-1"):
    return {"Authorization": "Bearer " + mint_token(app.config["JWT_SECRET"], sub=sub,
                                                    name="A. Admin", roles=list(roles))}


@pytest.fixture
def admin(app):
    return token(app, "admin")


def create(client, admin, **body):
    body = {"url": "http://127.0.0.1:9/hook", "event_types": ["review.*"], **body}
    resp = client.post("/api/v1/subscriptions", json=body, headers=admin)
    assert resp.status_code == 201, resp.json
    return resp.json


def test_create_returns_the_secret_once(client, admin):
    created = create(client, admin, description="Reviews to the duty desk", format="teams",
                     recipient="rev-1")
    assert created["secret"].startswith("whsec_")
    assert created["active"] is True and created["format"] == "teams"
    assert created["recipient"] == "rev-1" and created["created_by"] == "admin-1"
    fetched = client.get(f"/api/v1/subscriptions/{created['id']}", headers=admin)
    assert fetched.status_code == 200
    assert "secret" not in fetched.json
    assert fetched.json["event_types"] == ["review.*"]
    listed = client.get("/api/v1/subscriptions", headers=admin)
    assert [s["id"] for s in listed.json] == [created["id"]]
    assert all("secret" not in s for s in listed.json)


def test_list_is_paginated_and_filterable(client, admin):
    ids = [create(client, admin)["id"] for _ in range(3)]
    client.patch(f"/api/v1/subscriptions/{ids[0]}", json={"active": False}, headers=admin)
    page = client.get("/api/v1/subscriptions?page=2&page_size=2", headers=admin)
    assert page.status_code == 200
    assert [s["id"] for s in page.json] == ids[2:]
    assert json.loads(page.headers["X-Pagination"])["total"] == 3
    active = client.get("/api/v1/subscriptions?active=true", headers=admin)
    assert {s["id"] for s in active.json} == set(ids[1:])


def test_patch_changes_filters_and_rotates_the_secret(app, client, admin):
    created = create(client, admin)
    sid = created["id"]
    resp = client.patch(f"/api/v1/subscriptions/{sid}",
                        json={"event_types": ["cia.approved", "*"], "recipient": "rev-2",
                              "description": "changed"}, headers=admin)
    assert resp.status_code == 200
    assert resp.json["event_types"] == ["cia.approved", "*"]
    assert resp.json["recipient"] == "rev-2" and "secret" not in resp.json
    rotated = client.patch(f"/api/v1/subscriptions/{sid}", json={"rotate_secret": True},
                           headers=admin)
    assert rotated.status_code == 200
    assert rotated.json["secret"].startswith("whsec_")
    assert rotated.json["secret"] != created["secret"]
    assert rotated.json["secret_rotation_ends_at"] is not None
    cleared = client.patch(f"/api/v1/subscriptions/{sid}", json={"recipient": None}, headers=admin)
    assert cleared.json["recipient"] is None


def test_disable_and_reenable_by_patch(app, client, admin):
    sid = create(client, admin)["id"]
    off = client.patch(f"/api/v1/subscriptions/{sid}", json={"active": False}, headers=admin)
    assert off.json["active"] is False
    assert off.json["disabled_reason"] == "disabled by an administrator"
    with app_db(app).engine.connect() as conn:
        types = conn.execute(sa.select(outbox.c.event_type, outbox.c.key)).all()
    assert (("subscription.disabled", sid)) in [tuple(t) for t in types]
    on = client.patch(f"/api/v1/subscriptions/{sid}", json={"active": True}, headers=admin)
    assert on.json["active"] is True and on.json["disabled_reason"] is None


def test_delete_hides_the_subscription(client, admin):
    sid = create(client, admin)["id"]
    assert client.delete(f"/api/v1/subscriptions/{sid}", headers=admin).status_code == 204
    assert client.get(f"/api/v1/subscriptions/{sid}", headers=admin).status_code == 404
    assert client.delete(f"/api/v1/subscriptions/{sid}", headers=admin).status_code == 404
    assert client.get("/api/v1/subscriptions", headers=admin).json == []


@pytest.mark.parametrize("method,path", [
    ("post", "/api/v1/subscriptions"), ("get", "/api/v1/subscriptions"),
    ("get", "/api/v1/subscriptions/x"), ("patch", "/api/v1/subscriptions/x"),
    ("delete", "/api/v1/subscriptions/x"), ("get", "/api/v1/subscriptions/x/deliveries"),
    ("post", "/api/v1/deliveries/x/redeliver"),
])
def test_every_endpoint_needs_an_admin_token(app, client, method, path):
    anonymous = getattr(client, method)(path, json={})
    assert anonymous.status_code == 401
    assert anonymous.mimetype == "application/problem+json"
    bogus = getattr(client, method)(path, json={}, headers={"Authorization": "Bearer nope"})
    assert bogus.status_code == 401
    planner = getattr(client, method)(path, json={}, headers=token(app, "planner", "reviewer"))
    assert planner.status_code == 403
    assert planner.json["status"] == 403


def test_unknown_ids_are_404_problems(client, admin):
    for method, path in [("get", "/api/v1/subscriptions/nope"),
                         ("patch", "/api/v1/subscriptions/nope"),
                         ("get", "/api/v1/subscriptions/nope/deliveries"),
                         ("post", "/api/v1/deliveries/nope/redeliver")]:
        resp = getattr(client, method)(path, json={}, headers=admin)
        assert resp.status_code == 404, (method, path)
        assert resp.mimetype == "application/problem+json"


@pytest.mark.parametrize("body,pointer", [
    ({"event_types": ["review.*"]}, "/url"),
    ({"url": "ftp://127.0.0.1/x", "event_types": ["review.*"]}, "/url"),
    ({"url": "http://10.1.2.3/hook", "event_types": ["review.*"]}, "/url"),
    ({"url": "http://169.254.169.254/latest", "event_types": ["*"]}, "/url"),
    ({"url": "http://127.0.0.1:9/x"}, "/event_types"),
    ({"url": "http://127.0.0.1:9/x", "event_types": []}, "/event_types"),
    ({"url": "http://127.0.0.1:9/x", "event_types": ["review.*", "*.bad"]}, "/event_types/1"),
    ({"url": "http://127.0.0.1:9/x", "event_types": ["*"], "format": "xml"}, "/format"),
    ({"url": "http://127.0.0.1:9/x", "event_types": ["*"], "colour": "red"}, "/colour"),
])
def test_invalid_bodies_are_422_with_pointers(client, admin, body, pointer):
    resp = client.post("/api/v1/subscriptions", json=body, headers=admin)
    assert resp.status_code == 422
    assert resp.mimetype == "application/problem+json"
    assert pointer in [e["pointer"] for e in resp.json["errors"]]


def test_loopback_is_refused_without_the_allow_list(databases):
    app = create_app({"DATABASE_URL": databases.new("strict"), "TESTING": True})
    try:
        resp = app.test_client().post(
            "/api/v1/subscriptions", headers=token(app, "admin"),
            json={"url": "http://localhost:8080/hook", "event_types": ["*"]})
        assert resp.status_code == 422
        assert resp.json["errors"][0]["pointer"] == "/url"
        assert "loopback" in resp.json["errors"][0]["detail"]
    finally:
        app_db(app).dispose()


def test_patch_refuses_a_private_url(client, admin):
    sid = create(client, admin)["id"]
    resp = client.patch(f"/api/v1/subscriptions/{sid}", json={"url": "http://192.168.0.1/x"},
                        headers=admin)
    assert resp.status_code == 422
    assert resp.json["errors"] == [{"pointer": "/url", "detail": resp.json["errors"][0]["detail"]}]
    assert client.get(f"/api/v1/subscriptions/{sid}", headers=admin).json["url"] == \
        "http://127.0.0.1:9/hook"


def _event(event_type="review.requested", **data):
    return CloudEvent(type=event_type, source="/cia-workflow/review", subject="cia-1",
                      data={"cia_id": "cia-1", "reviewers": ["rev-1"], **data})


def _consume(app, event):
    return handle_event(app_db(app), "notifier", fan_out, event,
                        source="/cia-workflow/notifier", topic="cia.notifier.events")


def test_delivery_log_and_redelivery(app, client, admin):
    with WebhookReceiver([503, 200]) as rx:
        created = create(client, admin, url=rx.url)
        sid = created["id"]
        event = _event()
        assert _consume(app, event) is True
        assert _consume(app, event) is False  # the inbox drops the duplicate
        loop = DeliveryLoop()
        try:
            assert loop.drain(app_db(app), app.config) == ["pending"]
            log = client.get(f"/api/v1/subscriptions/{sid}/deliveries", headers=admin)
            assert log.status_code == 200
            (delivery,) = log.json
            assert delivery["status"] == "pending" and delivery["webhook_id"] == event.id
            assert delivery["attempts"][0]["status_code"] == 503
            assert delivery["attempts"][0]["error"] == "HTTP 503"
            assert delivery["attempts"][0]["latency_ms"] >= 0
            # Drain once its retry is due, by the time it recorded, not a guessed pause.
            due = datetime.fromisoformat(delivery["next_attempt_at"])
            wait_for(lambda: datetime.now(timezone.utc) >= due, 10, 0.02, message="the retry due")
            assert loop.drain(app_db(app), app.config) == ["succeeded"]
            again = client.post(f"/api/v1/deliveries/{delivery['id']}/redeliver", headers=admin)
            assert again.status_code == 202
            assert again.json["status"] == "pending"
            assert loop.drain(app_db(app), app.config) == ["succeeded"]
        finally:
            loop.close()
        received = rx.received()
        assert [r.webhook_id for r in received] == [event.id] * 3
        for r in received:
            assert Webhook(created["secret"]).verify(r.body, r.headers)["id"] == event.id
        log = client.get(f"/api/v1/subscriptions/{sid}/deliveries?status=succeeded",
                         headers=admin).json
        assert [a["status_code"] for a in log[0]["attempts"]] == [503, 200, 200]
        assert log[0]["attempt_count"] == 3
        client.patch(f"/api/v1/subscriptions/{sid}", json={"active": False}, headers=admin)
        refused = client.post(f"/api/v1/deliveries/{delivery['id']}/redeliver", headers=admin)
        assert refused.status_code == 409


def test_openapi_documents_the_endpoints(client):
    spec = client.get("/openapi.json").json
    assert {"/api/v1/subscriptions", "/api/v1/subscriptions/{sub_id}",
            "/api/v1/subscriptions/{sub_id}/deliveries",
            "/api/v1/deliveries/{delivery_id}/redeliver"} <= set(spec["paths"])
    post = spec["paths"]["/api/v1/subscriptions"]["post"]
    assert {"201", "401", "403", "422"} <= set(post["responses"])
    assert "secret" in spec["components"]["schemas"]["SubscriptionWithSecret"]["properties"]


@pytest.mark.parametrize("host", ["[64:ff9b::a00:1]", "[64:ff9b::7f00:1]", "[2002:a00:1::]",
                                  "[::a00:1]", "[::ffff:10.0.0.1]", "[2001:0:4136:e378:8000:63bf:f5ff:fffe]"])
def test_ipv6_forms_of_refused_addresses_are_refused_through_the_api(databases, host):
    # NAT64, 6to4, IPv4-compatible, IPv4-mapped and Teredo spellings of private or
    # loopback IPv4 addresses, with an empty allow-list.
    app = create_app({"DATABASE_URL": databases.new("strict6"), "TESTING": True})
    try:
        resp = app.test_client().post(
            "/api/v1/subscriptions", headers=token(app, "admin"),
            json={"url": f"http://{host}/hook", "event_types": ["*"]})
        assert resp.status_code == 422, resp.json
        assert resp.json["errors"][0]["pointer"] == "/url"
    finally:
        app_db(app).dispose()
