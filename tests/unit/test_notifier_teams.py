"""Microsoft Teams rendering and per-recipient bodies."""
import json

from cia_notifier.delivery import Job, render_body
from cia_notifier.teams import CARD_CONTENT_TYPE, teams_message

REQUESTED = {
    "id": "ev-1", "type": "review.requested", "source": "/cia-workflow/review",
    "subject": "cia-1", "time": "2026-03-01T12:00:00Z", "specversion": "1.0",
    "datacontenttype": "application/json",
    "data": {"review_id": "r-1", "cia_id": "cia-1", "version": 2, "round": 1,
             "operation_reference": "LFR-2026-0042", "operation_name": "Oxford Circus",
             "title": "CIA for Oxford Circus", "due_at": "2026-03-05T09:00:00Z",
             "reviewers": ["rev-1", "rev-2"],
             "action_links": {"rev-1": "https://review/a/1", "rev-2": "https://review/a/2"}},
}


def _card(message):
    assert message["type"] == "message"
    (attachment,) = message["attachments"]
    assert attachment["contentType"] == CARD_CONTENT_TYPE
    card = attachment["content"]
    assert card["type"] == "AdaptiveCard"
    return card


def test_review_requested_card_has_title_operation_due_and_one_button_per_link():
    card = _card(teams_message(REQUESTED))
    text = json.dumps(card["body"], ensure_ascii=False)
    assert "CIA for Oxford Circus" in text
    assert "LFR-2026-0042 — Oxford Circus" in text
    assert "Thu 05 Mar 2026, 09:00 UTC" in text
    assert [a["type"] for a in card["actions"]] == ["Action.OpenUrl"] * 2
    assert {a["url"] for a in card["actions"]} == {"https://review/a/1", "https://review/a/2"}


def test_other_events_get_a_simple_card_without_actions():
    event = {**REQUESTED, "type": "cia.approved",
             "data": {"cia_id": "cia-1", "version": 2, "operation_reference": "LFR-2026-0042"}}
    card = _card(teams_message(event))
    assert "actions" not in card
    text = json.dumps(card["body"], ensure_ascii=False)
    assert "CIA approved" in text and "LFR-2026-0042" in text


def _job(fmt, recipient=None):
    return Job("d-1", "c-1", "ev-1", json.dumps(REQUESTED, sort_keys=True), "http://x", fmt,
               recipient, ("whsec_AAAA",))


def test_bodies_per_format_and_recipient():
    assert render_body(_job("cloudevent")) == json.dumps(REQUESTED, sort_keys=True)
    personal = json.loads(render_body(_job("cloudevent", "rev-2")))
    assert personal["data"]["action_links"] == {"rev-2": "https://review/a/2"}
    assert personal["id"] == "ev-1"
    card = _card(json.loads(render_body(_job("teams", "rev-1"))))
    assert [a["url"] for a in card["actions"]] == ["https://review/a/1"]


def test_reminders_and_reassignments_carry_the_action_links_too():
    reminder = {**REQUESTED, "type": "review.reminder",
                "data": {**REQUESTED["data"], "undecided_reviewers": ["rev-2"],
                         "action_links": {"rev-2": "https://review/a/2b"}}}
    card = _card(teams_message(reminder))
    text = json.dumps(card["body"], ensure_ascii=False)
    assert "Reminder: review due soon" in text and "Still to decide" in text
    assert [(a["title"], a["url"]) for a in card["actions"]] == [("Review", "https://review/a/2b")]
    moved = {**REQUESTED, "type": "review.reassigned",
             "data": {**REQUESTED["data"], "reason": "Robin is on leave",
                      "action_links": {"rev-3": "https://review/a/3"}}}
    card = _card(teams_message(moved))
    assert "Robin is on leave" in json.dumps(card["body"])
    assert [a["url"] for a in card["actions"]] == ["https://review/a/3"]
    overdue = {**REQUESTED, "type": "review.overdue",
               "data": {k: v for k, v in REQUESTED["data"].items() if k != "action_links"}}
    assert "Review overdue" in json.dumps(_card(teams_message(overdue))["body"])
