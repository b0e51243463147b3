"""The authoring worker against a real broker: the submit endpoint's outbox row
reaches the events topic, a review.completed from the review topic approves
the version and stores its documents, and the worker then makes their PDFs."""
from __future__ import annotations

import json

import pytest
import sqlalchemy as sa
from kafka import KafkaConsumer, KafkaProducer

from cia_authoring import settings
from cia_authoring.cias.models import Document
from cia_authoring.worker import worker_spec
from cia_common.config import EVENT_TOPICS
from cia_common.kafka_clients import ensure_topics
from cia_common.web import db

from tests.integration.test_authoring_support import libreoffice  # noqa: F401 (fixture)
from tests.integration.test_authoring_support import (PLANNER, authorise, create_cia,
                                                      create_operation, get_cia, make_app,
                                                      review_completed, submit)
from tests.support import running_worker, wait_for

pytestmark = pytest.mark.integration


def _collector(bootstrap: str, topic: str):
    consumer = KafkaConsumer(topic, bootstrap_servers=bootstrap, group_id=None,
                             auto_offset_reset="earliest", enable_auto_commit=False)
    seen: list[dict] = []

    def of_type(event_type: str) -> list[dict]:
        for records in consumer.poll(timeout_ms=200).values():
            for r in records:
                seen.append({**json.loads(r.value), "_key": r.key.decode() if r.key else None})
        return [e for e in seen if e["type"] == event_type]

    return consumer, of_type


def test_worker_publishes_submissions_and_applies_review_decisions(databases, kafka_bootstrap,
                                                                   topic_prefix, libreoffice):
    url = databases.new("authoring")
    overrides = {"DATABASE_URL": url, "TOPIC_PREFIX": topic_prefix,
                 "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap}
    app = make_app(url, TOPIC_PREFIX=topic_prefix, KAFKA_BOOTSTRAP_SERVERS=kafka_bootstrap)
    cfg = settings.load(overrides)
    client = app.test_client()
    authoring_topic = topic_prefix + EVENT_TOPICS["authoring"]
    review_topic = topic_prefix + EVENT_TOPICS["review"]
    ensure_topics(kafka_bootstrap, [authoring_topic, review_topic])
    consumer, of_type = _collector(kafka_bootstrap, authoring_topic)
    producer = KafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")
    try:
        op = create_operation(client)
        authorise(client, op["id"])
        cia = create_cia(client, op["id"])
        submitted = submit(client, cia["id"], requested_reviewers=["reviewer-1"])

        with running_worker(worker_spec(cfg), cfg):
            [event] = wait_for(lambda: of_type("cia.submitted"), 30, message="cia.submitted on Kafka")
            assert event["_key"] == cia["id"] and event["subject"] == cia["id"]
            assert event["source"] == "/cia-workflow/authoring" and event["specversion"] == "1.0"
            data = event["data"]
            assert (data["cia_id"], data["version"], data["operation_id"]) == (cia["id"], 1, op["id"])
            assert data["operation_reference"] == "LFR-2026-0042"
            assert data["requested_reviewers"] == ["reviewer-1"]
            assert data["author"] == data["submitted_by"] == {"sub": "planner-1",
                                                              "name": "Pat Planner"}
            assert data["content_hash"] == submitted["content_hash"]

            decision = review_completed(cia["id"], 1, "approved")
            producer.send(review_topic, key=cia["id"].encode(),
                          value=decision.to_json().encode()).get(timeout=15)

            wait_for(lambda: get_cia(client, cia["id"])["status"] == "approved", 60,
                     message="version 1 approved by the worker")
            [approved] = wait_for(lambda: of_type("cia.approved"), 30,
                                  message="cia.approved on Kafka")
            assert approved["_key"] == cia["id"] and approved["data"]["version"] == 1

            # The worker then makes the PDFs from the stored DOCX, off the approval path.
            def stored():
                with db(app).sessions() as s:
                    return {(d.kind, d.format): d.sha256 for d in s.execute(
                        sa.select(Document).where(Document.cia_id == cia["id"])).scalars()}

            docs = wait_for(lambda: (lambda d: d if len(d) == 4 else None)(stored()), 120,
                            message="full and disclosure PDFs stored by the worker")

        assert set(docs) == {(kind, fmt) for kind in ("full", "disclosure") for fmt in ("docx", "pdf")}
        assert {d["kind"]: d["sha256"] for d in approved["data"]["documents"]} == {
            kind: docs[(kind, "docx")] for kind in ("full", "disclosure")}
        url = f"/api/v1/cias/{cia['id']}/versions/1/document"
        doc = client.get(url, headers=PLANNER)
        assert doc.headers["X-Content-SHA256"] == docs[("full", "docx")]
        pdf = client.get(url, headers={**PLANNER, "Accept": "application/pdf"})
        assert pdf.mimetype == "application/pdf" and pdf.headers["X-Document-Stored"] == "true"
        assert pdf.headers["X-Content-SHA256"] == docs[("full", "pdf")]
        renders = [e for e in client.get(f"/api/v1/cias/{cia['id']}/audit", headers=PLANNER)
                   .get_json()["entries"] if e["detail"] and e["detail"].get("format") == "pdf"]
        assert sorted((e["detail"]["kind"], e["actor"]["sub"], e["detail"]["sha256"])
                      for e in renders) == sorted(
            (kind, "system", docs[(kind, "pdf")]) for kind in ("full", "disclosure"))
    finally:
        producer.close()
        consumer.close()
        db(app).dispose()
