"""The event consumer: ``fan_out`` is the worker's handler for every event on the
authoring and review topics, and turns each into deliveries.
"""
from __future__ import annotations

import logging

import sqlalchemy as sa

from cia_common.db import UnitOfWork
from cia_common.events import CloudEvent, utcnow

from ..subscriptions.models import Subscription
from ..subscriptions.rules import wants
from .models import Delivery

log = logging.getLogger(__name__)


def fan_out(uow: UnitOfWork, event: CloudEvent) -> None:
    """One pending delivery per active subscription that wants ``event``.

    Runs inside the consumer's transaction, so the deliveries and the inbox row
    commit together; the unique (subscription, event) pair is a second guard
    against a double send.
    """
    session = uow.session
    subs = session.scalars(
        sa.select(Subscription).where(Subscription.active.is_(True),
                                      Subscription.deleted_at.is_(None))
    ).all()
    wanted = [s for s in subs if wants(s.event_types, s.recipient, event.type, event.data)]
    if not wanted:
        return
    existing = set(session.scalars(
        sa.select(Delivery.subscription_id).where(
            Delivery.event_id == event.id,
            Delivery.subscription_id.in_([s.id for s in wanted]))
    ).all())
    now = utcnow()
    payload = event.to_json()
    for sub in wanted:
        if sub.id in existing:
            continue
        session.add(Delivery(subscription_id=sub.id, event_id=event.id, event_type=event.type,
                             subject=event.subject or None, payload=payload, status="pending",
                             next_attempt_at=now, created_at=now))
    session.flush()
    log.info("event %s (%s): %d deliveries", event.id, event.type, len(wanted) - len(existing))
