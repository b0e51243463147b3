"""The review worker: ``python -m cia_review.worker``.

Consumes ``cia.submitted`` (opens a review) and ``cia.withdrawn`` (cancels it)
from the authoring events, relays the outbox, and sends reminders and overdue
escalations.
"""
from __future__ import annotations

import functools

from cia_common.config import load_config
from cia_common.worker import WorkerSpec
from cia_common.worker import main as run_worker

from .app import MIGRATIONS
from .reviews.service import handle_cia_submitted, handle_cia_withdrawn, send_due_notifications
from .settings import review_settings


def build_spec(cfg: dict) -> WorkerSpec:
    settings = review_settings(cfg)
    handlers = {}
    for event_type, handler in (("cia.submitted", handle_cia_submitted),
                                ("cia.withdrawn", handle_cia_withdrawn)):
        bound = functools.partial(handler, settings=settings)
        functools.update_wrapper(bound, handler)
        handlers[event_type] = bound
    return WorkerSpec(
        service="review",
        migrations=MIGRATIONS,
        handlers=handlers,
        subscribe_to=["cia.authoring.events"],
        periodic=[send_due_notifications],
    )


def main(overrides: dict | None = None) -> None:
    cfg = load_config("review", overrides)
    run_worker(build_spec(cfg), cfg)


if __name__ == "__main__":
    main()
