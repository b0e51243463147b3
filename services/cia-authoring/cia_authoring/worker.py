"""The authoring worker: outbox relay, ``review.completed`` from the review
service applied to CIA versions, the PDFs of approved versions made from
their stored DOCX (see ``pdfs``), disclosure copies kept current
(``foi.handlers``, ``foi.refresh``) and FOI request
deadline notices (``foi_requests.jobs``). LibreOffice processes: those a crashed
worker left are killed at start-up, the running ones at shutdown
(``documents.pdf``). Run with ``python -m cia_authoring.worker``."""
from __future__ import annotations

import functools

from cia_common import worker as common_worker
from cia_common.config import EVENT_TOPICS
from cia_common.worker import WorkerSpec

from . import settings
from .app import MIGRATIONS
from .documents.pdf import kill_running, sweep_orphans
from .decisions import on_review_completed
from .foi.handlers import handlers as foi_handlers
from .foi.refresh import RefreshStaleCopies
from .foi_requests.jobs import FoiRequestNotices
from .pdfs import RenderAhead


def worker_spec(cfg: dict) -> WorkerSpec:
    # Handlers are (uow, event); the configuration they need is bound here.
    handler = functools.partial(on_review_completed, cfg=cfg)
    functools.update_wrapper(handler, on_review_completed)
    return WorkerSpec(
        service=settings.SERVICE,
        migrations=MIGRATIONS,
        handlers={"review.completed": handler, **foi_handlers(cfg)},
        # Its own topic too: disclosure copies are re-rendered from authoring events.
        subscribe_to=[EVENT_TOPICS["review"], EVENT_TOPICS["authoring"]],
        periodic=[RenderAhead(), RefreshStaleCopies(), FoiRequestNotices()],
        on_start=[sweep_orphans],
        on_stop=[kill_running],
    )


def main(config: dict | None = None) -> None:
    cfg = settings.load(config)
    common_worker.main(worker_spec(cfg), cfg)


if __name__ == "__main__":
    main()
