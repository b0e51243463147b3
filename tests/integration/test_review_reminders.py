"""Reminders and overdue escalation: each once, never missed, on both backends."""
from __future__ import annotations

import functools
import json
import time
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from cia_common.config import load_config
from cia_common.db import Database
from cia_common.events import isoformat
from cia_common.tables import outbox
from cia_common.web import db
from cia_review.app import create_app
from cia_review.reviews.service import Actor, record_decision, send_due_notifications, unit_of_work
from cia_review.settings import review_settings
from cia_review.worker import build_spec
from tests.review_events import deliver, submitted_event
from tests.support import running_worker, wait_for

pytestmark = pytest.mark.integration


@pytest.fixture
def app(databases):
    app = create_app({"DATABASE_URL": databases.new("review"), "REVIEW_URL": "http://review.test"})
    yield app
    db(app).dispose()


def emitted(app, event_type) -> list[dict]:
    with db(app).engine.connect() as conn:
        rows = conn.execute(sa.select(outbox.c.payload).where(outbox.c.event_type == event_type)
                            .order_by(outbox.c.seq)).scalars().all()
    return [json.loads(p)["data"] for p in rows]


def open_review(app, due_in: timedelta, now: datetime, **data):
    # due = planned start - 24 h (default lead time)
    event = submitted_event(planned_start=isoformat(now + due_in + timedelta(hours=24)), **data)
    deliver(db(app), app.config, event)
    with db(app).engine.connect() as conn:
        review_id, due_at = conn.execute(sa.text(
            "SELECT id, due_at FROM reviews WHERE submitted_event_id = :e"), {"e": event.id}).one()
    return review_id


def test_reminder_then_overdue_each_exactly_once(app):
    now = datetime.now(timezone.utc)
    review_id = open_review(app, timedelta(hours=20), now)

    delay = send_due_notifications(db(app), app.config, now=now)
    assert emitted(app, "review.reminder") == [] and emitted(app, "review.overdue") == []
    # Next: the reminder, 12 h before the due time, i.e. in ~8 h.
    assert abs(delay - 8 * 3600) < 120

    at_reminder = now + timedelta(hours=8, minutes=1)
    send_due_notifications(db(app), app.config, now=at_reminder)
    send_due_notifications(db(app), app.config, now=at_reminder + timedelta(minutes=5))
    [reminder] = emitted(app, "review.reminder")
    assert reminder["review_id"] == review_id and reminder["undecided_reviewers"] == ["reviewer-1"]
    assert set(reminder["action_links"]) == {"reviewer-1"}
    assert emitted(app, "review.overdue") == []

    # A restarted worker (a fresh engine) neither repeats nor misses anything.
    fresh = Database(app.config["DATABASE_URL"])
    try:
        overdue_at = now + timedelta(hours=20, minutes=1)
        assert send_due_notifications(fresh, app.config, now=overdue_at) is None
        send_due_notifications(fresh, app.config, now=overdue_at + timedelta(hours=1))
    finally:
        fresh.dispose()
    assert len(emitted(app, "review.reminder")) == 1
    [overdue] = emitted(app, "review.overdue")
    assert overdue["review_id"] == review_id and overdue["approvals_required"] == 1
    with db(app).engine.connect() as conn:
        reminded, escalated = conn.execute(sa.text(
            "SELECT reminded_at, escalated_at FROM reviews WHERE id = :i"), {"i": review_id}).one()
    assert reminded is not None and escalated is not None


def test_a_worker_down_through_both_moments_sends_both_once(app):
    now = datetime.now(timezone.utc)
    open_review(app, timedelta(hours=3), now)
    later = now + timedelta(days=2)
    send_due_notifications(db(app), app.config, now=later)
    send_due_notifications(db(app), app.config, now=later)
    assert len(emitted(app, "review.reminder")) == 1
    assert len(emitted(app, "review.overdue")) == 1


def test_closed_reviews_get_no_reminders(app):
    now = datetime.now(timezone.utc)
    review_id = open_review(app, timedelta(hours=3), now)
    with unit_of_work(db(app), app.config) as uow:
        record_decision(uow, review_id, Actor("reviewer-1", "R"), "approve", "", [], channel="api",
                        settings=review_settings(app.config))
        uow.commit()
    assert send_due_notifications(db(app), app.config, now=now + timedelta(days=1)) is None
    assert emitted(app, "review.reminder") == [] and emitted(app, "review.overdue") == []


def counting_passes(spec):
    """``spec`` with its periodic jobs recording each pass they complete."""
    passes: list[float] = []

    def counted(job):
        @functools.wraps(job)
        def run(db, cfg):
            try:
                return job(db, cfg)
            finally:
                passes.append(time.monotonic())
        return run

    spec.periodic = [counted(job) for job in spec.periodic]
    return spec, passes


def test_a_restarted_worker_neither_misses_nor_repeats_them(databases, kafka_bootstrap,
                                                            topic_prefix):
    """The real worker, stopped and started again: its clock is the wall clock and
    its memory is the database (the due times and what was already sent)."""
    overrides = {"DATABASE_URL": databases.new("review"),
                 "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap, "TOPIC_PREFIX": topic_prefix,
                 "REVIEW_URL": "http://review.test",
                 # Due at the planned start; reminded 3 s before it.
                 "REVIEW_LEAD_HOURS": 0, "REVIEW_MIN_HOURS": 0, "REVIEW_REMINDER_HOURS": 3 / 3600}
    cfg = load_config("review", overrides)
    app = create_app(overrides)

    def open_due_in(seconds: float) -> tuple[str, datetime]:
        start = datetime.now(timezone.utc) + timedelta(seconds=seconds)
        event = submitted_event(planned_start=isoformat(start))
        deliver(db(app), app.config, event)
        with db(app).engine.connect() as conn:
            review_id = conn.execute(
                sa.text("SELECT id FROM reviews WHERE submitted_event_id = :e"),
                {"e": event.id}).scalar_one()
        return review_id, start

    def sent(kind: str, review_id: str) -> int:
        return sum(1 for d in emitted(app, kind) if d["review_id"] == review_id)

    try:
        with running_worker(build_spec(cfg), cfg):
            first, first_due = open_due_in(3.5)
            wait_for(lambda: sent("review.reminder", first), 30, message="the first reminder")
        # Stopped between the reminder and the due time of the first review.
        assert sent("review.overdue", first) == 0
        # Opened while no worker runs; both its moments pass before one starts again.
        second, second_due = open_due_in(0.5)
        time.sleep(max((max(first_due, second_due) - datetime.now(timezone.utc)).total_seconds(),
                       0) + 0.2)

        spec, passes = counting_passes(build_spec(cfg))
        with running_worker(spec, cfg):
            wait_for(lambda: sent("review.overdue", first) and sent("review.overdue", second),
                     30, message="both escalations after the restart")
            # Room for a wrong repeat: two more passes of the job, so at least one
            # began after both escalations were seen.
            seen = len(passes)
            wait_for(lambda: len(passes) >= seen + 2, 30, message="two more passes of the job")
        assert [sent(kind, review) for review in (first, second)
                for kind in ("review.reminder", "review.overdue")] == [1, 1, 1, 1]
    finally:
        db(app).dispose()
