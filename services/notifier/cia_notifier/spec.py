"""What the notifier's worker runs (every event fans out into deliveries; the
delivery loop) and where its migrations are: read by the worker, the app and the
metrics, so none imports another."""
from __future__ import annotations

import functools
from pathlib import Path

from cia_common.metrics import WEBHOOK_DELIVERIES, WEBHOOK_OUTCOMES
from cia_common.worker import WorkerSpec

from .deliveries.consumers import fan_out
from .deliveries.loop import DeliveryLoop

MIGRATIONS = str(Path(__file__).resolve().parent / "migrations")
SUBSCRIBED_TOPICS = ["cia.authoring.events", "cia.review.events"]


def build_spec(cfg: dict | None = None) -> WorkerSpec:
    """A fresh spec (each with its own sending pool): every event type fans out. Given
    the worker's ``cfg``, the deliveries an event makes go to the pool at the
    consumer's commit; without, they wait for the delivery loop's next claim."""
    loop = DeliveryLoop()
    handler = fan_out if cfg is None else functools.partial(fan_out, sender=loop.sender(cfg))
    return WorkerSpec(
        service="notifier",
        migrations=MIGRATIONS,
        handlers={"*": handler},
        subscribe_to=list(SUBSCRIBED_TOPICS),
        periodic=[loop],
        zero_series=[(WEBHOOK_DELIVERIES, [(o,) for o in WEBHOOK_OUTCOMES])],
    )
