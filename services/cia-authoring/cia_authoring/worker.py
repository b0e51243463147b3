"""The authoring worker: outbox relay, ``review.completed`` from the review
service applied to CIA versions, the PDFs of approved versions made from
their stored DOCX (see ``documents.pdfs``), disclosure copies kept current
(``disclosure.handlers``, ``disclosure.refresh``) and FOI request
deadline notices (``foi_requests.jobs``). LibreOffice processes: those a crashed
worker left are killed at start-up, the running ones at shutdown
(``documents.libreoffice``). Run with ``python -m cia_authoring.worker``."""
from __future__ import annotations

from cia_common import worker as common_worker

from cia_authoring import settings
from cia_authoring.spec import worker_spec

__all__ = ["main", "worker_spec"]


def main(config: dict | None = None) -> None:
    cfg = settings.load(config)
    common_worker.main(worker_spec(cfg), cfg)


if __name__ == "__main__":
    main()
