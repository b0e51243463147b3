"""The review worker against a real broker and both database backends:
cia.submitted (delivered twice) → one review → review.requested on Kafka;
a decision through the API → review.completed on Kafka."""
from __future__ import annotations

import json

import pytest
import sqlalchemy as sa
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer

from cia_common.auth import mint_token
from cia_common.config import load_config, topic
from cia_common.kafka_clients import ensure_topics
from cia_common.web import db
from cia_review.app import create_app
from tests.review_events import submitted_event
from cia_review.worker import build_spec
from tests.support import running_worker, wait_for

pytestmark = pytest.mark.integration


class TopicReader:
    """Collects every CloudEvent on one topic."""

    def __init__(self, bootstrap: str, name: str):
        self.consumer = KafkaConsumer(name, bootstrap_servers=bootstrap, group_id=None,
                                      auto_offset_reset="earliest", enable_auto_commit=False,
                                      fetch_max_wait_ms=100)
        self.seen: list[tuple[bytes, dict]] = []

    def of_type(self, event_type: str) -> list[tuple[bytes, dict]]:
        for records in self.consumer.poll(timeout_ms=200).values():
            self.seen.extend((r.key, json.loads(r.value)) for r in records)
        return [(k, e) for k, e in self.seen if e["type"] == event_type]

    def close(self):
        self.consumer.close()


def committed_offsets(bootstrap: str, group: str) -> int:
    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    try:
        offsets = admin.list_group_offsets({group: None}).get(group, {})
        return sum(meta.offset for meta in offsets.values() if meta.offset > 0)
    finally:
        admin.close()


def test_worker_opens_one_review_per_submission_and_publishes_its_events(
        databases, kafka_bootstrap, topic_prefix):
    overrides = {"DATABASE_URL": databases.new("review"), "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
                 "TOPIC_PREFIX": topic_prefix, "REVIEW_URL": "http://review.test",
                 "AUTHORING_URL": "http://authoring.test"}
    cfg = load_config("review", overrides)
    app = create_app(overrides)
    authoring_topic = topic(cfg, "cia.authoring.events")
    review_topic = topic(cfg, "cia.review.events")
    ensure_topics(kafka_bootstrap, [authoring_topic, review_topic])
    reader = TopicReader(kafka_bootstrap, review_topic)
    producer = KafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all",
                             enable_idempotence=True)
    event = submitted_event(requested_reviewers=["reviewer-1"])
    cia_id = event.data["cia_id"]
    try:
        with running_worker(build_spec(cfg), cfg):
            for _ in range(2):  # the same event twice: at-least-once delivery
                producer.send(authoring_topic, key=cia_id.encode(),
                              value=event.to_json().encode()).get(timeout=15)
            producer.flush()

            [(key, requested)] = wait_for(lambda: reader.of_type("review.requested"), 60,
                                          message="review.requested on Kafka")
            assert key == cia_id.encode()
            data = requested["data"]
            assert data["cia_id"] == cia_id and data["version"] == 1 and data["round"] == 1
            assert data["reviewers"] == ["reviewer-1"]
            assert data["links"]["review_api"] == f"http://review.test/api/v1/reviews/{data['review_id']}"
            assert data["links"]["cia_api"] == f"http://authoring.test/api/v1/cias/{cia_id}"
            assert data["action_links"]["reviewer-1"].startswith("http://review.test/review/actions/")
            assert data["due_at"].endswith("Z")

            # Both copies were consumed (offsets committed), yet one review exists.
            wait_for(lambda: committed_offsets(kafka_bootstrap, topic(cfg, "review-worker")) == 2,
                     30, message="both copies consumed")
            with db(app).engine.connect() as conn:
                assert conn.execute(sa.text("SELECT COUNT(*) FROM reviews")).scalar_one() == 1

            token = mint_token(cfg["JWT_SECRET"], sub="reviewer-1", name="Rev One",
                               roles=["reviewer"])
            resp = app.test_client().post(
                f"/api/v1/reviews/{data['review_id']}/decisions",
                json={"decision": "request_changes", "comment": "Add the IAG minutes",
                      "section_comments": [{"section": "engagement_log", "comment": "IAG?"}]},
                headers={"Authorization": f"Bearer {token}"})
            assert resp.status_code == 201, resp.get_data(as_text=True)

            [(key, completed)] = wait_for(lambda: reader.of_type("review.completed"), 30,
                                          message="review.completed on Kafka")
            assert key == cia_id.encode()
            assert completed["source"] == "/cia-workflow/review"
            assert completed["data"] | {"decisions": None} == {
                "review_id": data["review_id"], "cia_id": cia_id, "version": 1, "round": 1,
                "outcome": "changes_requested",
                "decided_by": {"sub": "reviewer-1", "name": "Rev One"},
                "comment": "Add the IAG minutes",
                "section_comments": [{"section": "engagement_log", "comment": "IAG?"}],
                "decisions": None,
            }
            assert len(reader.of_type("review.requested")) == 1
    finally:
        producer.close()
        reader.close()
        db(app).dispose()
