"""How a delivery is signed: the Standard Webhooks headers.

No Flask, no SQLAlchemy, no network: everything here is a plain function.
"""
from __future__ import annotations

import math
from datetime import datetime, timezone

from standardwebhooks import Webhook


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
