"""Tables of the disclosure feature (migration 0003_name_register).

- ``name_register``: every person's name a disclosure copy of this force has
  withheld, so that it is withheld in every other copy too (unless the rank
  rule releases it there). Keyed by the name's folded form.
"""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from cia_common.db import UTCDateTime

from ..models import Base, utcnow


class RegisteredName(Base):
    __tablename__ = "name_register"

    key: Mapped[str] = mapped_column(sa.String(300), primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(300))
    first_cia_id: Mapped[str] = mapped_column(sa.String(36))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # When the copies that may name this person were asked to render again;
    # None: not yet (the worker's handlers do it after the render that added it).
    propagated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
