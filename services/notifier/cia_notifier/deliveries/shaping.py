"""What of an event a subscription may carry: other people's one-time action
links are left out.

No Flask, no SQLAlchemy, no network: everything here is a plain function.
"""
from __future__ import annotations


def shape_for_recipient(event: dict, recipient: str | None) -> dict:
    """A personal subscription must not carry other people's one-time action links."""
    data = event.get("data")
    if not recipient or not isinstance(data, dict) or not isinstance(data.get("action_links"), dict):
        return event
    links = {k: v for k, v in data["action_links"].items() if k == recipient}
    return {**event, "data": {**data, "action_links": links}}


def shape_for_subscription(event: dict, reviewer_sub: str | None) -> dict:
    """A one-time action link is the power to decide as its reviewer: only a
    subscription bound to that reviewer carries it. Any other subscription (a
    channel, a team's endpoint) carries none, only the summary and the review's links."""
    data = event.get("data")
    if reviewer_sub:
        return shape_for_recipient(event, reviewer_sub)
    if not isinstance(data, dict) or not data.get("action_links"):
        return event
    return {**event, "data": {**data, "action_links": {}}}
