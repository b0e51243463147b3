"""The notifier worker with a real broker: consume, deliver once, announce disabling."""
import json
import time

import pytest
from kafka import KafkaAdminClient, KafkaConsumer

from cia_common.auth import mint_token
from cia_common.config import topic
from cia_common.kafka_clients import ensure_topics, make_producer
from cia_common.web import db as app_db
from cia_notifier.app import create_app
from cia_notifier.settings import notifier_config
from tests.receiver import WebhookReceiver
from cia_notifier.worker import build_spec
from tests.support import running_worker, wait_for

pytestmark = pytest.mark.integration


def committed(bootstrap, group):
    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    try:
        offsets = admin.list_group_offsets({group: None}).get(group, {})
        return sum(m.offset for m in offsets.values() if m.offset >= 0)
    finally:
        admin.close()


@pytest.mark.backends("sqlite", "postgresql")  # the inbox's uniqueness differs by backend
def test_an_event_published_twice_reaches_the_receiver_once(databases, kafka_bootstrap,
                                                             topic_prefix):
    cfg = notifier_config({"DATABASE_URL": databases.new("notifier"),
                           "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
                           "TOPIC_PREFIX": topic_prefix,
                           "WEBHOOK_ALLOWED_HOSTS": "127.0.0.1",
                           "RETRY_SCHEDULE_SECONDS": "0.2,0.4"})
    app = create_app(cfg)
    admin = {"Authorization": "Bearer " + mint_token(app.config["JWT_SECRET"], sub="adm",
                                                     name="Admin", roles=["admin"])}
    review_topic = topic(cfg, "cia.review.events")
    notifier_topic = topic(cfg, "cia.notifier.events")
    ensure_topics(kafka_bootstrap, [review_topic, notifier_topic])
    with WebhookReceiver([200]) as good, WebhookReceiver([410]) as gone:
        client = app.test_client()
        ok = client.post("/api/v1/subscriptions", headers=admin,
                         json={"url": good.url, "event_types": ["review.requested"]})
        bad = client.post("/api/v1/subscriptions", headers=admin,
                          json={"url": gone.url, "event_types": ["review.*"]})
        assert ok.status_code == bad.status_code == 201
        event = {"specversion": "1.0", "id": "2b0e6f4e-5a43-4d7e-9a39-1f1a3c6d7e01",
                 "source": "/cia-workflow/review", "type": "review.requested",
                 "subject": "cia-42", "time": "2026-03-01T12:00:00Z",
                 "datacontenttype": "application/json",
                 "data": {"review_id": "r-1", "cia_id": "cia-42", "version": 1, "round": 1,
                          "reviewers": ["rev-1"], "action_links": {}}}

        def delivery_states() -> list[str]:
            return [d["status"] for sub in (ok, bad) for d in client.get(
                f"/api/v1/subscriptions/{sub.json['id']}/deliveries", headers=admin).json]

        producer = make_producer(kafka_bootstrap)
        try:
            for _ in range(2):
                producer.send(review_topic, key=b"cia-42",
                              value=json.dumps(event).encode()).get(timeout=15)
        finally:
            producer.close()

        with running_worker(build_spec(cfg), cfg):
            wait_for(lambda: good.received(), timeout=60, message="the webhook")
            wait_for(lambda: committed(kafka_bootstrap, topic(cfg, "notifier-worker")) == 2,
                     timeout=30, message="both copies consumed")
            consumer = KafkaConsumer(notifier_topic, bootstrap_servers=kafka_bootstrap,
                                     auto_offset_reset="earliest", consumer_timeout_ms=500)
            announced = []
            try:
                deadline = time.monotonic() + 30
                while not announced and time.monotonic() < deadline:
                    announced = [json.loads(m.value) for m in consumer]
            finally:
                consumer.close()
            # Every delivery finished (none pending, so none still to be sent) after
            # both copies were consumed: a wrong second delivery would show by now.
            wait_for(lambda: delivery_states() and "pending" not in delivery_states(),
                     timeout=30, message="every delivery finished")

        assert [r.webhook_id for r in good.received()] == [event["id"]]
        assert len(gone.received()) == 1
        assert [(e["type"], e["data"]["subscription_id"]) for e in announced] == [
            ("subscription.disabled", bad.json["id"])]
        state = client.get(f"/api/v1/subscriptions/{bad.json['id']}", headers=admin).json
        assert state["active"] is False
        log = client.get(f"/api/v1/subscriptions/{ok.json['id']}/deliveries", headers=admin).json
        assert [(d["status"], d["webhook_id"], len(d["attempts"])) for d in log] == [
            ("succeeded", event["id"], 1)]
    app_db(app).dispose()
