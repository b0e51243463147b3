"""Pure rules of webhook delivery: which subscription wants which event, the
retry schedule, what a receiver's answer means, and how a delivery is signed.

No Flask, no SQLAlchemy, no network: everything here is a plain function.
"""
from __future__ import annotations

import base64
import ipaddress
import math
import random
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from enum import Enum

from standardwebhooks import Webhook

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


# ---------------------------------------------------------------- retries

def parse_schedule(value) -> tuple[float, ...]:
    """``"5,300,1800"`` (or a list of numbers) → delays in seconds."""
    if isinstance(value, str):
        items = [v for v in (p.strip() for p in value.split(",")) if v]
    else:
        items = list(value)
    delays = tuple(float(v) for v in items)
    if any(d < 0 or math.isnan(d) for d in delays):
        raise ValueError(f"retry delays must be non-negative: {value!r}")
    return delays


JITTER = 0.10
MAX_RETRY_AFTER_SECONDS = 86400.0  # a receiver cannot park a delivery for longer than a day


def retry_delay(failed_attempts: int, schedule, rng: random.Random | None = None) -> float | None:
    """Seconds to wait after the ``failed_attempts``-th consecutive failure of a
    delivery, ±10 % jitter so that receivers coming back are not stampeded;
    ``None`` once the schedule is exhausted."""
    if failed_attempts < 1 or failed_attempts > len(schedule):
        return None
    base = schedule[failed_attempts - 1]
    factor = 1.0 + (rng or random).uniform(-JITTER, JITTER)
    return base * factor


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """A ``Retry-After`` header (delay-seconds or HTTP-date) as seconds from ``now``."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        seconds = float(value)
    else:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when is None:
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=timezone.utc)
        seconds = (when - now).total_seconds()
    return min(max(seconds, 0.0), MAX_RETRY_AFTER_SECONDS)


class Outcome(str, Enum):
    SUCCEEDED = "succeeded"   # 2xx
    RETRY = "retry"           # anything else, including timeouts and refused connections
    GONE = "gone"             # 410: the receiver says the endpoint no longer exists


def classify(status_code: int | None) -> Outcome:
    if status_code is not None and 200 <= status_code < 300:
        return Outcome.SUCCEEDED
    if status_code == 410:
        return Outcome.GONE
    return Outcome.RETRY


@dataclass(frozen=True)
class Verdict:
    """What to do with a delivery after one attempt."""
    status: str                    # pending | succeeded | failed
    retry_in: float | None         # seconds until the next attempt, when pending
    disable_subscription: str | None  # reason, when the subscription must be disabled
    reset_failures: bool


def judge_attempt(*, status_code: int | None, retry_after: float | None, round_failures: int,
                  consecutive_failures: int, schedule, max_consecutive_failures: int,
                  rng: random.Random | None = None) -> Verdict:
    """Decide after an attempt.

    ``round_failures`` counts this delivery's failed attempts including this one;
    ``consecutive_failures`` the subscription's, including this one.
    """
    outcome = classify(status_code)
    if outcome is Outcome.SUCCEEDED:
        return Verdict("succeeded", None, None, True)
    if outcome is Outcome.GONE:
        return Verdict("failed", None, "the receiver answered 410 Gone", False)
    disable = None
    if consecutive_failures >= max_consecutive_failures:
        disable = f"{consecutive_failures} consecutive failed deliveries"
    delay = retry_delay(round_failures, schedule, rng)
    if delay is None:
        return Verdict("failed", None, disable, False)
    if retry_after is not None:
        delay = max(delay, retry_after)
    return Verdict("pending", delay, disable, False)


# ---------------------------------------------------------------- secrets and signatures

SECRET_PREFIX = "whsec_"


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def signature_header(msg_id: str, at: datetime, body: str, secrets_: list[str]) -> str:
    """``v1,<sig>`` per secret, space separated (two during a secret rotation)."""
    return " ".join(Webhook(s).sign(msg_id, at, body) for s in secrets_)


def webhook_headers(msg_id: str, at: datetime, body: str, secrets_: list[str]) -> dict[str, str]:
    """The Standard Webhooks headers; ``at`` must be timezone-aware."""
    if at.tzinfo is None:
        raise ValueError("the signing time must be timezone-aware")
    at = at.astimezone(timezone.utc)
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(math.floor(at.timestamp())),
        "webhook-signature": signature_header(msg_id, at, body, secrets_),
    }


# ---------------------------------------------------------------- destinations

def parse_allow_list(entries) -> tuple[set[str], list]:
    """Split allow-list entries into host names and networks."""
    hosts: set[str] = set()
    networks = []
    for entry in entries:
        entry = entry.strip().lower()
        if not entry:
            continue
        try:
            networks.append(ipaddress.ip_network(entry.strip("[]"), strict=False))
        except ValueError:
            hosts.add(entry.rstrip("."))
    return hosts, networks


_NAT64 = ipaddress.ip_network("64:ff9b::/96")           # RFC 6052 well-known prefix
_NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")    # RFC 8215, local use
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")         # deprecated ::a.b.c.d


def embedded_ipv4(ip: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """IPv4 addresses an IPv6 address reaches through a translation or tunnel:
    IPv4-mapped, IPv4-compatible, NAT64, 6to4 and Teredo (server and client)."""
    out = []
    if ip.ipv4_mapped is not None:
        out.append(ip.ipv4_mapped)
    if ip in _IPV4_COMPATIBLE or ip in _NAT64:
        out.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    if ip.sixtofour is not None:
        out.append(ip.sixtofour)
    if ip.teredo is not None:
        out.extend(ip.teredo)
    return out


def is_public(address) -> bool:
    """False for private, loopback, link-local, multicast, reserved, unspecified...,
    and for an IPv6 form that leads to such an IPv4 address."""
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address):
        if ip in _NAT64_LOCAL:
            return False
        embedded = embedded_ipv4(ip)
        if embedded:
            # ::/96 also holds :: and ::1, which are not IPv4-compatible forms.
            if ip in _IPV4_COMPATIBLE and int(ip) <= 1:
                return False
            return all(is_public(v4) for v4 in embedded)
    return ip.is_global and not ip.is_multicast


def refused_addresses(host: str, addresses, allowed_entries) -> list[str]:
    """The resolved addresses of ``host`` that it may not be delivered to.

    A host named on the allow-list is admitted whatever it resolves to; otherwise
    every address must be public or inside an allowed network (one bad address is
    enough to refuse: the resolver may hand out either).
    """
    hosts, networks = parse_allow_list(allowed_entries)
    if host.lower().rstrip(".").strip("[]") in hosts:
        return []
    refused = []
    for address in addresses:
        ip = ipaddress.ip_address(address)
        if any(ip.version == n.version and ip in n for n in networks):
            continue
        if not is_public(ip):
            refused.append(str(ip))
    return refused
