"""The notifier's worker: consumes authoring and review events into deliveries,
sends them, and relays its own events (``subscription.disabled``).

``python -m cia_notifier.worker``
"""
from __future__ import annotations

from cia_common.worker import main as run_worker

from .settings import notifier_config
from .spec import SUBSCRIBED_TOPICS, build_spec

__all__ = ["SUBSCRIBED_TOPICS", "build_spec", "main"]


def main() -> None:
    cfg = notifier_config()
    run_worker(build_spec(cfg), cfg)


if __name__ == "__main__":
    main()
