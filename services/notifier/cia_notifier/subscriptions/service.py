"""Service layer of subscriptions: plain functions over a session or unit of work.

They back the subscription endpoints; ``disable_subscription`` is also called by
the delivery loop when a receiver fails too often or answers 410 Gone.
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from cia_common.db import UnitOfWork
from cia_common.errors import InvalidContent, NotFound
from cia_common.events import utcnow

from ..deliveries.consumers import fan_out
from ..deliveries.models import Delivery
from ..settings import Settings
from . import rules
from .destinations import DestinationRefused, check_url
from .models import Subscription

log = logging.getLogger(__name__)

DISABLED_EVENT = "subscription.disabled"


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
    secret = rules.new_secret()
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
        new_secret = rules.new_secret()
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
