"""``cia dlq``: a poison message is dead-lettered, its cause fixed after the fact,
and the replay goes through the normal idempotent consumer; the dead-letter
backlog and the consumer lag on /metrics follow."""
from __future__ import annotations

import json

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from kafka import KafkaProducer

from cia_common.cli import main as cia
from cia_common.consumer import EventConsumer
from cia_common.db import Database
from cia_common.events import CloudEvent
from cia_common.kafka_clients import ensure_topics, make_consumer, make_producer
from cia_common.metrics import DLQ_MESSAGES, EVENTS_HANDLED, KafkaLag, _lag_clients
from cia_common.tables import inbox, platform_metadata
from tests.support import wait_for

pytestmark = pytest.mark.integration


@pytest.fixture
def db(databases):
    database = Database(databases.new("dlq"))
    platform_metadata.create_all(database.engine)
    yield database
    database.dispose()


def run_cia(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cia, list(args), catch_exceptions=False)
    return result.exit_code, result.output


def test_a_fixed_poison_message_is_replayed_through_the_idempotent_consumer(
        db, kafka_bootstrap, topic_prefix):
    topic = f"{topic_prefix}cia.authoring.events"
    ensure_topics(kafka_bootstrap, [topic, topic + ".dlq"], partitions=1)
    dlq_args = ["dlq", "--bootstrap", kafka_bootstrap, "--prefix", topic_prefix]
    fixed = {"now": False}
    handled: list[str] = []

    def submitted(uow, event):
        if not fixed["now"]:
            raise ValueError("no operation reference in this payload")
        handled.append(event.id)

    producer = KafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")
    poison = CloudEvent(type="cia.submitted", source="/test", subject="cia-1", data={"version": 1})
    producer.send(topic, key=b"cia-1", value=poison.to_json().encode())
    producer.send(topic, key=b"cia-1", value=b"\x00 not a CloudEvent")
    producer.flush()
    producer.close()

    cfg = {"KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap, "TOPIC_PREFIX": topic_prefix}
    lag = KafkaLag(cfg, "authoring", lambda: ["cia.authoring.events"])
    clients = _lag_clients(kafka_bootstrap)
    dead_letter_producer = make_producer(kafka_bootstrap)
    consumer = EventConsumer(
        db=db, kafka_consumer=make_consumer(kafka_bootstrap,
                                            group_id=f"{topic_prefix}authoring-worker"),
        producer_factory=lambda: dead_letter_producer,
        name="review", handlers={"cia.submitted": submitted}, topics=[topic], source="/test",
        events_topic=topic + ".out", max_attempts=2, retry_backoff_s=0.01)

    def consumer_lag() -> int:
        return sum(row[3] for row in lag.read(*clients)[0])

    def consume_until(condition, message: str) -> None:
        def step():
            consumer.poll_once(250)
            return condition()
        wait_for(step, 60, message=message)

    dead_before = DLQ_MESSAGES.labels("review", topic + ".dlq")._value.get()
    try:
        assert consumer_lag() == 2
        # Both messages are dead-lettered and the consumer moves past them.
        consume_until(lambda: consumer_lag() == 0, "the consumer past the poison")
        assert handled == []
        assert DLQ_MESSAGES.labels("review", topic + ".dlq")._value.get() == dead_before + 2
        _lag, dlq = lag.read(*clients)
        assert dlq == [(topic + ".dlq", 2)]

        code, out = run_cia(*dlq_args, "list")
        assert code == 0 and "2 dead letter(s) pending" in out
        poison_id, garbage_id = f"{topic}.dlq/0/0", f"{topic}.dlq/0/1"
        assert poison_id in out and "cia.submitted" in out and "(not a CloudEvent)" in out
        code, out = run_cia(*dlq_args, "show", poison_id)
        assert code == 0 and "no operation reference in this payload" in out
        assert json.loads(out[out.index("{"):])["id"] == poison.id

        # The garbage cannot be replayed: no consumer could ever take it.
        code, out = run_cia(*dlq_args, "replay", garbage_id)
        assert code == 1 and "not a CloudEvent" in out
        assert lag.read(*clients)[1] == [(topic + ".dlq", 2)]

        fixed["now"] = True
        code, out = run_cia(*dlq_args, "replay", poison_id)
        assert code == 0 and f"replayed {poison_id} to {topic}" in out
        handled_before = EVENTS_HANDLED.labels("review", "cia.submitted", "handled")._value.get()
        consume_until(lambda: handled, "the replayed event")
        assert handled == [poison.id]
        assert EVENTS_HANDLED.labels("review", "cia.submitted", "handled")._value.get() \
            == handled_before + 1

        # Replayed twice (by mistake): the inbox drops the copy.
        code, _ = run_cia(*dlq_args, "replay", poison_id)
        assert code == 0
        consume_until(lambda: consumer_lag() == 0, "the second copy consumed")
        assert handled == [poison.id]
        with db.engine.connect() as conn:
            assert conn.execute(sa.select(sa.func.count()).select_from(inbox)).scalar_one() == 1

        code, out = run_cia(*dlq_args, "list")
        assert "1 dead letter(s) pending" in out and garbage_id in out and poison_id not in out
        code, out = run_cia(*dlq_args, "discard", garbage_id)
        assert code == 0 and f"discarded {garbage_id}" in out
        code, out = run_cia(*dlq_args, "list")
        assert "0 dead letter(s) pending" in out
        code, out = run_cia(*dlq_args, "list", "--all")
        assert poison_id in out and garbage_id in out
        assert lag.read(*clients)[1] == [(topic + ".dlq", 0)]
    finally:
        consumer.close()
        for client in (*clients, dead_letter_producer):
            client.close()
