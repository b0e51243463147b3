"""Deliveries handed from the consumer to the sending pool at its commit.

Kept apart from the delivery loop (which imports the subscriptions' service, which
fans out through the consumer) so that the consumer can name what it hands over.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Protocol

from cia_common.db import Database

from ..settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    """Everything needed to send one attempt, copied out of the claiming transaction."""
    delivery_id: str
    claim_token: str
    event_id: str
    payload: str
    url: str
    format: str
    reviewer_sub: str | None  # the reviewer whose action links this subscription may carry
    secrets: tuple[str, ...]


class Pool(Protocol):
    """What the sender hands jobs to (``loop.DeliveryLoop``)."""

    def free_slots(self, settings: Settings) -> int: ...

    def start(self, db: Database, cfg: dict, settings: Settings, jobs: list[Job]) -> None: ...


class Sender:
    """The consumer's way to the sending pool (``fan_out``'s ``sender``): deliveries it
    wrote already claimed start the moment its transaction commits."""

    def __init__(self, pool: Pool, cfg: dict):
        self.pool = pool
        self.cfg = cfg
        self.settings = Settings.from_config(cfg)

    def free_slots(self) -> int:
        return self.pool.free_slots(self.settings)

    def start(self, db: Database, jobs: list[Job]) -> None:
        try:
            self.pool.start(db, self.cfg, self.settings, jobs)
        except Exception:  # noqa: BLE001 - e.g. stopping: the lease makes them due again
            log.exception("could not hand %d deliveries to the sender", len(jobs))
