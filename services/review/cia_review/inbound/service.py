"""Decisions sent by reviewers' own tooling as Standard-Webhooks-signed requests."""
from __future__ import annotations

import time
from datetime import datetime

from sqlalchemy.orm import Session
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from cia_common.db import UnitOfWork

from ..reviews.models import Review
from ..reviews.policy import DecisionConflict
from ..reviews.service import Actor, record_decision
from ..settings import ReviewSettings
from .models import InboundWebhook


class SignatureRejected(Exception):
    """401: the request is not signed by a known integration, or not recently."""


def verify(secrets: dict[str, str], body: bytes, headers, *, tolerance_seconds: int = 300,
           now: float | None = None) -> str:
    """The name of the integration whose secret signed this request."""
    now = time.time() if now is None else now
    msg_id = headers.get("webhook-id")
    stamp = headers.get("webhook-timestamp")
    signature = headers.get("webhook-signature")
    if not (msg_id and stamp and signature):
        raise SignatureRejected("The webhook-id, webhook-timestamp and webhook-signature headers "
                                "are required.")
    try:
        sent = int(stamp)
    except ValueError:
        raise SignatureRejected("webhook-timestamp must be Unix seconds.") from None
    # Checked here (not only by the library) so the client is told what is wrong.
    if abs(now - sent) > tolerance_seconds:
        raise SignatureRejected("The webhook timestamp is outside the accepted window; "
                                "sign the request afresh.")
    plain = {"webhook-id": msg_id, "webhook-timestamp": stamp, "webhook-signature": signature}
    for integration, secret in secrets.items():
        try:
            Webhook(secret).verify(body, plain, json_parse=False)
            return integration
        except (WebhookVerificationError, ValueError, UnicodeDecodeError):
            # A malformed signature entry raises ValueError, not the library's own error.
            continue
    raise SignatureRejected("No valid signature from a known integration.")


def already_received(session: Session, integration: str, webhook_id: str) -> bool:
    return session.get(InboundWebhook, (integration, webhook_id)) is not None


def decide_by_webhook(uow: UnitOfWork, integration: str, webhook_id: str, body: dict, *,
                      settings: ReviewSettings, now: datetime) -> Review:
    """Record the decision and remember the webhook id in one transaction."""
    if already_received(uow.session, integration, webhook_id):
        raise DecisionConflict(f"Webhook {webhook_id} was already received; replays are refused.")
    reviewer = body["reviewer"]
    review = record_decision(
        uow, body["review_id"], Actor(sub=reviewer["sub"], name=reviewer.get("name") or reviewer["sub"]),
        body["decision"], body.get("comment"), body.get("section_comments"),
        channel=f"inbound:{integration}", settings=settings, now=now)
    remember(uow.session, integration, webhook_id, now, review_id=review.id)
    return review


def remember(session: Session, integration: str, webhook_id: str, now: datetime,
             review_id: str | None = None) -> None:
    session.add(InboundWebhook(integration=integration, webhook_id=webhook_id,
                               received_at=now, review_id=review_id))
