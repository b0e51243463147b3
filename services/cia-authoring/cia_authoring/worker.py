"""The authoring worker: outbox relay, and ``review.completed`` from the review
service applied to CIA versions. Run with ``python -m cia_authoring.worker``."""
from __future__ import annotations

import functools

from cia_common import worker as common_worker
from cia_common.config import EVENT_TOPICS
from cia_common.worker import WorkerSpec

from . import settings
from .app import MIGRATIONS
from .decisions import on_review_completed


def worker_spec(cfg: dict) -> WorkerSpec:
    # Handlers are (uow, event); the configuration they need is bound here.
    handler = functools.partial(on_review_completed, cfg=cfg)
    functools.update_wrapper(handler, on_review_completed)
    return WorkerSpec(
        service=settings.SERVICE,
        migrations=MIGRATIONS,
        handlers={"review.completed": handler},
        subscribe_to=[EVENT_TOPICS["review"]],
    )


def main(config: dict | None = None) -> None:
    cfg = settings.load(config)
    common_worker.main(worker_spec(cfg), cfg)


if __name__ == "__main__":
    main()
