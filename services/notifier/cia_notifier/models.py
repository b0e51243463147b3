"""Persistence of subscriptions, deliveries and their attempts (SQLAlchemy ORM).

The schema itself is owned by the Alembic migrations; these classes map it.
"""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from cia_common.db import UTCDateTime
from cia_common.events import new_id, utcnow  # noqa: F401  (re-exported to the service's modules)


class Base(DeclarativeBase):
    pass


class Subscription(Base):
    __tablename__ = "subscriptions"

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True, default=new_id)
    url: Mapped[str] = mapped_column(sa.String(2048))
    description: Mapped[str | None] = mapped_column(sa.Text)
    event_types: Mapped[list] = mapped_column(sa.JSON)
    recipient: Mapped[str | None] = mapped_column(sa.String(255))
    # The one reviewer whose action links this subscription carries; none for a channel.
    reviewer_sub: Mapped[str | None] = mapped_column(sa.String(255))
    format: Mapped[str] = mapped_column(sa.String(32), default="cloudevent")
    secret: Mapped[str] = mapped_column(sa.String(128))
    previous_secret: Mapped[str | None] = mapped_column(sa.String(128))
    previous_secret_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    active: Mapped[bool] = mapped_column(sa.Boolean, default=True)
    disabled_reason: Mapped[str | None] = mapped_column(sa.Text)
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    consecutive_failures: Mapped[int] = mapped_column(sa.Integer, default=0)
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_failure_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by: Mapped[str | None] = mapped_column(sa.String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def signing_secrets(self, now: datetime) -> list[str]:
        """The current secret, plus the previous one while its rotation window lasts."""
        out = [self.secret]
        if self.previous_secret and self.previous_secret_expires_at \
                and self.previous_secret_expires_at > now:
            out.append(self.previous_secret)
        return out


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
