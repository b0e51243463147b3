"""The declarative base of the authoring tables.

Each feature maps its own tables on it (``operations/models.py``,
``cias/models.py``, ``documents/models.py``, ``disclosure/models.py``, ...). The
tables are created by the Alembic migrations, which do not read this metadata.
"""
from __future__ import annotations

from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    pass
