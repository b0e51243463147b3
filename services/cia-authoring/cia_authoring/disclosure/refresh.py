"""The worker's periodic job that keeps disclosure copies current.

Censor-rule changes reach copies through events (``handlers``); a new version
of the redaction pass (``cia_redaction.rules.PASS_VERSION``), a copy rendered
before copies recorded their fingerprint, or an event lost to a crash reach
them here: each call re-renders one stale copy, in its own transaction, the
way a rule change would (a released copy that changes becomes needs_review).
"""
from __future__ import annotations

import logging

from cia_common.db import Database

from cia_authoring import settings
from cia_authoring.disclosure import copies

log = logging.getLogger(__name__)


class RefreshStaleCopies:
    IDLE_S = 30.0

    def __init__(self) -> None:
        self.__name__ = "refresh_stale_disclosure_copies"

    def __call__(self, db: Database, cfg: dict) -> float:
        with db.sessions() as session:
            stale = copies.stale_copies(session, limit=2)
        if not stale:
            return self.IDLE_S
        cia_id, number = stale[0]
        with settings.unit_of_work(db, cfg) as uow:
            outcome = copies.ensure_current(uow, cia_id, number, cfg,
                                            reason="the redaction pass or its rules changed")
            uow.commit()
        log.info("disclosure copy %s v%s refreshed: %s", cia_id, number, outcome.status)
        return 0.05 if len(stale) > 1 else self.IDLE_S
