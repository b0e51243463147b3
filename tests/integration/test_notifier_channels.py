"""Channel and bound subscriptions through the notifier's HTTP API, on SQLite and
PostgreSQL: only a subscription bound to a reviewer (``reviewer_sub``) carries that
reviewer's one-time action link; a channel gets the summary and a link to the review."""
import json

import pytest
from standardwebhooks import Webhook

from cia_common.auth import mint_token
from cia_common.consumer import handle_event
from cia_common.events import CloudEvent
from cia_common.web import db as app_db
from cia_notifier.app import create_app
from cia_notifier.deliveries.consumers import fan_out
from cia_notifier.deliveries.loop import DeliveryLoop
from tests.receiver import WebhookReceiver

pytestmark = pytest.mark.integration

REVIEW_API = "http://127.0.0.1:8002/api/v1/reviews/r-1"
LINKS = {r: f"http://127.0.0.1:8002/review/actions/one-time-token-of-{r}"
         for r in ("rev-1", "rev-2")}


@pytest.fixture
def app(databases):
    app = create_app({"DATABASE_URL": databases.new("notifier"), "TESTING": True,
                      "WEBHOOK_ALLOWED_HOSTS": "127.0.0.1"})
    yield app
    app_db(app).dispose()


@pytest.fixture
def admin(app):
    return {"Authorization": "Bearer " + mint_token(app.config["JWT_SECRET"], sub="admin-1",
                                                    name="A. Admin", roles=["admin"])}


def subscribe(client, admin, url, **body):
    resp = client.post("/api/v1/subscriptions", headers=admin,
                       json={"url": url, "event_types": ["review.*"], **body})
    assert resp.status_code == 201, resp.json
    return resp.json


def review_requested(event_type="review.requested") -> CloudEvent:
    return CloudEvent(type=event_type, source="/cia-workflow/review", subject="cia-1",
                      data={"review_id": "r-1", "cia_id": "cia-1", "version": 1, "round": 1,
                            "operation_reference": "LFR-2026-0042", "title": "CIA",
                            "reviewers": ["rev-1", "rev-2"], "links": {"review_api": REVIEW_API},
                            "action_links": dict(LINKS)})


def deliver(app, event) -> None:
    assert handle_event(app_db(app), "notifier", fan_out, event,
                        source="/cia-workflow/notifier", topic="cia.notifier.events")
    loop = DeliveryLoop()
    try:
        assert set(loop.drain(app_db(app), app.config)) == {"succeeded"}
    finally:
        loop.close()


def test_reviewer_sub_is_set_shown_changed_and_cleared(app, admin):
    client = app.test_client()
    bound = subscribe(client, admin, "http://127.0.0.1:9/a", reviewer_sub="rev-1")
    channel = subscribe(client, admin, "http://127.0.0.1:9/b", format="teams")
    assert bound["reviewer_sub"] == "rev-1" and channel["reviewer_sub"] is None
    listed = {s["id"]: s["reviewer_sub"]
              for s in client.get("/api/v1/subscriptions", headers=admin).json}
    assert listed == {bound["id"]: "rev-1", channel["id"]: None}
    path = f"/api/v1/subscriptions/{bound['id']}"
    moved = client.patch(path, json={"reviewer_sub": "rev-2"}, headers=admin)
    assert moved.status_code == 200 and moved.json["reviewer_sub"] == "rev-2"
    assert client.get(path, headers=admin).json["reviewer_sub"] == "rev-2"
    cleared = client.patch(path, json={"reviewer_sub": None}, headers=admin)
    assert cleared.json["reviewer_sub"] is None
    too_long = client.post("/api/v1/subscriptions", headers=admin,
                           json={"url": "http://127.0.0.1:9/c", "event_types": ["*"],
                                 "reviewer_sub": "r" * 256})
    assert too_long.status_code == 422
    assert [e["pointer"] for e in too_long.json["errors"]] == ["/reviewer_sub"]
    spec = client.get("/openapi.json").json["components"]["schemas"]
    assert "reviewer_sub" in spec["SubscriptionCreate"]["properties"]


def test_only_the_bound_subscription_carries_its_reviewers_link(app, admin):
    client = app.test_client()
    with WebhookReceiver() as channel_card, WebhookReceiver() as channel_event, \
            WebhookReceiver() as bound_card, WebhookReceiver() as bound_event:
        secrets = {
            "channel card": subscribe(client, admin, channel_card.url, format="teams")["secret"],
            "channel event": subscribe(client, admin, channel_event.url)["secret"],
            "bound card": subscribe(client, admin, bound_card.url, format="teams",
                                    reviewer_sub="rev-2")["secret"],
            "bound event": subscribe(client, admin, bound_event.url,
                                     reviewer_sub="rev-2")["secret"],
        }
        deliver(app, review_requested())
        deliver(app, review_requested("review.reminder"))
        received = {"channel card": channel_card.received(),
                    "channel event": channel_event.received(),
                    "bound card": bound_card.received(), "bound event": bound_event.received()}

    for name, requests in received.items():
        assert len(requests) == 2, name
        for r in requests:
            Webhook(secrets[name]).verify(r.body, r.headers)
            body = r.body.decode()
            assert LINKS["rev-1"] not in body, name      # nobody gets rev-1's link
            assert (LINKS["rev-2"] in body) is name.startswith("bound"), name

    for r in received["channel card"]:
        card = r.json()["attachments"][0]["content"]
        assert card["actions"] == [{"type": "Action.OpenUrl", "title": "Open the review",
                                    "url": REVIEW_API}]
    for r in received["channel event"]:
        data = r.json()["data"]
        assert data["action_links"] == {} and data["links"] == {"review_api": REVIEW_API}
        assert data["reviewers"] == ["rev-1", "rev-2"]   # the summary stays
    for r in received["bound card"]:
        card = r.json()["attachments"][0]["content"]
        assert [(a["title"], a["url"]) for a in card["actions"]] == [("Review", LINKS["rev-2"])]
    for r in received["bound event"]:
        assert r.json()["data"]["action_links"] == {"rev-2": LINKS["rev-2"]}
        assert json.loads(r.body)["type"] in ("review.requested", "review.reminder")
