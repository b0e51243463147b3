"""What the authoring worker runs (its handlers, periodic jobs and topics) and where
its migrations are: read by the worker, the app (migrations) and the metrics (topics),
so none of them imports another."""
from __future__ import annotations

import functools
from pathlib import Path

from cia_common.config import EVENT_TOPICS
from cia_common.metrics import PDF_CONVERSION, TIMED_OUTCOMES
from cia_common.worker import WorkerSpec

from cia_authoring import settings
from cia_authoring.cias import audit
from cia_authoring.documents.libreoffice import kill_running, sweep_orphans
from cia_authoring.approvals.decisions import on_review_completed
from cia_authoring.disclosure.handlers import handlers as foi_handlers
from cia_authoring.disclosure.refresh import RefreshStaleCopies
from cia_authoring.disclosure.sight_checks import CheckCopies
from cia_authoring.foi_requests.jobs import FoiRequestNotices
from cia_authoring.foi_requests.letter_checks import CheckLetters
from cia_authoring.foi_requests.publishing import PublishLetters
from cia_authoring.documents.pdfs import RenderAhead
from cia_authoring.legacy.jobs import MakeLegacyCopies

MIGRATIONS = str(Path(__file__).with_name("migrations"))


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
        periodic=[RenderAhead(), RefreshStaleCopies(), CheckCopies(), MakeLegacyCopies(),
                  FoiRequestNotices(), CheckLetters(), PublishLetters()],
        on_start=[sweep_orphans],
        on_stop=[kill_running],
        recorder=audit.record,
        zero_series=[(PDF_CONVERSION, [(o,) for o in TIMED_OUTCOMES])],
    )
