"""How a worker tells that its Kafka consumer has stopped taking part in its group."""
from __future__ import annotations

from types import SimpleNamespace

from cia_common import consumer as consumer_module
from cia_common.consumer import EventConsumer


class StubKafkaConsumer:
    def __init__(self, coordinator=None):
        if coordinator is not None:
            self._coordinator = coordinator
        self.subscribed = None

    def subscribe(self, topics):
        self.subscribed = topics


def consumer(kafka_consumer) -> EventConsumer:
    return EventConsumer(db=None, kafka_consumer=kafka_consumer, producer_factory=lambda: None,
                         name="test", handlers={}, topics=["t"], source="/test", events_topic="e")


def test_the_age_of_the_last_heartbeat(monkeypatch):
    # The consumer module's clock, fixed: the age is exact however slow the machine.
    monkeypatch.setattr(consumer_module, "time", SimpleNamespace(monotonic=lambda: 1000.0))
    beat = SimpleNamespace(last_send=993.0)
    assert consumer(StubKafkaConsumer(SimpleNamespace(heartbeat=beat))).heartbeat_age() == 7.0


def test_a_member_that_never_heartbeated_is_infinitely_stale():
    beat = SimpleNamespace(last_send=-float("inf"))
    stub = StubKafkaConsumer(SimpleNamespace(heartbeat=beat))
    assert consumer(stub).heartbeat_age() == float("inf")


def test_an_unknown_client_gives_no_answer_rather_than_a_false_alarm():
    assert consumer(StubKafkaConsumer()).heartbeat_age() is None
    assert consumer(StubKafkaConsumer(SimpleNamespace())).heartbeat_age() is None
    odd = SimpleNamespace(heartbeat=SimpleNamespace(last_send="yesterday"))
    assert consumer(StubKafkaConsumer(odd)).heartbeat_age() is None
