"""The inbound decisions' table: webhook ids already accepted."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from cia_common.db import UTCDateTime

from ..base import Base


class InboundWebhook(Base):
    """Webhook ids already accepted from an integration, to refuse replays."""
    __tablename__ = "inbound_webhooks"

    integration: Mapped[str] = mapped_column(sa.String(100), primary_key=True)
    webhook_id: Mapped[str] = mapped_column(sa.String(255), primary_key=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    review_id: Mapped[str | None] = mapped_column(sa.String(36))
