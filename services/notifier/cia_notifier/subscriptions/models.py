"""Persistence of webhook subscriptions (SQLAlchemy ORM).

The schema itself is owned by the Alembic migrations; these classes map it.
"""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from cia_common.db import UTCDateTime
from cia_common.events import new_id, utcnow

from ..base import Base


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
