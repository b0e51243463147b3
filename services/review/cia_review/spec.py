"""What the review worker runs (handlers, periodic jobs, topics) and where its
migrations are: read by the worker, the app and the metrics, so none imports another."""
from __future__ import annotations

import functools
from pathlib import Path

from cia_common.worker import WorkerSpec

from .reviews.service import handle_cia_submitted, handle_cia_withdrawn, send_due_notifications
from .settings import review_settings

MIGRATIONS = str(Path(__file__).resolve().parent / "migrations")


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
