"""The table of the operations feature: ``operations``, an LFR deployment and its
authorisation (one CIA each, ``cias/models.py``)."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from cia_common.db import UTCDateTime
from cia_common.events import new_id, utcnow

from cia_authoring.base import Base


class Operation(Base):
    __tablename__ = "operations"

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True, default=new_id)
    reference: Mapped[str] = mapped_column(sa.String(32), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    borough: Mapped[str] = mapped_column(sa.String(200), index=True)
    ward: Mapped[str] = mapped_column(sa.String(200))
    location_name: Mapped[str] = mapped_column(sa.String(200))
    latitude: Mapped[float | None] = mapped_column(sa.Float)
    longitude: Mapped[float | None] = mapped_column(sa.Float)
    # Null only on a historic record imported from a grid that did not record it (0006).
    use_case: Mapped[str | None] = mapped_column(sa.String(32))
    planned_start: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    planned_end: Mapped[datetime] = mapped_column(UTCDateTime)
    watchlist_size: Mapped[int | None] = mapped_column(sa.Integer)
    watchlist_categories: Mapped[list] = mapped_column(sa.JSON)
    match_threshold: Mapped[float | None] = mapped_column(sa.Float)
    camera_count: Mapped[int | None] = mapped_column(sa.Integer)
    status: Mapped[str] = mapped_column(sa.String(16), index=True)

    # The authorisation (null until recorded).
    authorising_officer_name: Mapped[str | None] = mapped_column(sa.String(200))
    authorising_officer_rank: Mapped[str | None] = mapped_column(sa.String(64))
    authorising_officer_collar_number: Mapped[str | None] = mapped_column(sa.String(20))
    authorised_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    authority_reference: Mapped[str | None] = mapped_column(sa.String(100))
    authorisation_recorded_by_sub: Mapped[str | None] = mapped_column(sa.String(200))
    authorisation_recorded_by_name: Mapped[str | None] = mapped_column(sa.String(200))

    created_by_sub: Mapped[str] = mapped_column(sa.String(200))
    created_by_name: Mapped[str] = mapped_column(sa.String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    # The CIA list's case-insensitive borough filter (0011).
    __table_args__ = (sa.Index("ix_operations_borough_lower", sa.func.lower(borough)),)

