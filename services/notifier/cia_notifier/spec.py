"""What the notifier's worker runs (every event fans out into deliveries; the
delivery loop) and where its migrations are: read by the worker, the app and the
metrics, so none imports another."""
from __future__ import annotations

from pathlib import Path

from cia_common.metrics import WEBHOOK_DELIVERIES, WEBHOOK_OUTCOMES
from cia_common.worker import WorkerSpec

from .deliveries.consumers import fan_out
from .deliveries.loop import DeliveryLoop

MIGRATIONS = str(Path(__file__).resolve().parent / "migrations")
SUBSCRIBED_TOPICS = ["cia.authoring.events", "cia.review.events"]


def build_spec() -> WorkerSpec:
    """A fresh spec (each with its own sending pool): every event type fans out."""
    return WorkerSpec(
        service="notifier",
        migrations=MIGRATIONS,
        handlers={"*": fan_out},
        subscribe_to=list(SUBSCRIBED_TOPICS),
        periodic=[DeliveryLoop()],
        zero_series=[(WEBHOOK_DELIVERIES, [(o,) for o in WEBHOOK_OUTCOMES])],
    )
