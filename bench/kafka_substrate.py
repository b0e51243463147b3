"""The substrate the event loop is measured against: one message through Kafka and
back to a consumer, as the services' producers and consumers are configured."""
from __future__ import annotations

import time
import uuid

from kafka import KafkaConsumer, KafkaProducer

from bench.stats import percentiles


def raw_kafka_round_trip(bootstrap: str, n: int) -> dict:
    topic = f"bench.raw.{uuid.uuid4().hex[:8]}"
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True,
                             linger_ms=0)
    consumer = KafkaConsumer(topic, bootstrap_servers=bootstrap, group_id=f"g-{topic}",
                             auto_offset_reset="latest", enable_auto_commit=False,
                             fetch_max_wait_ms=100)
    producer.send(topic, b"warm-up").get(timeout=30)
    deadline = time.monotonic() + 30
    while not consumer.assignment() and time.monotonic() < deadline:
        consumer.poll(timeout_ms=100)
    consumer.poll(timeout_ms=500)
    samples = []
    for i in range(n):
        t0 = time.perf_counter()
        producer.send(topic, key=str(i).encode(), value=b"x" * 512)
        producer.flush()
        got = False
        while not got:
            for records in consumer.poll(timeout_ms=1000).values():
                got = got or any(r.key == str(i).encode() for r in records)
        samples.append(time.perf_counter() - t0)
    producer.close()
    consumer.close()
    return percentiles(samples)
