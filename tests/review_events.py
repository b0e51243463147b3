"""Helpers for tests that drive the review service (its own and end-to-end ones)."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

from cia_common.config import events_topic
from cia_common.consumer import handle_event
from cia_common.db import Database
from cia_common.events import CloudEvent, isoformat

from cia_review.reviews.service import SOURCE, handle_cia_submitted
from cia_review.settings import review_settings


def submitted_data(**overrides) -> dict:
    """``cia.submitted`` data as the contract describes it, with plausible values."""
    cia_id = overrides.pop("cia_id", None) or str(uuid.uuid4())
    data = {
        "cia_id": cia_id,
        "version": 1,
        "operation_id": str(uuid.uuid4()),
        "operation_reference": "LFR-2026-0042",
        "operation_name": "Oxford Street LFR",
        "title": "Community Impact Assessment — Oxford Street",
        "borough": "Westminster",
        "use_case": "crime_hotspot",
        "planned_start": isoformat(datetime.now(timezone.utc) + timedelta(days=7)),
        "author": {"sub": "planner-1", "name": "Pat Planner"},
        "last_editor": {"sub": "planner-2", "name": "Lee Editor"},
        "submitted_by": {"sub": "planner-1", "name": "Pat Planner"},
        "requested_reviewers": ["reviewer-1"],
        "content_hash": "sha256:" + uuid.uuid4().hex,
    }
    data.update(overrides)
    return data


def submitted_event(event_id: str | None = None, **overrides) -> CloudEvent:
    data = submitted_data(**overrides)
    kwargs = {"id": event_id} if event_id else {}
    return CloudEvent(type="cia.submitted", source="/cia-workflow/authoring",
                      subject=data["cia_id"], data=data, **kwargs)


def deliver(db: Database, cfg: dict, event: CloudEvent) -> bool:
    """Run the worker's handler on ``event`` through the real inbox path."""
    settings = review_settings(cfg)
    return handle_event(db, "review", lambda uow, ev: handle_cia_submitted(uow, ev, settings=settings),
                        event, source=SOURCE, topic=events_topic(cfg, "review"))
