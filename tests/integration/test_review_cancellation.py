"""``cia.withdrawn`` (the operation was cancelled) closes the open review as
cancelled: links revoked, reminders and escalations stopped, later decisions
refused with the reason, ``review.cancelled`` emitted once — on both backends."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from cia_common.auth import mint_token
from cia_common.config import LOCAL_JWT_SECRET, events_topic
from cia_common.consumer import handle_event
from cia_common.events import CloudEvent, isoformat
from cia_common.web import db
from cia_review.reviews.service import SOURCE, send_due_notifications
from cia_review.worker import build_spec
from tests.integration.test_review_action_links import app, client, emitted  # noqa: F401
from tests.review_events import deliver, submitted_event

pytestmark = pytest.mark.integration

REVIEWER = {"Authorization": "Bearer " + mint_token(LOCAL_JWT_SECRET, sub="reviewer-1",
                                                    name="Robin Reviewer", roles=["reviewer"])}


def withdrawn_event(cia_id: str, version: int = 1, event_id: str | None = None) -> CloudEvent:
    kwargs = {"id": event_id} if event_id else {}
    return CloudEvent(type="cia.withdrawn", source="/cia-workflow/authoring", subject=cia_id,
                      data={"cia_id": cia_id, "version": version,
                            "operation_reference": "LFR-2026-0042",
                            "previous_status": "submitted",
                            "reason": "operation LFR-2026-0042 cancelled"}, **kwargs)


def deliver_withdrawn(app, event: CloudEvent) -> bool:
    """The worker's own handler for ``cia.withdrawn``, through the real inbox path."""
    handler = build_spec(dict(app.config)).handlers["cia.withdrawn"]
    return handle_event(db(app), "review", handler, event, source=SOURCE,
                        topic=events_topic(app.config, "review"))


def test_withdrawal_cancels_the_open_review_and_everything_it_would_still_do(app, client):
    now = datetime.now(timezone.utc)
    # Due in 20 h: the reminder is due in 8 h, the escalation in 20 h.
    submitted = submitted_event(planned_start=isoformat(now + timedelta(hours=44)))
    cia_id = submitted.data["cia_id"]
    deliver(db(app), app.config, submitted)
    [requested] = emitted(app, "review.requested")
    review_id = requested["review_id"]
    link = requested["action_links"]["reviewer-1"].replace("http://review.test", "")
    assert client.get(link).status_code == 200

    event = withdrawn_event(cia_id)
    assert deliver_withdrawn(app, event) is True
    assert deliver_withdrawn(app, event) is False  # the inbox drops the replay

    review = client.get(f"/api/v1/reviews/{review_id}", headers=REVIEWER).get_json()
    assert review["state"] == "cancelled" and review["closed_at"]
    assert review["closed_reason"] == "operation LFR-2026-0042 cancelled"
    assert review["undecided_reviewers"] == []

    [cancelled] = emitted(app, "review.cancelled")
    assert (cancelled["review_id"], cancelled["cia_id"], cancelled["version"]) == \
        (review_id, cia_id, 1)
    assert cancelled["reason"] == "operation LFR-2026-0042 cancelled"
    assert cancelled["reviewers"] == ["reviewer-1"]  # the notifier's recipient filter finds them
    with db(app).engine.connect() as conn:
        tokens = conn.execute(sa.text("SELECT revoked_reason FROM action_tokens WHERE review_id = :r"),
                              {"r": review_id}).scalars().all()
    assert tokens == ["cancelled"]

    # The action link says why it stopped working.
    page = client.get(link)
    assert page.status_code == 410 and "Review cancelled" in page.get_data(as_text=True)

    # A decision afterwards: 409, naming the reason.
    resp = client.post(f"/api/v1/reviews/{review_id}/decisions", headers=REVIEWER,
                       json={"decision": "approve", "comment": "Fine."})
    assert resp.status_code == 409
    detail = resp.get_json()["detail"]
    assert "cancelled" in detail and "LFR-2026-0042" in detail
    assert emitted(app, "review.completed") == []

    # Neither the reminder nor the escalation comes, even long after the due time.
    assert send_due_notifications(db(app), app.config, now=now + timedelta(hours=9)) is None
    send_due_notifications(db(app), app.config, now=now + timedelta(days=3))
    assert emitted(app, "review.reminder") == [] and emitted(app, "review.overdue") == []

    # A late copy of the submission does not reopen it.
    deliver(db(app), app.config, submitted_event(cia_id=cia_id, content_hash="sha256:other"))
    assert len(emitted(app, "review.requested")) == 1


def test_withdrawal_without_an_open_review_changes_nothing(app, client):
    submitted = submitted_event()
    cia_id = submitted.data["cia_id"]
    deliver(db(app), app.config, submitted)
    [requested] = emitted(app, "review.requested")
    ok = client.post(f"/api/v1/reviews/{requested['review_id']}/decisions", headers=REVIEWER,
                     json={"decision": "reject", "comment": "No."})
    assert ok.status_code in (200, 201), ok.get_data(as_text=True)

    assert deliver_withdrawn(app, withdrawn_event(cia_id)) is True
    assert deliver_withdrawn(app, withdrawn_event(str(uuid.uuid4()))) is True
    assert emitted(app, "review.cancelled") == []
    review = client.get(f"/api/v1/reviews/{requested['review_id']}", headers=REVIEWER).get_json()
    assert review["state"] == "rejected" and review["closed_reason"] is None
