"""Microsoft Teams rendering and per-subscription bodies: decision links only for
the reviewer a subscription is bound to."""
import json

from cia_notifier.deliveries.loop import Job, render_body
from cia_notifier.deliveries.teams import CARD_CONTENT_TYPE, teams_message

REQUESTED = {
    "id": "ev-1", "type": "review.requested", "source": "/cia-workflow/review",
    "subject": "cia-1", "time": "2026-03-01T12:00:00Z", "specversion": "1.0",
    "datacontenttype": "application/json",
    "data": {"review_id": "r-1", "cia_id": "cia-1", "version": 2, "round": 1,
             "operation_reference": "LFR-2026-0042", "operation_name": "Oxford Circus",
             "title": "CIA for Oxford Circus", "due_at": "2026-03-05T09:00:00Z",
             "reviewers": ["rev-1", "rev-2"],
             "links": {"review_api": "https://review/api/v1/reviews/r-1"},
             "action_links": {"rev-1": "https://review/a/1", "rev-2": "https://review/a/2"}},
}


def _card(message):
    assert message["type"] == "message"
    (attachment,) = message["attachments"]
    assert attachment["contentType"] == CARD_CONTENT_TYPE
    card = attachment["content"]
    assert card["type"] == "AdaptiveCard"
    return card


ACTION_URLS = ("https://review/a/1", "https://review/a/2")


def test_a_bound_card_has_title_operation_due_and_its_reviewers_button_only():
    card = _card(teams_message(REQUESTED, "rev-2"))
    text = json.dumps(card["body"], ensure_ascii=False)
    assert "CIA for Oxford Circus" in text
    assert "LFR-2026-0042 — Oxford Circus" in text
    assert "Thu 05 Mar 2026, 09:00 UTC" in text
    assert card["actions"] == [{"type": "Action.OpenUrl", "title": "Review",
                                "url": "https://review/a/2"}]
    assert "https://review/a/1" not in json.dumps(card)


def test_a_channel_card_links_the_review_and_carries_no_decision_link():
    card = _card(teams_message(REQUESTED))
    assert card["actions"] == [{"type": "Action.OpenUrl", "title": "Open the review",
                                "url": "https://review/api/v1/reviews/r-1"}]
    whole = json.dumps(card)
    assert not any(url in whole for url in ACTION_URLS)
    assert "Review as" not in whole
    # Bound to someone without a link in this event: the same as a channel.
    assert _card(teams_message(REQUESTED, "rev-9"))["actions"] == card["actions"]


def test_other_events_get_a_simple_card_without_actions():
    event = {**REQUESTED, "type": "cia.approved",
             "data": {"cia_id": "cia-1", "version": 2, "operation_reference": "LFR-2026-0042"}}
    card = _card(teams_message(event))
    assert "actions" not in card
    text = json.dumps(card["body"], ensure_ascii=False)
    assert "CIA approved" in text and "LFR-2026-0042" in text


def _job(fmt, reviewer_sub=None, event=REQUESTED):
    return Job("d-1", "c-1", "ev-1", json.dumps(event, sort_keys=True), "http://x", fmt,
               reviewer_sub, ("whsec_AAAA",))


def test_bodies_per_format_and_binding():
    bound = json.loads(render_body(_job("cloudevent", "rev-2")))
    assert bound["data"]["action_links"] == {"rev-2": "https://review/a/2"}
    assert bound["id"] == "ev-1"
    card = _card(json.loads(render_body(_job("teams", "rev-1"))))
    assert [a["url"] for a in card["actions"]] == ["https://review/a/1"]


def test_a_channel_body_carries_the_summary_and_no_one_time_token():
    for fmt in ("cloudevent", "teams"):
        body = render_body(_job(fmt))
        assert not any(url in body for url in ACTION_URLS), fmt
        assert "https://review/api/v1/reviews/r-1" in body, fmt
    event = json.loads(render_body(_job("cloudevent")))
    assert event["data"]["action_links"] == {}
    assert event["data"]["reviewers"] == ["rev-1", "rev-2"]
    # An event without links is sent exactly as stored.
    plain = {**REQUESTED, "type": "cia.approved", "data": {"cia_id": "cia-1"}}
    assert render_body(_job("cloudevent", event=plain)) == json.dumps(plain, sort_keys=True)


def test_reminders_and_reassignments_carry_the_bound_reviewers_link_too():
    reminder = {**REQUESTED, "type": "review.reminder",
                "data": {**REQUESTED["data"], "undecided_reviewers": ["rev-2"],
                         "action_links": {"rev-2": "https://review/a/2b"}}}
    card = _card(teams_message(reminder, "rev-2"))
    text = json.dumps(card["body"], ensure_ascii=False)
    assert "Reminder: review due soon" in text and "Still to decide" in text
    assert [(a["title"], a["url"]) for a in card["actions"]] == [("Review", "https://review/a/2b")]
    assert "https://review/a/2b" not in render_body(_job("teams", event=reminder))
    moved = {**REQUESTED, "type": "review.reassigned",
             "data": {**REQUESTED["data"], "reason": "Robin is on leave",
                      "action_links": {"rev-3": "https://review/a/3"}}}
    card = _card(teams_message(moved, "rev-3"))
    assert "Robin is on leave" in json.dumps(card["body"])
    assert [a["url"] for a in card["actions"]] == ["https://review/a/3"]
    assert "https://review/a/3" not in json.dumps(teams_message(moved, "rev-1"))
    overdue = {**REQUESTED, "type": "review.overdue",
               "data": {k: v for k, v in REQUESTED["data"].items() if k != "action_links"}}
    assert "Review overdue" in json.dumps(_card(teams_message(overdue))["body"])
