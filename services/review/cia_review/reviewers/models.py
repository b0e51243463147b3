"""The reviewer register's table."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from cia_common.db import UTCDateTime

from ..base import Base


class Reviewer(Base):
    """The reviewer register: who may be assigned a review, receive an action link or
    be named by an integration. Kept by admins; a token carrying the reviewer role
    registers its holder when they first act."""
    __tablename__ = "reviewers"

    sub: Mapped[str] = mapped_column(sa.String(200), primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(300))
    email: Mapped[str | None] = mapped_column(sa.String(320))
    active: Mapped[bool] = mapped_column(sa.Boolean, default=True)
    source: Mapped[str] = mapped_column(sa.String(16))  # admin | token | settings
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
