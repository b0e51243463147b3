"""Microsoft Teams messages (an Adaptive Card in a message attachment) for
subscriptions with ``format: "teams"``, e.g. a Teams Workflows webhook."""
from __future__ import annotations

from datetime import datetime, timezone

CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"

_TITLES = {
    "review.requested": "Review requested",
    "review.reminder": "Reminder: review due soon",
    "review.reassigned": "Review reassigned",
    "review.overdue": "Review overdue",
    "review.completed": "Review completed",
    "cia.submitted": "CIA submitted for review",
    "cia.approved": "CIA approved",
    "cia.changes_requested": "Changes requested on a CIA",
    "cia.rejected": "CIA rejected",
    "cia.created": "CIA created",
    "cia.updated": "CIA updated",
    "cia.amended": "CIA amendment opened",
    "subscription.disabled": "Webhook subscription disabled",
    "foi.request.received": "FOI request received",
    "foi.request.due_soon": "FOI request due soon",
    "foi.request.overdue": "FOI request overdue",
    "foi.request.sent": "FOI response sent",
}


def _when(value) -> str:
    """An ISO time as people read it (UTC stated: readers may be in any zone)."""
    if not value:
        return "—"
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return str(value)
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc)
    return moment.strftime("%a %d %b %Y, %H:%M UTC")


def _operation(data: dict) -> str:
    ref, name = data.get("operation_reference"), data.get("operation_name")
    if ref and name:
        return f"{ref} — {name}"
    return ref or name or "—"


def _facts(pairs) -> dict:
    return {"type": "FactSet",
            "facts": [{"title": t, "value": str(v)} for t, v in pairs if v not in (None, "")]}


def _message(body: list, actions: list) -> dict:
    card = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": body,
    }
    if actions:
        card["actions"] = actions
    return {"type": "message",
            "attachments": [{"contentType": CARD_CONTENT_TYPE, "contentUrl": None, "content": card}]}


def _heading(text: str) -> dict:
    return {"type": "TextBlock", "size": "Large", "weight": "Bolder", "text": text, "wrap": True}


def _decision_or_review_button(data: dict, reviewer_sub: str | None) -> list:
    """The bound reviewer's own action link; for anyone else (a channel) only a link
    to the review, since whoever can press a decision button decides as its reviewer."""
    link = (data.get("action_links") or {}).get(reviewer_sub) if reviewer_sub else None
    if link:
        return [{"type": "Action.OpenUrl", "title": "Review", "url": link}]
    review = (data.get("links") or {}).get("review_api")
    return [{"type": "Action.OpenUrl", "title": "Open the review", "url": review}] if review else []


def review_requested_card(event: dict, reviewer_sub: str | None = None) -> dict:
    """A review waiting for decisions (requested, reminded or reassigned): the
    summary, and a decision button only for the reviewer the subscription is bound to."""
    data = event.get("data") or {}
    etype = event.get("type") or "review.requested"
    body = [
        _heading(_TITLES.get(etype, _TITLES["review.requested"])),
        {"type": "TextBlock", "text": data.get("title") or "Community Impact Assessment",
         "wrap": True, "weight": "Bolder"},
        _facts([
            ("Operation", _operation(data)),
            ("Version", data.get("version")),
            ("Round", data.get("round")),
            ("Due", _when(data.get("due_at"))),
            ("Reviewers", ", ".join(data.get("reviewers") or [])),
            ("Still to decide", ", ".join(data.get("undecided_reviewers") or [])),
            ("Reason", data.get("reason")),
        ]),
    ]
    return _message(body, _decision_or_review_button(data, reviewer_sub))


def simple_card(event: dict) -> dict:
    data = event.get("data") or {}
    etype = event.get("type", "")
    body = [
        _heading(_TITLES.get(etype, etype)),
        _facts([
            ("Event", etype),
            ("Operation", _operation(data) if (data.get("operation_reference")
                                               or data.get("operation_name")) else None),
            ("CIA", data.get("cia_id")),
            ("FOI request", data.get("reference") if etype.startswith("foi.") else None),
            ("Due on", data.get("due_on")),
            ("Version", data.get("version")),
            ("Outcome", data.get("outcome")),
            ("Decided by", (data.get("decided_by") or {}).get("name")),
            ("Comment", data.get("comment")),
            ("Reason", data.get("reason")),
            ("Time", _when(event.get("time"))),
        ]),
    ]
    return _message(body, [])


# Events asking reviewers to act; a bound subscription's card carries its reviewer's link.
ACTIONABLE = ("review.requested", "review.reminder", "review.reassigned")


def teams_message(event: dict, reviewer_sub: str | None = None) -> dict:
    if event.get("type") in ACTIONABLE:
        return review_requested_card(event, reviewer_sub)
    return simple_card(event)
