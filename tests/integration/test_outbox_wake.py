"""On PostgreSQL, a commit in another process wakes the relay through NOTIFY:
with polling set to 30 seconds, the event still reaches Kafka at once."""
from __future__ import annotations

import json
import uuid

import pytest
import sqlalchemy as sa
from kafka import KafkaConsumer

from cia_common.config import load_config, topic
from cia_common.db import outbox_signal
from cia_common.events import CloudEvent, utcnow
from cia_common.migrate import upgrade
from cia_common.tables import outbox
from cia_common.worker import WorkerSpec
from cia_review.app import MIGRATIONS
from tests.support import running_worker, wait_for

pytestmark = pytest.mark.integration


def test_a_commit_elsewhere_wakes_the_relay(pg_databases, kafka_bootstrap, topic_prefix):
    url = pg_databases.new("review")
    cfg = load_config("review", {"DATABASE_URL": url, "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
                                 "TOPIC_PREFIX": topic_prefix, "RELAY_POLL_SECONDS": 30,
                                 "RELAY_FALLBACK_POLL_SECONDS": 30})
    upgrade(url, MIGRATIONS)
    spec = WorkerSpec(service="review", migrations=MIGRATIONS, handlers={}, subscribe_to=[])
    reader = KafkaConsumer(topic(cfg, "cia.review.events"), bootstrap_servers=kafka_bootstrap,
                           auto_offset_reset="earliest", group_id=f"r-{uuid.uuid4().hex[:6]}",
                           consumer_timeout_ms=500)
    other_process = sa.create_engine(url)  # not this process's unit of work: no in-process wake
    try:
        with running_worker(spec, cfg) as worker:
            wait_for(worker.outbox_listening.is_set, 20, message="the outbox listener")
            # Let the relay drain what was there and settle into its (30 s) wait.
            wait_for(lambda: not outbox_signal.is_set(), 10, message="the relay to idle")
            for n in range(3):
                event = CloudEvent(type="review.reminder", source="/cia-workflow/review",
                                   subject=f"cia-{n}", data={"n": n})
                with other_process.begin() as conn:
                    conn.execute(outbox.insert().values(
                        event_id=event.id, topic=topic(cfg, "cia.review.events"), key=event.subject,
                        event_type=event.type, payload=event.to_json(), created_at=utcnow(),
                        attempts=0))
                got = wait_for(lambda: [r for r in reader
                                        if json.loads(r.value)["id"] == event.id], 10,
                               message=f"event {n} on Kafka well before the 30 s poll")
                assert got[0].key == event.subject.encode()
    finally:
        reader.close()
        other_process.dispose()


def test_the_trigger_is_postgresql_only_and_reversible(pg_databases):
    url = pg_databases.new("review")
    upgrade(url, MIGRATIONS)
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            assert conn.execute(sa.text(
                "SELECT count(*) FROM pg_trigger WHERE tgname = 'outbox_notify'")).scalar() == 1
        from alembic import command
        from cia_common.migrate import alembic_config
        command.downgrade(alembic_config(MIGRATIONS, url), "0005")
        with engine.connect() as conn:
            assert conn.execute(sa.text(
                "SELECT count(*) FROM pg_trigger WHERE tgname = 'outbox_notify'")).scalar() == 0
    finally:
        engine.dispose()
