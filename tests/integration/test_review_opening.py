"""``cia.submitted`` → review rounds, on both backends, through the real inbox path."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from marshmallow import ValidationError
from sqlalchemy.exc import IntegrityError

from cia_common.events import isoformat
from cia_common.tables import inbox, outbox
from cia_common.web import db
from cia_review.app import create_app
from cia_review.reviews.models import Review
from cia_review.reviews.service import handle_cia_submitted, record_decision, unit_of_work, Actor
from cia_review.settings import review_settings
from tests.review_events import deliver, submitted_event

pytestmark = pytest.mark.integration


@pytest.fixture
def app(databases):
    app = create_app({"DATABASE_URL": databases.new("review"), "REVIEW_URL": "http://review.test",
                      "AUTHORING_URL": "http://authoring.test", "REVIEWER_POOL": "pool-1,pool-2"})
    yield app
    db(app).dispose()


def reviews(app, cia_id) -> list:
    with db(app).engine.connect() as conn:
        return conn.execute(sa.text(
            "SELECT id, version, round, state, reviewers_source, due_at, approvals_required "
            "FROM reviews WHERE cia_id = :c ORDER BY version, round"), {"c": cia_id}).all()


def emitted(app, event_type) -> list[dict]:
    with db(app).engine.connect() as conn:
        rows = conn.execute(sa.select(outbox.c.payload).where(outbox.c.event_type == event_type)
                            .order_by(outbox.c.seq)).scalars().all()
    return [json.loads(p) for p in rows]


def decide(app, review_id, sub="reviewer-1", decision="approve", comment="ok"):
    with unit_of_work(db(app), app.config) as uow:
        record_decision(uow, review_id, Actor(sub, sub), decision, comment, [], channel="api",
                        settings=review_settings(app.config))
        uow.commit()


def test_submission_opens_a_review_and_emits_review_requested(app):
    # Two months ahead, on the hour: far enough for the 24 h lead to apply, and
    # relative to today so the test does not expire.
    start = (datetime.now(timezone.utc) + timedelta(days=60)).replace(hour=9, minute=0, second=0,
                                                                      microsecond=0)
    event = submitted_event(version=2, planned_start=isoformat(start),
                            requested_reviewers=["reviewer-1", "reviewer-2", "planner-1"])
    assert deliver(db(app), app.config, event)
    [review] = reviews(app, event.data["cia_id"])
    assert (review.version, review.round, review.state) == (2, 1, "open")
    assert review.reviewers_source == "requested" and review.approvals_required == 1
    [requested] = emitted(app, "review.requested")
    assert requested["type"] == "review.requested" and requested["subject"] == event.data["cia_id"]
    data = requested["data"]
    assert data["review_id"] == review.id and data["cia_id"] == event.data["cia_id"]
    assert (data["version"], data["round"]) == (2, 1)
    assert data["operation_reference"] == "LFR-2026-0042"
    assert data["operation_name"] == "Oxford Street LFR" and data["title"].startswith("Community")
    day_before = start - timedelta(hours=24)
    assert data["due_at"] == day_before.strftime("%Y-%m-%dT09:00:00Z")  # planned start minus 24 h
    assert data["reviewers"] == ["reviewer-1", "reviewer-2", "planner-1"]
    assert data["links"] == {"review_api": f"http://review.test/api/v1/reviews/{review.id}",
                             "cia_api": f"http://authoring.test/api/v1/cias/{event.data['cia_id']}"}
    # The author gets no link to review their own work.
    assert set(data["action_links"]) == {"reviewer-1", "reviewer-2"}
    assert all(u.startswith("http://review.test/review/actions/") for u in data["action_links"].values())


@pytest.mark.backends("sqlite", "postgresql")  # the inbox's uniqueness differs by backend
def test_same_event_twice_opens_one_review(app):
    event = submitted_event()
    assert deliver(db(app), app.config, event) is True
    assert deliver(db(app), app.config, event) is False
    assert len(reviews(app, event.data["cia_id"])) == 1
    assert len(emitted(app, "review.requested")) == 1
    with db(app).engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(inbox)).scalar_one() == 1


def test_same_submission_under_a_new_event_id_is_still_one_review(app):
    event = submitted_event()
    again = submitted_event(cia_id=event.data["cia_id"], content_hash=event.data["content_hash"])
    assert event.id != again.id
    deliver(db(app), app.config, event)
    deliver(db(app), app.config, again)
    assert len(reviews(app, event.data["cia_id"])) == 1


def test_database_refuses_a_second_review_of_the_same_round(app):
    event = submitted_event()
    deliver(db(app), app.config, event)
    with db(app).engine.connect() as conn:
        row = conn.execute(sa.select(Review.__table__)).mappings().one()
        clone = dict(row, id="another-id", submitted_event_id="another-event")
        with pytest.raises(IntegrityError):
            conn.execute(Review.__table__.insert().values(**clone))


def test_resubmission_after_changes_requested_opens_a_new_round(app):
    first = submitted_event()
    deliver(db(app), app.config, first)
    [r1] = reviews(app, first.data["cia_id"])
    decide(app, r1.id, decision="request_changes", comment="Fix section 6")
    second = submitted_event(cia_id=first.data["cia_id"])
    assert deliver(db(app), app.config, second)
    rounds = reviews(app, first.data["cia_id"])
    assert [(r.round, r.state) for r in rounds] == [(1, "changes_requested"), (2, "open")]
    assert [e["data"]["round"] for e in emitted(app, "review.requested")] == [1, 2]


def test_changed_content_while_open_voids_the_round(app):
    first = submitted_event(requested_reviewers=["reviewer-1", "reviewer-2"])
    deliver(db(app), app.config, first)
    app.config["APPROVALS_REQUIRED"] = 2
    changed = submitted_event(cia_id=first.data["cia_id"], content_hash="sha256:changed")
    deliver(db(app), app.config, changed)
    rounds = reviews(app, first.data["cia_id"])
    assert [(r.round, r.state) for r in rounds] == [(1, "superseded"), (2, "open")]
    [superseded] = emitted(app, "review.superseded")
    assert superseded["data"]["superseded_by"] == rounds[1].id


def test_a_final_version_is_not_reopened(app):
    first = submitted_event()
    deliver(db(app), app.config, first)
    decide(app, reviews(app, first.data["cia_id"])[0].id)
    assert deliver(db(app), app.config, submitted_event(cia_id=first.data["cia_id"])) is True
    assert [r.state for r in reviews(app, first.data["cia_id"])] == ["approved"]


def test_a_newer_version_supersedes_the_open_review_of_an_older_one(app):
    v1 = submitted_event(version=1)
    deliver(db(app), app.config, v1)
    deliver(db(app), app.config, submitted_event(cia_id=v1.data["cia_id"], version=2))
    assert [(r.version, r.state) for r in reviews(app, v1.data["cia_id"])] == \
        [(1, "superseded"), (2, "open")]


def test_pool_when_nobody_was_named_and_any_reviewer_without_a_pool(app, databases):
    event = submitted_event(requested_reviewers=[])
    deliver(db(app), app.config, event)
    [review] = reviews(app, event.data["cia_id"])
    assert review.reviewers_source == "pool"
    assert emitted(app, "review.requested")[0]["data"]["reviewers"] == ["pool-1", "pool-2"]

    bare = create_app({"DATABASE_URL": databases.new("bare")})
    try:
        event = submitted_event(requested_reviewers=[])
        deliver(db(bare), bare.config, event)
        [review] = reviews(bare, event.data["cia_id"])
        assert review.reviewers_source == "any"
        data = emitted(bare, "review.requested")[0]["data"]
        assert data["reviewers"] == [] and data["action_links"] == {}
    finally:
        db(bare).dispose()


def test_short_notice_gets_the_minimum_review_time(app):
    before = datetime.now(timezone.utc)
    event = submitted_event(planned_start=isoformat(before + timedelta(hours=5)))
    deliver(db(app), app.config, event)
    due = datetime.fromisoformat(emitted(app, "review.requested")[0]["data"]["due_at"])
    assert before + timedelta(hours=2) <= due <= datetime.now(timezone.utc) + timedelta(hours=2)


def test_an_unreadable_submission_fails_the_handler(app):
    event = submitted_event()
    broken = type(event)(type=event.type, source=event.source, subject=event.subject,
                         data={"cia_id": "x", "version": "one"})
    with unit_of_work(db(app), app.config) as uow:
        with pytest.raises(ValidationError):
            handle_cia_submitted(uow, broken, settings=review_settings(app.config))
