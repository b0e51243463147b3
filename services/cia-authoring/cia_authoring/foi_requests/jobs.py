"""The worker's periodic job announcing FOI deadlines: ``foi.request.due_soon``
(from ``clock.DUE_SOON_WORKING_DAYS`` working days before ``due_on``) and
``foi.request.overdue`` (the day after ``due_on``) for cases not yet sent.

Restart-safe: a notice is recorded on the case (the ``due_on`` it was sent for)
in the transaction that writes its event to the outbox, so a crash before the
commit sends nothing and one after it never sends again. A deadline moved by an
extension or a clarification is announced afresh. Several workers may run: on
PostgreSQL each takes rows the others have not locked.
"""
from __future__ import annotations

import logging
import time
from datetime import date
from typing import Callable

import sqlalchemy as sa

from cia_common.db import Database

from cia_authoring import settings
from cia_authoring.foi_requests import clock, service
from cia_authoring.foi_requests.models import APPROVED, AWAITING_APPROVAL, OPEN, FoiRequest

log = logging.getLogger(__name__)

RUNNING = (OPEN, AWAITING_APPROVAL, APPROVED)  # awaiting clarification: the clock is stopped
BATCH = 20


def notice_for(req: FoiRequest, today: date) -> str | None:
    """The notice ``req`` is owed today, if any."""
    if req.state not in RUNNING:
        return None
    if today > req.due_on:
        return service.OVERDUE if req.overdue_notified_for != req.due_on else None
    if today >= clock.due_soon_on(req.due_on) and req.due_soon_notified_for != req.due_on:
        return service.DUE_SOON
    return None


def send_notices(db: Database, cfg: dict, today: date | None = None) -> int:
    """Emit the notices owed today, in batches; returns how many were sent."""
    today = today or service.today()
    horizon = clock.add_working_days(today, clock.DUE_SOON_WORKING_DAYS)
    sent = 0
    while True:
        with settings.unit_of_work(db, cfg) as uow:
            query = (sa.select(FoiRequest)
                     .where(FoiRequest.state.in_(RUNNING), FoiRequest.due_on <= horizon,
                            sa.or_(FoiRequest.overdue_notified_for.is_(None),
                                   FoiRequest.overdue_notified_for != FoiRequest.due_on))
                     .order_by(FoiRequest.due_on, FoiRequest.id))
            if db.dialect == "postgresql":
                query = query.with_for_update(skip_locked=True)
            owed = [(r, n) for r in uow.session.scalars(query)
                    if (n := notice_for(r, today)) is not None][:BATCH]
            for req, notice in owed:
                if notice == service.OVERDUE:
                    req.overdue_notified_for = req.due_on
                    extra = {"working_days_late": clock.working_days_between(req.due_on, today)}
                else:
                    req.due_soon_notified_for = req.due_on
                    extra = {"working_days_left": clock.working_days_between(today, req.due_on)}
                uow.emit(notice, req.id, service.event_data(req, **extra))
            uow.commit()
        sent += len(owed)
        for req, notice in owed:
            log.info("%s: %s (due %s)", notice, req.reference, req.due_on)
        if len(owed) < BATCH:
            return sent


class FoiRequestNotices:
    """Periodic: checks the deadlines every ``INTERVAL_S`` (a date changes once a day; the
    worker calls its jobs every second or so, and this one locks rows)."""
    INTERVAL_S = 15.0

    def __init__(self, today: Callable[[], date] | None = None) -> None:
        self.__name__ = "foi_request_notices"
        self.today = today
        self._next = 0.0

    def __call__(self, db: Database, cfg: dict) -> float:
        now = time.monotonic()
        if now >= self._next:
            send_notices(db, cfg, self.today() if self.today else None)
            self._next = now + self.INTERVAL_S
        return max(self._next - now, 0.0)
