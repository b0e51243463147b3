"""The declarative ``Base`` every notifier table maps onto, so that subscriptions
and deliveries share one metadata (``deliveries.subscription_id`` references
``subscriptions.id``).

The schema itself is owned by the Alembic migrations; the feature packages'
``models`` modules map it.
"""
from __future__ import annotations

from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    pass
