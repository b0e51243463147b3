"""The notifier's worker: consumes authoring and review events into deliveries,
sends them, and relays its own events (``subscription.disabled``).

``python -m cia_notifier.worker``
"""
from __future__ import annotations

from cia_common.metrics import WEBHOOK_DELIVERIES, WEBHOOK_OUTCOMES
from cia_common.worker import WorkerSpec
from cia_common.worker import main as run_worker

from .app import MIGRATIONS
from .deliveries.consumers import fan_out
from .deliveries.loop import DeliveryLoop
from .settings import notifier_config

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


def main() -> None:
    run_worker(build_spec(), notifier_config())


if __name__ == "__main__":
    main()
