"""The review worker: ``python -m cia_review.worker``.

Consumes ``cia.submitted`` (opens a review) and ``cia.withdrawn`` (cancels it)
from the authoring events, relays the outbox, and sends reminders and overdue
escalations.
"""
from __future__ import annotations

from cia_common.config import load_config
from cia_common.worker import main as run_worker

from .spec import build_spec

__all__ = ["build_spec", "main"]


def main(overrides: dict | None = None) -> None:
    cfg = load_config("review", overrides)
    run_worker(build_spec(cfg), cfg)


if __name__ == "__main__":
    main()
