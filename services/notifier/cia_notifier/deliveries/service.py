"""Service layer of the delivery log: plain functions over a session, backing the
delivery endpoints (a subscription's log, redelivery).
"""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from cia_common.errors import Conflict, NotFound
from cia_common.events import utcnow

from ..subscriptions.models import Subscription
from ..subscriptions.service import get_subscription
from .models import Delivery


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
