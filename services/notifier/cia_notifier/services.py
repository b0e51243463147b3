"""Service layer: plain functions over a session or unit of work.

``fan_out`` is the consumer's handler for every event on the authoring and
review topics; the rest back the subscription and delivery endpoints.
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from cia_common.db import UnitOfWork
from cia_common.errors import Conflict, InvalidContent, NotFound
from cia_common.events import CloudEvent

from . import domain
from .destinations import DestinationRefused, check_url
from .models import Delivery, Subscription, utcnow
from .settings import Settings

log = logging.getLogger(__name__)

DISABLED_EVENT = "subscription.disabled"


# ---------------------------------------------------------------- fan-out (event handler)

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
    wanted = [s for s in subs if domain.wants(s.event_types, s.recipient, event.type, event.data)]
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


def disable_subscription(uow: UnitOfWork, sub: Subscription, reason: str) -> None:
    """Disable ``sub`` and announce it (to Kafka, and to whoever subscribed to the announcement)."""
    if not sub.active:
        return
    now = utcnow()
    sub.active = False
    sub.disabled_reason = reason
    sub.disabled_at = now
    sub.updated_at = now
    uow.session.flush()
    event = uow.emit(DISABLED_EVENT, sub.id, {"subscription_id": sub.id, "reason": reason},
                     key=sub.id)
    fan_out(uow, event)
    log.warning("subscription %s disabled: %s", sub.id, reason)


# ---------------------------------------------------------------- subscriptions

def _check_destination(url: str, settings: Settings) -> None:
    try:
        check_url(url, settings.allowed_hosts)
    except DestinationRefused as exc:
        raise InvalidContent([{"pointer": "/url", "detail": str(exc)}],
                             detail="The webhook URL is not an allowed destination.") from None


def get_subscription(session: Session, sub_id: str) -> Subscription:
    sub = session.get(Subscription, sub_id)
    if sub is None or sub.deleted_at is not None:
        raise NotFound(f"Subscription {sub_id}")
    return sub


def create_subscription(session: Session, settings: Settings, *, url: str, event_types: list[str],
                        description: str | None = None, recipient: str | None = None,
                        reviewer_sub: str | None = None, format: str = "cloudevent",
                        created_by: str | None = None
                        ) -> tuple[Subscription, str]:
    """Returns the subscription and its secret (shown to the caller this once)."""
    _check_destination(url, settings)
    now = utcnow()
    secret = domain.new_secret()
    sub = Subscription(url=url, event_types=list(dict.fromkeys(event_types)),
                       description=description, recipient=recipient or None,
                       reviewer_sub=reviewer_sub or None, format=format,
                       secret=secret, active=True, consecutive_failures=0,
                       created_by=created_by, created_at=now, updated_at=now)
    session.add(sub)
    session.flush()
    return sub, secret


def update_subscription(uow: UnitOfWork, settings: Settings, sub_id: str, changes: dict,
                        *, now: datetime | None = None) -> tuple[Subscription, str | None]:
    """Apply a PATCH; returns the subscription and the new secret if it was rotated."""
    now = now or utcnow()
    session = uow.session
    sub = session.execute(
        sa.select(Subscription).where(Subscription.id == sub_id).with_for_update()
    ).scalar_one_or_none()
    if sub is None or sub.deleted_at is not None:
        raise NotFound(f"Subscription {sub_id}")
    if "url" in changes and changes["url"] != sub.url:
        _check_destination(changes["url"], settings)
        sub.url = changes["url"]
    if "event_types" in changes:
        sub.event_types = list(dict.fromkeys(changes["event_types"]))
    for field in ("description", "recipient", "reviewer_sub", "format"):
        if field in changes:
            setattr(sub, field, changes[field] if changes[field] != "" else None)
    if "active" in changes and changes["active"] != sub.active:
        if changes["active"]:
            # Re-enabling starts the failure count afresh; paused deliveries resume.
            sub.active = True
            sub.consecutive_failures = 0
            sub.disabled_reason = None
            sub.disabled_at = None
        else:
            disable_subscription(uow, sub, "disabled by an administrator")
    new_secret = None
    if changes.get("rotate_secret"):
        new_secret = domain.new_secret()
        sub.previous_secret = sub.secret
        sub.previous_secret_expires_at = now + timedelta(hours=settings.secret_rotation_hours)
        sub.secret = new_secret
    sub.updated_at = now
    session.flush()
    return sub, new_secret


def delete_subscription(session: Session, sub_id: str) -> None:
    """Soft delete: the delivery log stays for audit; pending deliveries are cancelled."""
    sub = get_subscription(session, sub_id)
    now = utcnow()
    sub.deleted_at = now
    sub.active = False
    sub.updated_at = now
    session.execute(
        sa.update(Delivery)
        .where(Delivery.subscription_id == sub_id, Delivery.status == "pending")
        .values(status="cancelled", next_attempt_at=None, claim_token=None,
                last_error="subscription deleted")
    )
    session.flush()


def list_subscriptions(session: Session, *, offset: int, limit: int,
                       active: bool | None = None) -> tuple[list[Subscription], int]:
    where = [Subscription.deleted_at.is_(None)]
    if active is not None:
        where.append(Subscription.active.is_(active))
    total = session.scalar(sa.select(sa.func.count()).select_from(Subscription).where(*where))
    items = session.scalars(
        sa.select(Subscription).where(*where)
        .order_by(Subscription.created_at, Subscription.id).offset(offset).limit(limit)
    ).all()
    return list(items), total


# ---------------------------------------------------------------- deliveries

def list_deliveries(session: Session, sub_id: str, *, offset: int, limit: int,
                    status: str | None = None) -> tuple[list[Delivery], int]:
    get_subscription(session, sub_id)
    where = [Delivery.subscription_id == sub_id]
    if status:
        where.append(Delivery.status == status)
    total = session.scalar(sa.select(sa.func.count()).select_from(Delivery).where(*where))
    items = session.scalars(
        sa.select(Delivery).where(*where).options(selectinload(Delivery.attempts))
        .order_by(Delivery.created_at.desc(), Delivery.id).offset(offset).limit(limit)
    ).all()
    return list(items), total


def redeliver(session: Session, delivery_id: str) -> Delivery:
    """Schedule a delivery again now, with a fresh retry schedule and the same webhook id."""
    delivery = session.execute(
        sa.select(Delivery).where(Delivery.id == delivery_id).with_for_update()
    ).scalar_one_or_none()
    if delivery is None:
        raise NotFound(f"Delivery {delivery_id}")
    sub = session.get(Subscription, delivery.subscription_id)
    if sub is None or sub.deleted_at is not None:
        raise Conflict("The delivery's subscription has been deleted.")
    if not sub.active:
        raise Conflict("The delivery's subscription is disabled; re-enable it first.",
                       subscription_id=sub.id)
    delivery.status = "pending"
    delivery.round_failures = 0
    delivery.next_attempt_at = utcnow()
    # An attempt still in flight no longer decides this delivery's fate.
    delivery.claim_token = None
    session.flush()
    return delivery
