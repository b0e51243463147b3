"""Webhook retries live in the notifier's database: a notifier worker killed while
a delivery waits for its retry sends it, once, after it is started again."""
from __future__ import annotations

import json
import signal

import pytest
import requests
from standardwebhooks import Webhook

from tests.e2e.helpers import ADMIN, PLANNER, create_authorised_operation, create_cia, ok, subscribe
from tests.faults.loop import Databases, wait_quiet
from tests.receiver import WebhookReceiver
from tests.support import wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.faults]

RETRY_SECONDS = 3  # time enough to kill the worker before the retry is due


def deliveries(system, sub_id: str) -> list[dict]:
    return ok(requests.get(system.url("notifier") + f"/api/v1/subscriptions/{sub_id}/deliveries",
                           headers=ADMIN, timeout=10))


def test_a_scheduled_retry_survives_a_killed_notifier_worker(make_system, pg_databases, request):
    # PostgreSQL, the production database: SQLite keeps the same rows (the
    # delivery integration tests run on both).
    system = make_system(pg_databases,
                         extra_env={"CIA_RETRY_SCHEDULE_SECONDS": f"{RETRY_SECONDS},1"})
    db = Databases(system)
    request.addfinalizer(db.dispose)
    with WebhookReceiver([500, 200]) as flaky, WebhookReceiver([200]) as teams:
        # Both get the same event in the same pass of the delivery loop.
        retried = subscribe(system, flaky.url, ["review.requested"])
        # reviewer-1's own Teams chat: bound to them, so the card carries their link.
        card_sub = subscribe(system, teams.url, ["review.requested"], format="teams",
                             reviewer_sub="reviewer-1")

        cia = create_cia(system, create_authorised_operation(system))
        ok(requests.post(system.url("authoring") + f"/api/v1/cias/{cia['id']}/submit",
                         headers=PLANNER, json={"requested_reviewers": ["reviewer-1"]},
                         timeout=10))

        # The first attempt failed and its retry is scheduled...
        [pending] = wait_for(lambda: [d for d in deliveries(system, retried["id"])
                                      if d["attempt_count"] == 1], 60,
                             message="the first, failed attempt in the log")
        assert pending["status"] == "pending" and pending["next_attempt_at"]
        assert [a["status_code"] for a in pending["attempts"]] == [500]
        # The card is sent and recorded: the kill below cannot leave it in flight.
        wait_for(lambda: [d for d in deliveries(system, card_sub["id"])
                          if d["status"] == "succeeded"], 30, message="the Teams card")

        # ... when the worker dies without warning.
        system.stop_processes("notifier-worker", signal.SIGKILL)
        [still] = deliveries(system, retried["id"])
        assert (still["status"], still["attempt_count"]) == ("pending", 1), \
            "the worker must die before the retry is due, or this proves nothing"
        assert len(flaky.received()) == 1

        system.start_worker("notifier")
        [done] = wait_for(lambda: [d for d in deliveries(system, retried["id"])
                                   if d["status"] == "succeeded"], 60,
                          message="the retry, after the restart")
        # Every event re-read and every delivery settled: a wrong second retry or a
        # repeated card would have been sent by now.
        wait_quiet(system, db)
        received = flaky.received()
        assert len(received) == 2
        [after] = deliveries(system, retried["id"])
        assert [a["status_code"] for a in after["attempts"]] == [500, 200]
        assert after["attempt_count"] == 2 and after["id"] == done["id"]

    event = json.loads(received[0].body)
    assert event["type"] == "review.requested" and event["data"]["cia_id"] == cia["id"]
    assert [r.webhook_id for r in received] == [event["id"]] * 2 == [done["webhook_id"]] * 2
    for r in received:
        Webhook(retried["secret"]).verify(r.body, r.headers)

    # The Teams subscription got the same event once, as an Adaptive Card whose
    # button is the reviewer's working action link.
    [message] = teams.received()
    Webhook(card_sub["secret"]).verify(message.body, message.headers)
    card = message.json()["attachments"][0]
    assert card["contentType"] == "application/vnd.microsoft.card.adaptive"
    [action] = card["content"]["actions"]
    assert action["type"] == "Action.OpenUrl"
    assert action["url"].startswith(system.url("review") + "/review/actions/")
    page = requests.get(action["url"], timeout=10)
    assert page.status_code == 200 and "Review requested" in page.text
