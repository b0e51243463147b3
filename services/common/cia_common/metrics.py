"""What the engineer on call watches, beyond HTTP: the work each process does
(counters and histograms, kept per process) and the state that lives in the
databases and the broker (gauges, read when /metrics is scraped).

- ``REGISTRY`` holds the counters of this process; the web app's /metrics and
  the worker's metrics server both expose it.
- :class:`DatabaseGauges` reads a service's database at scrape time (outbox
  backlog, plus what the service adds through ``readers``); a database that does
  not answer gives ``cia_database_up 0``, never a failed scrape.
- :class:`KafkaLag` reports consumer-group lag and the dead-letter backlog. It
  refreshes in a background thread, so a scrape never waits on the broker.
- :func:`serve_worker_metrics` serves a worker's metrics on its own port
  (``CIA_WORKER_METRICS_BIND``: ``host:port``, ``fd://N`` or ``off``).
- Every labelled series whose label values are known at start-up (DLQ topics,
  event types and outcomes, restart reasons, delivery outcomes) is exported at 0
  from the start (:func:`count_from_zero`, :func:`start_worker_series`, and the
  gauges above for topics not created yet): the first event is then an increase
  that ``increase()`` sees, and a dashboard shows 0 rather than "no data".

Metric names are documented in docs/operations.md.
"""
from __future__ import annotations

import logging
import os
import socket
import threading
import time
from datetime import datetime, timezone
from typing import Callable, Iterable
from wsgiref.simple_server import WSGIRequestHandler

import sqlalchemy as sa
from prometheus_client import (CollectorRegistry, Counter, Histogram, ProcessCollector,
                               make_wsgi_app)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import ThreadingWSGIServer

from cia_schemas.contracts import CONTRACTS

from .config import EVENT_TOPICS, topic
from .tables import outbox

log = logging.getLogger(__name__)

REGISTRY = CollectorRegistry()

EVENTS_HANDLED = Counter(
    "cia_events_handled_total",
    "Events taken off a topic by this process's consumer, by event type and outcome "
    "(handled, duplicate, ignored, dead_lettered, retried).",
    ["service", "type", "outcome"], registry=REGISTRY)
DLQ_MESSAGES = Counter(
    "cia_dlq_messages_total", "Messages this process sent to a dead-letter topic.",
    ["service", "topic"], registry=REGISTRY)
CONSUMER_RESTARTS = Counter(
    "cia_consumer_restarts_total",
    "Kafka consumers the worker replaced (reason: stalled = the watchdog saw no group "
    "heartbeat; error = the consumer failed).",
    ["service", "reason"], registry=REGISTRY)
OUTBOX_PUBLISHED = Counter(
    "cia_outbox_published_total", "Outbox rows this process published to Kafka.",
    ["service"], registry=REGISTRY)
WEBHOOK_DELIVERIES = Counter(
    "cia_webhook_deliveries_total",
    "Webhook delivery attempts by outcome (succeeded, retrying, failed, error).",
    ["outcome"], registry=REGISTRY)
PDF_CONVERSION = Histogram(
    "cia_pdf_conversion_seconds", "Time LibreOffice took to convert a DOCX to PDF, by outcome.",
    ["outcome"], buckets=(0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300), registry=REGISTRY)


# The label values known before anything happens.
CONSUMED_OUTCOMES = ("handled", "duplicate", "retried", "dead_lettered")  # of a handled type
RESTART_REASONS = ("stalled", "error")
WEBHOOK_OUTCOMES = ("succeeded", "retrying", "failed", "error")
TIMED_OUTCOMES = ("ok", "failed")  # of timed()


def count_from_zero(metric, label_sets: Iterable[tuple[str, ...]]) -> None:
    """Create ``metric``'s series for each of ``label_sets`` now, at 0. A series
    that first appears at 1 has no increase, so an alert on ``increase()`` would
    miss the first event."""
    for labels in label_sets:
        metric.labels(*labels)


def start_worker_series(service: str, handlers: dict, subscribe_to: list[str],
                        prefixed: Callable[[str], str]) -> None:
    """The worker's own counters at 0: what its relay publishes, and for its
    consumer each DLQ topic, restart reason, and event type of the topics it reads
    (from the event contracts) with the outcomes that type can have."""
    count_from_zero(OUTBOX_PUBLISHED, [(service,)])
    if not handlers:
        return  # no consumer
    count_from_zero(CONSUMER_RESTARTS, [(service, reason) for reason in RESTART_REASONS])
    count_from_zero(DLQ_MESSAGES, [(service, prefixed(t) + ".dlq") for t in subscribe_to])
    wanted = set(subscribe_to)
    types = {c.type for c in CONTRACTS.values() if c.topic in wanted} | (set(handlers) - {"*"})
    rows = [(service, "unparseable", "dead_lettered")]
    for event_type in sorted(types):
        if event_type in handlers or "*" in handlers:
            rows += [(service, event_type, outcome) for outcome in CONSUMED_OUTCOMES]
        else:
            rows.append((service, event_type, "ignored"))
    count_from_zero(EVENTS_HANDLED, rows)


class _Forward:
    """Exposes another registry's metrics through this one (one exposition)."""

    def __init__(self, registry: CollectorRegistry):
        self.registry = registry

    def collect(self) -> Iterable[Metric]:
        yield from self.registry.collect()


def include_process_metrics(registry: CollectorRegistry) -> None:
    registry.register(_Forward(REGISTRY))


# ----------------------------------------------------------------- database gauges

GaugeReader = Callable[[sa.Connection, str], Iterable[Metric]]


def as_utc(value) -> datetime | None:
    """A stored timestamp as aware UTC (SQLite hands naive UTC back)."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value


def age_seconds(oldest, now: datetime | None = None) -> float:
    oldest = as_utc(oldest)
    if oldest is None:
        return 0.0
    return max(((now or datetime.now(timezone.utc)) - oldest).total_seconds(), 0.0)


def gauge(name: str, doc: str, service: str, value: float,
          labels: dict[str, str] | None = None) -> GaugeMetricFamily:
    labels = labels or {}
    family = GaugeMetricFamily(name, doc, labels=["service", *labels])
    family.add_metric([service, *labels.values()], value)
    return family


def outbox_gauges(conn: sa.Connection, service: str) -> Iterable[Metric]:
    # Both read through ix_outbox_unpublished (published_at, seq): only the backlog is touched.
    count, oldest = conn.execute(
        sa.select(sa.func.count(), sa.func.min(outbox.c.created_at))
        .where(outbox.c.published_at.is_(None))).one()
    yield gauge("cia_outbox_pending", "Outbox rows not yet published to Kafka.", service, count)
    yield gauge("cia_outbox_oldest_age_seconds",
                "Age of the oldest unpublished outbox row (0 when none).",
                service, age_seconds(oldest))


class DatabaseGauges:
    """A collector running cheap queries on a service's database at scrape time."""

    def __init__(self, engine: sa.Engine, service: str, readers: Iterable[GaugeReader] = ()):
        self.engine = engine
        self.service = service
        self.readers: list[GaugeReader] = [outbox_gauges, *readers]

    def add(self, reader: GaugeReader) -> None:
        self.readers.append(reader)

    def collect(self) -> Iterable[Metric]:
        families: list[Metric] = []
        up = 1
        try:
            with self.engine.connect() as conn:
                for reader in self.readers:
                    families.extend(reader(conn, self.service))
        except Exception as exc:  # noqa: BLE001 - a scrape reports the outage, it does not fail
            log.warning("metrics: database unavailable: %s", exc.__class__.__name__)
            families, up = [], 0
        yield from families
        yield gauge("cia_database_up", "1 if the scrape could read the service's database.",
                    self.service, up)


# ----------------------------------------------------------------- Kafka lag

def dlq_group(cfg: dict) -> str:
    """The consumer group whose committed offsets mark the dead letters dealt with
    (replayed or discarded) by ``cia dlq``."""
    return topic(cfg, "cia-dlq")


def dlq_topic(cfg: dict, service: str) -> str:
    return topic(cfg, EVENT_TOPICS[service]) + ".dlq"


class KafkaLag:
    """Consumer lag of a service's worker group on the topics it reads, and the dead
    letters of the service's own events topic not yet dealt with.

    Refreshed every ``interval`` seconds by a thread started on the first scrape
    (so after gunicorn forks). While the broker is unreachable no lag is reported
    and ``cia_kafka_up`` is 0.
    """

    def __init__(self, cfg: dict, service: str, consumed: Callable[[], list[str]],
                 interval: float | None = None):
        self.cfg = cfg
        self.service = service
        self.consumed = consumed  # unprefixed topic names, asked for lazily
        self.interval = float(interval if interval is not None
                              else cfg.get("METRICS_LAG_INTERVAL_SECONDS")
                              or os.environ.get("CIA_METRICS_LAG_INTERVAL_SECONDS") or 10)
        self.lock = threading.Lock()
        self.lag: list[tuple[str, str, int, int]] = []
        self.dlq: list[tuple[str, int]] = []
        self.up = None
        self.pid = None
        self.stopping = threading.Event()

    def groups(self) -> dict[str, list[str]]:
        worker_group = topic(self.cfg, f"{self.service}-worker")
        return {worker_group: [topic(self.cfg, t) for t in self.consumed()]}

    def _start(self) -> None:
        with self.lock:
            if self.pid == os.getpid():
                return
            self.pid = os.getpid()
        threading.Thread(target=self._run, name="kafka-lag", daemon=True).start()

    def _run(self) -> None:
        clients = None
        while not self.stopping.is_set():
            try:
                if clients is None:
                    clients = _lag_clients(self.cfg["KAFKA_BOOTSTRAP_SERVERS"])
                lag, dlq = self.read(*clients)
                with self.lock:
                    self.lag, self.dlq, self.up = lag, dlq, 1
            except Exception as exc:  # noqa: BLE001 - broker down: report it, try again
                log.debug("metrics: Kafka offsets unavailable: %s", exc)
                with self.lock:
                    self.lag, self.dlq, self.up = [], [], 0
                _close(clients)
                clients = None
            self.stopping.wait(self.interval)
        _close(clients)

    def read(self, admin, consumer) -> tuple[list, list]:
        lag = []
        for group, topics in self.groups().items():
            seen = set()
            for tp, end, position in _positions(admin, consumer, group, topics):
                seen.add(tp.topic)
                lag.append((group, tp.topic, tp.partition, max(end - position, 0)))
            # A topic not created yet holds nothing to consume: 0 on the partition
            # it will have first, so the series is there (at 0) before any message.
            lag.extend((group, name, 0, 0) for name in topics if name not in seen)
        dead = dlq_topic(self.cfg, self.service)
        # The DLQ topic is created by the first dead letter; until then it holds 0.
        totals: dict[str, int] = {dead: 0}
        for _tp, end, position in _positions(admin, consumer, dlq_group(self.cfg), [dead]):
            totals[dead] += max(end - position, 0)
        return lag, sorted(totals.items())

    def collect(self) -> Iterable[Metric]:
        self._start()
        with self.lock:
            lag, dlq, up = list(self.lag), list(self.dlq), self.up
        family = GaugeMetricFamily(
            "cia_consumer_lag", "Messages on a partition the consumer group has not committed past.",
            labels=["service", "group", "topic", "partition"])
        for group, name, partition, value in lag:
            family.add_metric([self.service, group, name, str(partition)], value)
        yield family
        family = GaugeMetricFamily("cia_dlq_messages",
                                   "Dead letters on the service's DLQ topic not yet replayed or "
                                   "discarded (cia dlq).", labels=["service", "topic"])
        for name, value in dlq:
            family.add_metric([self.service, name], value)
        yield family
        if up is not None:
            yield gauge("cia_kafka_up",
                        "1 if the last read of consumer offsets reached the broker.",
                        self.service, up)


def _lag_clients(bootstrap: str):
    from kafka import KafkaAdminClient, KafkaConsumer

    admin = KafkaAdminClient(bootstrap_servers=bootstrap, bootstrap_timeout_ms=3000,
                             request_timeout_ms=5000)
    try:
        # Reading offsets must never create a topic (a DLQ no message went to yet).
        consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False,
                                 allow_auto_create_topics=False,
                                 bootstrap_timeout_ms=3000, request_timeout_ms=5000)
    except Exception:
        admin.close()
        raise
    return admin, consumer


def _close(clients) -> None:
    for client in clients or ():
        try:
            client.close()
        except Exception:  # noqa: BLE001
            pass


def _group_offsets(admin, group: str, attempts: int = 5) -> dict:
    from kafka.errors import CoordinatorNotAvailableError

    for attempt in range(attempts):
        try:
            return admin.list_group_offsets({group: None}).get(group, {})
        except CoordinatorNotAvailableError:
            # A new broker creates its offsets topic on the first group request.
            if attempt == attempts - 1:
                raise
            time.sleep(0.5)
    return {}


def _positions(admin, consumer, group: str, topics: list[str]):
    """(partition, end offset, committed offset or the partition's start) of every
    partition of ``topics`` that exists."""
    from kafka import TopicPartition

    partitions = [TopicPartition(t, p) for t in topics
                  for p in sorted(consumer.partitions_for_topic(t) or ())]
    if not partitions:
        return []
    committed = _group_offsets(admin, group)
    ends = consumer.end_offsets(partitions)
    starts = consumer.beginning_offsets(partitions)
    out = []
    for tp in partitions:
        offset = committed.get(tp)
        position = offset.offset if offset is not None and offset.offset >= 0 else starts[tp]
        out.append((tp, ends[tp], position))
    return out


# ----------------------------------------------------------------- the worker's server

WORKER_METRICS_PORTS = {"authoring": 9101, "review": 9102, "notifier": 9103}


def worker_metrics_bind(service: str, cfg: dict | None = None, env=None) -> str | None:
    """Where a service's worker serves /metrics: ``host:port`` or ``fd://N``; None = off."""
    env = os.environ if env is None else env
    value = (cfg or {}).get("WORKER_METRICS_BIND") \
        or env.get(f"CIA_{service.upper()}_WORKER_METRICS_BIND") \
        or env.get("CIA_WORKER_METRICS_BIND") \
        or f"127.0.0.1:{WORKER_METRICS_PORTS.get(service, 0)}"
    return None if value.strip().lower() in {"off", "none", "0", ""} else value.strip()


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, *_args) -> None:
        pass


class _Server(ThreadingWSGIServer):
    daemon_threads = True


def worker_registry(service: str) -> CollectorRegistry:
    registry = CollectorRegistry()
    include_process_metrics(registry)
    ProcessCollector(registry=registry)
    return registry


def serve_worker_metrics(service: str, bind: str | None,
                         registry: CollectorRegistry | None = None) -> _Server | None:
    """Serve /metrics for a worker in a daemon thread; None (logged) if it cannot bind:
    a worker without metrics still does its work."""
    if not bind:
        return None
    app = make_wsgi_app(registry or worker_registry(service))
    try:
        if bind.startswith("fd://"):
            server = _Server(("127.0.0.1", 0), _QuietHandler, bind_and_activate=False)
            server.socket.close()
            server.socket = socket.socket(fileno=int(bind[5:]))
            host, port = server.socket.getsockname()[:2]
            server.server_name, server.server_port = host, port
            server.setup_environ()
        else:
            host, _, port = bind.rpartition(":")
            server = _Server((host or "127.0.0.1", int(port)), _QuietHandler)
    except (OSError, ValueError) as exc:
        log.error("worker metrics: cannot serve on %s: %s", bind, exc)
        return None
    server.set_app(app)
    threading.Thread(target=server.serve_forever, name="metrics", daemon=True).start()
    log.info("worker metrics on %s (port %s)", bind, server.server_port)
    return server


def timed(histogram: Histogram, fn: Callable, *args, **kwargs):
    """Run ``fn`` and observe its duration with outcome ok or failed."""
    start = time.perf_counter()
    outcome = "failed"
    try:
        result = fn(*args, **kwargs)
        outcome = "ok"
        return result
    finally:
        histogram.labels(outcome).observe(time.perf_counter() - start)


def register_service_metrics(app, readers: Iterable[GaugeReader] = (),
                             consumed: Callable[[], list[str]] | None = None) -> None:
    """A service's own database gauges, and the lag of its worker's consumer group on
    the topics ``consumed()`` names, added to its app's /metrics."""
    gauges = app.extensions["cia_db_gauges"]
    for reader in readers:
        gauges.add(reader)
    if consumed is not None:
        lag = KafkaLag(app.config, app.config["SERVICE_NAME"], consumed)
        app.extensions["cia_metrics"].register(lag)
        # /readyz waits for this group to hold every partition of these topics.
        app.extensions["cia_worker_group"] = lag.groups
