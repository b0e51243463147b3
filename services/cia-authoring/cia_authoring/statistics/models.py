"""Tables of the statistics feature (migration 0002_foi), on the authoring ``Base``.

- ``imported_deployments``: historic records imported from a deployment grid,
  keyed by a hash of the deployment's identity (and of its site, date and time)
  so a re-import adds nothing.
"""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from cia_common.db import UTCDateTime

from cia_authoring.base import Base
from cia_common.events import utcnow

class ImportedDeployment(Base):
    __tablename__ = "imported_deployments"

    key: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    # The identity without the reference (0006): finds the same deployment again
    # in a file that gives references (an export) or not (the published grid).
    site_key: Mapped[str | None] = mapped_column(sa.String(64), index=True)
    operation_id: Mapped[str] = mapped_column(sa.ForeignKey("operations.id"), unique=True)
    cia_id: Mapped[str] = mapped_column(sa.ForeignKey("cias.id"), unique=True)
    source: Mapped[str] = mapped_column(sa.String(200))
    line: Mapped[int] = mapped_column(sa.Integer)
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    imported_by_sub: Mapped[str] = mapped_column(sa.String(200))
    imported_by_name: Mapped[str] = mapped_column(sa.String(200))
