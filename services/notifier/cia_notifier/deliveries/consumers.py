"""The event consumer: ``fan_out`` is the worker's handler for every event on the
authoring and review topics, and turns each into deliveries.
"""
from __future__ import annotations

import logging
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from cia_common.db import UnitOfWork
from cia_common.events import CloudEvent, new_id, utcnow

from ..subscriptions.models import Subscription
from ..subscriptions.rules import wants
from .handoff import Job, Sender
from .models import Delivery

log = logging.getLogger(__name__)


def fan_out(uow: UnitOfWork, event: CloudEvent, *, sender: Sender | None = None) -> None:
    """One pending delivery per active subscription that wants ``event``.

    Runs inside the consumer's transaction, so the deliveries and the inbox row
    commit together; the unique (subscription, event) pair is a second guard
    against a double send (a row already there is left as it is).

    With a ``sender`` (the worker's), as many deliveries as it has free slots are
    written already claimed (a claim token and a lease, as ``claim_due`` sets them)
    and handed to it the moment the transaction commits: no poll, no claiming
    transaction between the event and its webhook. If the process dies first, the
    lease runs out and the delivery loop claims them as any other due delivery.
    """
    session = uow.session
    subs = session.scalars(
        sa.select(Subscription).where(Subscription.active.is_(True),
                                      Subscription.deleted_at.is_(None))
    ).all()
    wanted = [s for s in subs if wants(s.event_types, s.recipient, event.type, event.data)]
    if not wanted:
        return
    now = utcnow()
    payload = event.to_json()
    settings = sender.settings if sender is not None else None
    slots = sender.free_slots() if sender is not None else 0
    lease_until = now + timedelta(seconds=settings.lease_seconds) if settings else None
    rows, jobs = [], {}
    for i, sub in enumerate(wanted):
        row = {"id": new_id(), "subscription_id": sub.id, "event_id": event.id,
               "event_type": event.type, "subject": event.subject or None, "payload": payload,
               "status": "pending", "attempt_count": 0, "round_failures": 0,
               "next_attempt_at": now, "claim_token": None, "created_at": now}
        if i < slots:
            row.update(claim_token=new_id(), next_attempt_at=lease_until)
            jobs[row["id"]] = Job(delivery_id=row["id"], claim_token=row["claim_token"],
                                  event_id=event.id, payload=payload, url=sub.url,
                                  format=sub.format, reviewer_sub=sub.reviewer_sub,
                                  secrets=tuple(sub.signing_secrets(now)))
        rows.append(row)
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" \
        else sqlite.insert
    written = set(session.scalars(
        insert(Delivery).values(rows)
        .on_conflict_do_nothing(index_elements=["subscription_id", "event_id"])
        .returning(Delivery.id)).all())
    handed = [job for delivery_id, job in jobs.items() if delivery_id in written]
    if handed:
        uow.after_commit(lambda: sender.start(uow.db, handed))
    log.info("event %s (%s): %d deliveries", event.id, event.type, len(written))
