"""The declarative base of the review tables.

Each feature maps its own tables on it (``reviews/models.py``, ``actions/models.py``,
``inbound/models.py``, ``reviewers/models.py``). The tables are created by the Alembic
migrations, which do not read this metadata.
"""
from __future__ import annotations

from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    pass
