"""Pure rules of a subscription: which events it wants (event-type and recipient
filters), the body formats it may ask for, and how its signing secret looks.

No Flask, no SQLAlchemy, no network: everything here is a plain function.
"""
from __future__ import annotations

import base64
import re
import secrets

# ---------------------------------------------------------------- event-type filters

_SEGMENT = r"[a-z][a-z0-9_]*"
EVENT_TYPE_RE = re.compile(rf"^{_SEGMENT}(\.{_SEGMENT})+$")          # review.requested
PREFIX_FILTER_RE = re.compile(rf"^{_SEGMENT}(\.{_SEGMENT})*\.\*$")    # review.*
ALL_EVENTS = "*"

FORMATS = ("cloudevent", "teams")

# Where an event's data names the people it concerns (for the recipient filter);
# a reviewer taken off a review is told too, since their link stops working.
_RECIPIENT_LISTS = ("reviewers", "requested_reviewers", "previous_reviewers")
_RECIPIENT_PEOPLE = ("decided_by", "author")


def is_valid_filter(pattern: str) -> bool:
    return pattern == ALL_EVENTS or bool(EVENT_TYPE_RE.match(pattern)
                                         or PREFIX_FILTER_RE.match(pattern))


def type_matches(patterns, event_type: str) -> bool:
    """Exact types, ``prefix.*`` wildcards, or ``*`` for everything."""
    for pattern in patterns:
        if pattern == ALL_EVENTS or pattern == event_type:
            return True
        if pattern.endswith(".*") and event_type.startswith(pattern[:-1]):
            return True
    return False


def names_recipient(data: dict, sub: str) -> bool:
    """Does the event concern ``sub`` (as reviewer, requested or former reviewer, decider or
    author)?"""
    data = data or {}
    for key in _RECIPIENT_LISTS:
        value = data.get(key)
        if isinstance(value, list) and sub in value:
            return True
    for key in _RECIPIENT_PEOPLE:
        person = data.get(key)
        if isinstance(person, dict) and person.get("sub") == sub:
            return True
    return False


def wants(event_types, recipient: str | None, event_type: str, data: dict) -> bool:
    """Whether a subscription with these filters receives this event."""
    if not type_matches(event_types, event_type):
        return False
    return recipient is None or names_recipient(data, recipient)


# ---------------------------------------------------------------- secrets

SECRET_PREFIX = "whsec_"


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()
