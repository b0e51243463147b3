"""The shared event machinery against a real broker and both databases:
outbox relay, idempotent consumer with inbox, dead-letter queue."""
from __future__ import annotations

import json
import uuid

import pytest
import sqlalchemy as sa
from kafka import KafkaConsumer, KafkaProducer

from cia_common.consumer import EventConsumer, dlq_error
from cia_common.db import Database
from cia_common.events import CloudEvent
from cia_common.kafka_clients import ensure_topics, make_consumer, make_producer
from cia_common.outbox import publish_pending, unpublished_count
from cia_common.tables import inbox, platform_metadata

pytestmark = pytest.mark.integration


@pytest.fixture
def db(databases):
    database = Database(databases.new("platform"))
    platform_metadata.create_all(database.engine)
    yield database
    database.dispose()


def read_all(bootstrap: str, topic: str, expected: int, timeout_s: float = 20) -> list:
    consumer = KafkaConsumer(topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest",
                             enable_auto_commit=False, group_id=f"reader-{uuid.uuid4().hex[:6]}",
                             consumer_timeout_ms=int(timeout_s * 1000))
    records = []
    for record in consumer:
        records.append(record)
        if len(records) >= expected:
            break
    consumer.close()
    return records


def test_outbox_rows_commit_with_the_unit_of_work_and_reach_kafka(db, kafka_bootstrap, topic_prefix):
    topic = topic_prefix + "events"
    ensure_topics(kafka_bootstrap, [topic])
    with db.unit_of_work(source="/test", topic=topic) as uow:
        uow.emit("thing.discarded", "cia-0", {"n": 0})
        # no commit: rolled back with the unit of work
    with db.unit_of_work(source="/test", topic=topic) as uow:
        first = uow.emit("thing.happened", "cia-1", {"n": 1})
        second = uow.emit("thing.happened", "cia-1", {"n": 2})
        uow.commit()
    assert unpublished_count(db) == 2

    producer = make_producer(kafka_bootstrap)
    assert publish_pending(db, producer) == 2
    assert publish_pending(db, producer) == 0
    assert unpublished_count(db) == 0
    producer.close()

    records = read_all(kafka_bootstrap, topic, 2)
    assert [json.loads(r.value)["id"] for r in records] == [first.id, second.id]
    assert {r.key for r in records} == {b"cia-1"}
    assert json.loads(records[0].value)["specversion"] == "1.0"


def _consumer(db, bootstrap, topic, handlers, group):
    return EventConsumer(db=db, kafka_consumer=make_consumer(bootstrap, group_id=group),
                         producer_factory=lambda: _producers.setdefault(bootstrap,
                                                                        make_producer(bootstrap)),
                         name="test-consumer", handlers=handlers, topics=[topic],
                         source="/test", events_topic=topic + ".out", max_attempts=2,
                         retry_backoff_s=0.01)


_producers: dict = {}


def _drain(consumer, want: int, rounds: int = 60) -> int:
    done = 0
    for _ in range(rounds):
        done += consumer.poll_once(timeout_ms=250)
        if done >= want:
            break
    return done


def test_consumer_is_idempotent_and_dead_letters_poison(db, kafka_bootstrap, topic_prefix):
    topic = topic_prefix + "in"
    ensure_topics(kafka_bootstrap, [topic, topic + ".dlq"], partitions=1)
    seen: list[str] = []

    def record(uow, event):
        seen.append(event.data["n"])
        uow.emit("thing.recorded", event.subject, {"n": event.data["n"]})

    def explode(uow, event):
        raise RuntimeError("handler cannot cope")

    producer = KafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all", enable_idempotence=True)
    dup = CloudEvent(type="thing.happened", source="/t", subject="c1", data={"n": 1})
    producer.send(topic, key=b"c1", value=dup.to_json().encode())
    producer.send(topic, key=b"c1", value=dup.to_json().encode())  # the same event again
    producer.send(topic, key=b"c1", value=b"{not json")
    producer.send(topic, key=b"c1", value=CloudEvent(type="thing.exploding", source="/t",
                                                     subject="c1", data={}).to_json().encode())
    producer.send(topic, key=b"c1", value=CloudEvent(type="thing.happened", source="/t",
                                                     subject="c1", data={"n": 2}).to_json().encode())
    producer.flush()

    group = topic_prefix + "group"
    consumer = _consumer(db, kafka_bootstrap, topic,
                         {"thing.happened": record, "thing.exploding": explode}, group)
    assert _drain(consumer, 5) == 5
    consumer.close()

    assert seen == [1, 2]
    with db.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(inbox)).scalar_one() == 2
    assert unpublished_count(db) == 2  # the handlers' own events, in the same transactions

    dead = read_all(kafka_bootstrap, topic + ".dlq", 2)
    assert [r.value for r in dead][0] == b"{not json"
    assert "unparseable" in dlq_error(dead[0].headers)
    assert "handler cannot cope" in dlq_error(dead[1].headers)

    # Offsets were committed after the database commits: the group starts past them.
    again = _consumer(db, kafka_bootstrap, topic, {"thing.happened": record}, group)
    assert _drain(again, 1, rounds=8) == 0
    again.close()
    assert seen == [1, 2]
