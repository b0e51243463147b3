"""The metrics mechanism of cia_common: database gauges read at scrape time, the
worker's metrics server, where it binds."""
from __future__ import annotations

import socket
from datetime import timedelta

import pytest
import requests
import sqlalchemy as sa
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from cia_common.events import utcnow
from cia_common.metrics import (EVENTS_HANDLED, REGISTRY, DatabaseGauges, age_seconds, gauge,
                                serve_worker_metrics, worker_metrics_bind)
from cia_common.tables import outbox, platform_metadata


def samples(registry: CollectorRegistry) -> dict[str, float]:
    text = generate_latest(registry).decode()
    return {s.name: s.value for f in text_string_to_metric_families(text) for s in f.samples}


@pytest.fixture
def engine(tmp_path):
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'svc.db'}")
    platform_metadata.create_all(engine)
    yield engine
    engine.dispose()


def add_outbox_row(conn, n: int, *, age_s: float, published: bool) -> None:
    conn.execute(outbox.insert().values(
        event_id=f"e{n}", topic="t", key="k", event_type="x.y", payload="{}",
        created_at=utcnow() - timedelta(seconds=age_s),
        published_at=utcnow() if published else None, attempts=0))


def test_outbox_backlog_and_oldest_age_are_read_at_scrape_time(engine):
    registry = CollectorRegistry()
    registry.register(DatabaseGauges(engine, "review"))
    assert samples(registry) == {"cia_outbox_pending": 0, "cia_outbox_oldest_age_seconds": 0,
                                 "cia_database_up": 1}
    with engine.begin() as conn:
        add_outbox_row(conn, 1, age_s=900, published=True)   # published: not counted
        add_outbox_row(conn, 2, age_s=120, published=False)
        add_outbox_row(conn, 3, age_s=5, published=False)
    got = samples(registry)
    assert got["cia_outbox_pending"] == 2
    assert 119 <= got["cia_outbox_oldest_age_seconds"] < 180


def test_a_service_adds_its_own_readers(engine):
    def reviews(conn, service):
        yield gauge("cia_reviews_overdue", "overdue", service,
                    conn.execute(sa.text("SELECT 3")).scalar_one())

    registry = CollectorRegistry()
    registry.register(DatabaseGauges(engine, "review", [reviews]))
    assert samples(registry)["cia_reviews_overdue"] == 3
    text = generate_latest(registry).decode()
    assert 'cia_reviews_overdue{service="review"} 3.0' in text


def test_a_database_that_does_not_answer_is_reported_not_raised(tmp_path):
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'missing' / 'dir' / 'svc.db'}")
    registry = CollectorRegistry()
    registry.register(DatabaseGauges(engine, "authoring"))
    assert samples(registry) == {"cia_database_up": 0}


def test_age_of_naive_and_missing_timestamps():
    now = utcnow()
    assert age_seconds(None) == 0
    assert age_seconds((now - timedelta(seconds=30)).replace(tzinfo=None), now) == 30
    assert age_seconds(now + timedelta(seconds=5), now) == 0  # clock skew is not negative age


def test_where_a_worker_serves_its_metrics():
    assert worker_metrics_bind("review", env={}) == "127.0.0.1:9102"
    assert worker_metrics_bind("review", env={"CIA_WORKER_METRICS_BIND": "fd://7"}) == "fd://7"
    env = {"CIA_WORKER_METRICS_BIND": "0.0.0.0:9200", "CIA_REVIEW_WORKER_METRICS_BIND": "off"}
    assert worker_metrics_bind("review", env=env) is None
    assert worker_metrics_bind("notifier", env=env) == "0.0.0.0:9200"
    assert worker_metrics_bind("review", {"WORKER_METRICS_BIND": "127.0.0.1:1"}, env) \
        == "127.0.0.1:1"


def test_the_worker_serves_its_counters_on_an_inherited_socket():
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    EVENTS_HANDLED.labels("review", "cia.submitted", "handled").inc()
    server = serve_worker_metrics("review", f"fd://{listener.fileno()}")
    try:
        text = requests.get(f"http://127.0.0.1:{listener.getsockname()[1]}/metrics",
                            timeout=5).text
        assert 'cia_events_handled_total{outcome="handled",service="review",' \
               'type="cia.submitted"}' in text
        assert "process_cpu_seconds_total" in text
    finally:
        server.shutdown()
        listener.close()


def test_a_port_in_use_leaves_the_worker_without_metrics_not_stopped():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        assert serve_worker_metrics("review", f"127.0.0.1:{taken.getsockname()[1]}") is None
    assert serve_worker_metrics("review", None) is None


def test_pdf_conversions_are_timed_by_outcome(monkeypatch):
    from cia_authoring.documents import pdfs
    from cia_authoring.documents.libreoffice import PdfConversionError

    def count(outcome: str) -> float:
        return REGISTRY.get_sample_value("cia_pdf_conversion_seconds_count",
                                         {"outcome": outcome}) or 0.0

    ok_before, failed_before = count("ok"), count("failed")
    monkeypatch.setattr(pdfs, "docx_to_pdf", lambda docx, **kwargs: b"%PDF-1.7")
    assert pdfs.convert(b"docx", {}) == b"%PDF-1.7"

    def crash(docx, **kwargs):
        raise PdfConversionError("LibreOffice crashed")

    monkeypatch.setattr(pdfs, "docx_to_pdf", crash)
    with pytest.raises(PdfConversionError):
        pdfs.convert(b"docx", {})
    assert (count("ok"), count("failed")) == (ok_before + 1, failed_before + 1)


def test_a_workers_known_series_are_exported_at_zero_before_any_event():
    from cia_common.metrics import DLQ_MESSAGES, start_worker_series

    def value(name, **labels):
        return REGISTRY.get_sample_value(name, labels)

    service = "zero-test"  # a service of its own: no other test counts under it
    assert value("cia_dlq_messages_total", service=service,
                 topic="p.cia.authoring.events.dlq") is None
    start_worker_series(service, {"cia.submitted": lambda uow, e: None},
                        ["cia.authoring.events"], lambda name: "p." + name)
    assert value("cia_dlq_messages_total", service=service,
                 topic="p.cia.authoring.events.dlq") == 0
    for outcome in ("handled", "duplicate", "retried", "dead_lettered"):
        assert value("cia_events_handled_total", service=service, type="cia.submitted",
                     outcome=outcome) == 0
    # A type on the topic without a handler can only be ignored.
    assert value("cia_events_handled_total", service=service, type="cia.created",
                 outcome="ignored") == 0
    assert value("cia_events_handled_total", service=service, type="cia.created",
                 outcome="handled") is None
    assert value("cia_events_handled_total", service=service, type="unparseable",
                 outcome="dead_lettered") == 0
    assert value("cia_consumer_restarts_total", service=service, reason="stalled") == 0
    assert value("cia_outbox_published_total", service=service) == 0
    # The first dead letter is then an increase from 0.
    DLQ_MESSAGES.labels(service, "p.cia.authoring.events.dlq").inc()
    assert value("cia_dlq_messages_total", service=service,
                 topic="p.cia.authoring.events.dlq") == 1


class _Partitions:
    """The part of a KafkaConsumer/KafkaAdminClient that KafkaLag.read uses: one
    topic exists (partition 0, 5 messages, 2 committed), the others do not."""

    def __init__(self, existing: str):
        from kafka import TopicPartition
        self.existing, self.tp = existing, TopicPartition(existing, 0)

    def partitions_for_topic(self, name):
        return {0} if name == self.existing else None

    def list_group_offsets(self, groups):
        from kafka.structs import OffsetAndMetadata
        return {group: {self.tp: OffsetAndMetadata(2, "", -1)} for group in groups}

    def end_offsets(self, partitions):
        return {tp: 5 for tp in partitions}

    def beginning_offsets(self, partitions):
        return {tp: 0 for tp in partitions}


def test_topics_not_created_yet_report_zero_lag_and_zero_dead_letters():
    from cia_common.metrics import KafkaLag

    cfg = {"KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:1", "TOPIC_PREFIX": "p."}
    lag = KafkaLag(cfg, "review", lambda: ["cia.authoring.events", "cia.notifier.events"])
    fake = _Partitions("p.cia.authoring.events")
    rows, dlq = lag.read(fake, fake)
    # The existing topic reports what it holds (the positive control), the missing one 0.
    assert sorted(rows) == [("p.review-worker", "p.cia.authoring.events", 0, 3),
                            ("p.review-worker", "p.cia.notifier.events", 0, 0)]
    assert dlq == [("p.cia.review.events.dlq", 0)]
    dead = _Partitions("p.cia.review.events.dlq")
    assert lag.read(dead, dead)[1] == [("p.cia.review.events.dlq", 3)]
