"""Persistence of deliveries and their attempts, the delivery log (SQLAlchemy ORM).

The schema itself is owned by the Alembic migrations; these classes map it.
"""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cia_common.db import UTCDateTime
from cia_common.events import new_id, utcnow

from ..base import Base
# The foreign key below names the subscriptions table: map it on the same metadata.
from ..subscriptions import models as _subscriptions  # noqa: F401


class Delivery(Base):
    __tablename__ = "deliveries"
    __table_args__ = (sa.UniqueConstraint("subscription_id", "event_id",
                                          name="uq_deliveries_subscription_event"),)

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True, default=new_id)
    subscription_id: Mapped[str] = mapped_column(sa.ForeignKey("subscriptions.id"))
    event_id: Mapped[str] = mapped_column(sa.String(200))
    event_type: Mapped[str] = mapped_column(sa.String(128))
    subject: Mapped[str | None] = mapped_column(sa.String(255))
    payload: Mapped[str] = mapped_column(sa.Text)  # the CloudEvent as JSON
    status: Mapped[str] = mapped_column(sa.String(16), default="pending")
    attempt_count: Mapped[int] = mapped_column(sa.Integer, default=0)
    # Failed attempts since the delivery was (re)scheduled: the position in the retry schedule.
    round_failures: Mapped[int] = mapped_column(sa.Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claim_token: Mapped[str | None] = mapped_column(sa.String(36))
    last_status_code: Mapped[int | None] = mapped_column(sa.Integer)
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    attempts: Mapped[list["DeliveryAttempt"]] = relationship(
        back_populates="delivery", order_by="DeliveryAttempt.attempt_no")


class DeliveryAttempt(Base):
    __tablename__ = "delivery_attempts"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    delivery_id: Mapped[str] = mapped_column(sa.ForeignKey("deliveries.id"))
    attempt_no: Mapped[int] = mapped_column(sa.Integer)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    status_code: Mapped[int | None] = mapped_column(sa.Integer)
    latency_ms: Mapped[int | None] = mapped_column(sa.Integer)
    error: Mapped[str | None] = mapped_column(sa.Text)

    delivery: Mapped[Delivery] = relationship(back_populates="attempts")
