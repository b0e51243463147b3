"""No dead ends, over HTTP against the running system: a rejected CIA is revised,
reviewed again and approved; cancelling an operation closes its open review
(links revoked, no reminder or escalation, decisions refused, ``review.cancelled``
delivered once)."""
from __future__ import annotations

from datetime import datetime

import pytest
import requests

from tests.e2e.helpers import (ADMIN, PLANNER, REVIEWER, create_authorised_operation, create_cia, decide,
                               get_cia, ok, reviews_of, submit, subscribe, wait_status)
from tests.faults.loop import Databases, wait_quiet
from tests.receiver import WebhookReceiver
from tests.support import wait_for

pytestmark = pytest.mark.e2e

# A review is due ~54 s after it opens and its reminder comes ~27 s before that:
# soon enough to see them come for one review and not for the cancelled one.
SOON = {"CIA_REVIEW_LEAD_HOURS": "100000", "CIA_REVIEW_MIN_HOURS": "0.015",
        "CIA_REVIEW_REMINDER_HOURS": "0.0075"}


def open_review_of(system, cia_id: str, version: int) -> dict:
    return wait_for(lambda: next((r for r in reviews_of(system, cia_id)
                                  if r["version"] == version and r["state"] == "open"), None),
                    60, message=f"an open review of v{version}")


def test_a_rejected_cia_is_revised_and_approved(make_system, databases, receiver):
    system = make_system(databases)
    subscribe(system, receiver.url, ["cia.rejected", "cia.revised", "cia.approved"])
    authoring = system.url("authoring")
    op = create_authorised_operation(system)
    cia = create_cia(system, op)
    base = f"{authoring}/api/v1/cias/{cia['id']}"
    submit(system, cia["id"])

    comments = [{"section": "watchlist", "comment": "Explain why the associates are on it."}]
    review = open_review_of(system, cia["id"], 1)
    ok(requests.post(system.url("review") + f"/api/v1/reviews/{review['id']}/decisions",
                     headers=REVIEWER, json={"decision": "reject", "comment": "Not yet.",
                                             "section_comments": comments}, timeout=10))
    rejected = wait_status(system, cia["id"], "withdrawn")
    assert rejected["status_reason"] == "rejected by review"

    revised = ok(requests.post(f"{base}/revisions", headers=PLANNER, timeout=10,
                               json={"reason": "Watchlist composition explained."}), 201)
    assert (revised["version"], revised["status"], revised["revised_from"]) == (2, "draft", 1)
    assert revised["rejection"]["comment"] == "Not yet."
    assert revised["rejection"]["section_comments"] == comments

    edited = ok(requests.patch(base, headers={**PLANNER, "If-Match": revised["etag"]}, timeout=10,
                               json={"content": {"watchlist": {
                                   "composition_rationale": "Associates are listed only where a "
                                                            "court order names them."}}}))
    assert edited["version"] == 2
    assert submit(system, cia["id"])["status"] == "submitted"
    review2 = open_review_of(system, cia["id"], 2)
    ok(decide(system, review2["id"], "approve", comment="Now proportionate."))
    approved = wait_status(system, cia["id"], "approved")
    assert approved["version"] == 2 and approved["rejection"]["version"] == 1

    versions = ok(requests.get(f"{base}/versions", headers=PLANNER, timeout=10))
    assert [(v["version"], v["status"]) for v in versions] == [(1, "withdrawn"), (2, "approved")]
    doc = requests.get(f"{base}/versions/2/document", headers=PLANNER, timeout=30)
    assert doc.status_code == 200 and doc.headers["X-Document-Stored"] == "true"
    deployed = ok(requests.post(f"{authoring}/api/v1/operations/{op['id']}/status",
                                headers=PLANNER, json={"status": "deployed"}, timeout=10))
    assert deployed["status"] == "deployed"
    for event_type in ("cia.rejected", "cia.revised", "cia.approved"):
        wait_for(lambda: receiver.of_type(event_type), 60, message=f"the {event_type} webhook")


def test_cancelling_the_operation_cancels_its_open_review(make_system, pg_databases, receiver,
                                                         request):
    system = make_system(pg_databases, extra_env=SOON)
    subscribe(system, receiver.url, ["review.*"])
    # Only a subscription bound to a reviewer carries their action link.
    personal = WebhookReceiver()
    personal.__enter__()
    request.addfinalizer(lambda: personal.__exit__(None, None, None))
    ok(requests.post(system.url("notifier") + "/api/v1/subscriptions", headers=ADMIN, timeout=10,
                     json={"url": personal.url, "event_types": ["review.requested"],
                           "reviewer_sub": "reviewer-1"}), 201)
    authoring = system.url("authoring")

    # Two operations under review; only the first is cancelled.
    op = create_authorised_operation(system, "LFR-2026-0101")
    other = create_authorised_operation(system, "LFR-2026-0102")
    cia, kept = create_cia(system, op), create_cia(system, other)
    ok(requests.post(f"{authoring}/api/v1/cias/{cia['id']}/submit", headers=PLANNER, timeout=10,
                     json={"requested_reviewers": ["reviewer-1"]}))
    review = open_review_of(system, cia["id"], 1)
    # The kept review opens after the other, so its reminder and escalation fall due
    # no sooner than the cancelled one's would (what the absence check below needs).
    submit(system, kept["id"])
    kept_review = open_review_of(system, kept["id"], 1)
    assert datetime.fromisoformat(kept_review["due_at"]) >= datetime.fromisoformat(review["due_at"])
    [requested] = wait_for(lambda: [h for h in personal.of_type("review.requested")
                                    if h.json()["data"]["cia_id"] == cia["id"]], 60,
                           message="review.requested at reviewer-1's endpoint")
    link = requested.json()["data"]["action_links"]["reviewer-1"]

    cancelled_op = ok(requests.post(f"{authoring}/api/v1/operations/{op['id']}/status",
                                    headers=PLANNER, json={"status": "cancelled"}, timeout=10))
    assert cancelled_op["status"] == "cancelled"
    assert get_cia(system, cia["id"])["status"] == "withdrawn"

    def cancelled():
        r = ok(requests.get(system.url("review") + f"/api/v1/reviews/{review['id']}",
                            headers=REVIEWER, timeout=10))
        return r if r["state"] == "cancelled" else None

    closed = wait_for(cancelled, 60, message="the review to be cancelled")
    assert closed["closed_reason"] == f"operation {op['reference']} cancelled"

    # A decision now: 409 saying why; the action link no longer works.
    refused = decide(system, review["id"], "approve")
    assert refused.status_code == 409
    assert "cancelled" in refused.json()["detail"] and op["reference"] in refused.json()["detail"]
    page = requests.get(link, timeout=10)
    assert page.status_code == 410 and "cancelled" in page.text

    # The kept review gets its reminder and its escalation; the cancelled one neither.
    for kind in ("review.reminder", "review.overdue"):
        wait_for(lambda: [h for h in receiver.of_type(kind)
                          if h.json()["data"]["cia_id"] == kept["id"]], 90,
                 message=f"{kind} of the kept review")
    # The periodic pass that escalated the kept review had the cancelled one's times
    # behind it too (passes take every review due, earliest first), so anything sent
    # for it is in an outbox by now; once nothing is left to publish, consume or
    # deliver, it would have arrived. (The kept review's hooks are the positive control.)
    db = Databases(system)
    request.addfinalizer(db.dispose)
    wait_quiet(system, db)
    about_cancelled = [h.json()["type"] for h in receiver.received()
                       if h.json()["data"]["cia_id"] == cia["id"]]
    # On a slow machine the reminder may have gone out before the cancellation; never after.
    reminded = ["review.reminder"] if closed["reminded_at"] else []
    assert sorted(about_cancelled) == sorted(["review.cancelled", "review.requested", *reminded])
    final = ok(requests.get(system.url("review") + f"/api/v1/reviews/{review['id']}",
                            headers=REVIEWER, timeout=10))
    assert final["escalated_at"] is None and final["reminded_at"] == closed["reminded_at"]
    [hook] = receiver.of_type("review.cancelled")
    data = hook.json()["data"]
    assert (data["review_id"], data["reason"]) == (review["id"],
                                                   f"operation {op['reference']} cancelled")
    assert get_cia(system, kept["id"])["status"] == "submitted"
