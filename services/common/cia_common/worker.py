"""A service's worker process: the outbox relay, the event consumer and any
periodic jobs (reminders, webhook deliveries), until SIGTERM."""
from __future__ import annotations

import faulthandler
import logging
import os
import signal
import socket
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Callable

from .consumer import EventConsumer, Handler
from .db import Database, Recorder, outbox_signal
from .events import utcnow
from .settings import ServiceSettings
from .kafka_clients import broker_reachable, ensure_topics, make_consumer, make_producer
from .logging_setup import configure_logging
from .metrics import (CONSUMER_RESTARTS, count_from_zero, serve_worker_metrics,
                      start_worker_series, worker_metrics_bind)
from .migrate import upgrade
from . import outbox_wake, tracing
from .outbox import publish_pending
from .tables import worker_heartbeats

log = logging.getLogger(__name__)


@dataclass
class WorkerSpec:
    """What a service's worker does."""
    service: str
    migrations: str
    handlers: dict[str, Handler] = field(default_factory=dict)
    subscribe_to: list[str] = field(default_factory=list)  # event-topic names, unprefixed
    periodic: list[Callable[[Database, dict], float | None]] = field(default_factory=list)
    # Called once before the threads start, and when stopping (before and after
    # the threads are joined); an exception is logged and does not stop the worker.
    on_start: list[Callable[[], object]] = field(default_factory=list)
    on_stop: list[Callable[[], object]] = field(default_factory=list)
    # The service's own record of each change its handlers make (authoring's audit).
    recorder: Recorder | None = None
    # The service's own labelled metrics and their label values known at start-up
    # (webhook outcomes): exported at 0 from the start, like the shared counters.
    zero_series: list[tuple[object, list[tuple[str, ...]]]] = field(default_factory=list)


class ConsumerStalled(RuntimeError):
    """The consumer stopped taking part in its group; it is replaced."""


class Watchdog:
    """Whether the consumer loop should give up on its consumer: one that has not
    heartbeated its group for ``consumer_stall_seconds`` (0 turns this off), or, never
    having heartbeated, has not joined in ``consumer_join_seconds`` (three stall times
    unless set), while the broker answers. The last resort for a hang not reproduced:
    a member stuck in a join is repaired by GroupConsumer, and one cut off by a broker
    outage rejoins by itself within about a second of the broker's return
    (docs/latency.md)."""

    def __init__(self, settings: ServiceSettings):
        self.stall_s = settings.consumer_stall_seconds
        self.join_s = settings.consumer_join_seconds or 3 * self.stall_s
        self.bootstrap = settings.kafka_bootstrap_servers
        self.since = 0.0
        self.broker_away = False

    def started(self) -> None:
        """A new consumer: its time starts now."""
        self.since, self.broker_away = time.monotonic(), False

    def check(self, consumer) -> None:
        """Raise ConsumerStalled if ``consumer`` is to be replaced."""
        waited = time.monotonic() - self.since
        if self.stall_s <= 0 or waited <= min(self.stall_s, self.join_s):
            return
        age = consumer.heartbeat_age()
        # A member that never heartbeated is still joining: a first join while every
        # core is busy (a fresh broker creating its offsets topic) may outlast a
        # heartbeat gap, so it gets the join time.
        allowed = self.stall_s if age != float("inf") else self.join_s
        if age is None or age <= allowed or waited <= allowed:
            return
        if not broker_reachable(self.bootstrap, timeout_ms=1000):
            # The broker is away, not the member. A new member would, once the broker
            # is back, wait for this one's session to expire (10 s) before it got
            # partitions. Asked again after ``allowed``.
            if not self.broker_away:
                log.info("consumer: no heartbeat for %.0f s; the broker is unreachable, "
                         "so the member is kept", age)
            self.since, self.broker_away = time.monotonic(), True
        elif self.broker_away:
            # Back: the member has its own time to rejoin first.
            self.since, self.broker_away = time.monotonic(), False
        else:
            # Start afresh (at worst a slow rebalance is rejoined: the inbox makes any
            # redelivery harmless).
            raise ConsumerStalled(f"no group heartbeat for {age:.0f} s "
                                  f"({consumer.group_state()})")


class Worker:
    def __init__(self, spec: WorkerSpec, cfg: dict):
        self.spec = spec
        self.cfg = cfg
        self.settings = ServiceSettings.of(cfg, recorder=spec.recorder)
        self.stopping = threading.Event()
        self.db = Database(self.settings.database_url)
        self._producer = None
        self._producer_lock = threading.Lock()
        # Set when the consumer has handled events, so periodic jobs (webhook
        # deliveries) pick up the rows it wrote at once instead of at their next tick.
        self.wake_periodic = threading.Event()
        # Set while a LISTEN connection hears the outbox's commits (PostgreSQL).
        self.outbox_listening = threading.Event()
        # This process in the worker heartbeat table (cia_common.tables.worker_heartbeats).
        self.instance = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._reported: bool | None = None
        self._reported_at = 0.0
        # Before the metrics server starts: its first scrape already has them at 0.
        start_worker_series(spec.service, spec.handlers, spec.subscribe_to,
                            self.settings.topic)
        for metric, label_sets in spec.zero_series:
            count_from_zero(metric, label_sets)

    # One producer per process, created lazily: the broker may be down at start.
    def producer(self):
        with self._producer_lock:
            if self._producer is None:
                self._producer = make_producer(self.settings.kafka_bootstrap_servers)
            return self._producer

    def _drop_producer(self):
        with self._producer_lock:
            if self._producer is not None:
                try:
                    self._producer.close(timeout=1)
                except Exception:  # noqa: BLE001
                    pass
            self._producer = None

    def run_relay(self) -> None:
        backoff = 0.5
        while not self.stopping.is_set():
            try:
                sent = publish_pending(self.db, self.producer(), service=self.spec.service)
                backoff = 0.5
                if sent:
                    continue
            except Exception as exc:  # noqa: BLE001 - broker or database down: wait and retry
                log.warning("relay: %s; retrying in %.1fs", exc, backoff)
                if "NoBrokersAvailable" in type(exc).__name__ or "Timeout" in type(exc).__name__:
                    self._drop_producer()
                self.stopping.wait(backoff)
                # Short: the events wait in the outbox either way, and once the broker
                # is back they go within a second.
                backoff = min(backoff * 2, 1.0)
                continue
            outbox_signal.wait(self.settings.relay_fallback_poll_seconds
                               if self.outbox_listening.is_set()
                               else self.settings.relay_poll_seconds)
            outbox_signal.clear()

    def run_outbox_listener(self) -> None:
        outbox_wake.listen(self.settings.database_url, outbox_signal, self.stopping,
                           self.outbox_listening)

    def run_consumer(self) -> None:
        if not self.spec.handlers:
            return
        topics = [self.settings.topic(t) for t in self.spec.subscribe_to]
        watchdog = Watchdog(self.settings)
        consumer = None
        while not self.stopping.is_set():
            try:
                if consumer is not None:
                    watchdog.check(consumer)  # raises when it is to be replaced
                else:
                    watchdog.started()
                    ensure_topics(self.settings.kafka_bootstrap_servers, topics)
                    consumer = EventConsumer(
                        db=self.db,
                        kafka_consumer=make_consumer(
                            self.settings.kafka_bootstrap_servers,
                            group_id=self.settings.topic(f"{self.spec.service}-worker"),
                            client_id=f"{self.spec.service}-worker"),
                        producer_factory=self.producer,
                        name=self.spec.service,
                        handlers=self.spec.handlers,
                        topics=topics,
                        source=self.settings.source,
                        events_topic=self.settings.events_topic,
                        max_attempts=self.settings.consumer_max_attempts,
                        recorder=self.settings.recorder,
                        on_handled=self.wake_periodic.set,
                    )
                if consumer.poll_once(timeout_ms=200):
                    self.wake_periodic.set()
                self._report(consumer.consuming())
            except Exception as exc:  # noqa: BLE001 - keep consuming whatever happens
                log.warning("consumer: %s", exc)
                if consumer is not None:
                    CONSUMER_RESTARTS.labels(
                        self.spec.service,
                        "stalled" if isinstance(exc, ConsumerStalled) else "error").inc()
                    try:
                        consumer.close()
                    except Exception:  # noqa: BLE001
                        pass
                    consumer = None
                self._report(False)
                self.stopping.wait(1.0)
        if consumer is not None:
            consumer.close()
        self._report(None)

    def _report(self, consuming: bool | None) -> None:
        """Tell the web process whether this worker consumes (at most once a second, and
        at once when that changes); ``None``: this worker is gone."""
        now = time.monotonic()
        if consuming == self._reported and now - self._reported_at < 1.0:
            return
        try:
            with self.db.engine.begin() as conn:
                # This worker's previous word, and what workers killed long ago left.
                conn.execute(worker_heartbeats.delete().where(
                    (worker_heartbeats.c.instance == self.instance)
                    | (worker_heartbeats.c.seen_at < utcnow() - timedelta(hours=1))))
                if consuming is not None:
                    conn.execute(worker_heartbeats.insert().values(
                        instance=self.instance, consuming=consuming, seen_at=utcnow()))
            self._reported, self._reported_at = consuming, now
        except Exception as exc:  # noqa: BLE001 - the database down: /readyz says so anyway
            log.debug("worker heartbeat not written: %s", exc)

    def run_periodic(self) -> None:
        while not self.stopping.is_set():
            delay = 1.0
            for job in self.spec.periodic:
                try:
                    wanted = job(self.db, self.cfg)
                    if wanted is not None:
                        delay = min(delay, wanted)
                except Exception as exc:  # noqa: BLE001
                    log.warning("periodic job %s: %s", job.__name__, exc)
            self.wake_periodic.wait(max(delay, 0.01))
            self.wake_periodic.clear()

    def _hooks(self, hooks) -> None:
        for hook in hooks:
            try:
                hook()
            except Exception as exc:  # noqa: BLE001
                log.warning("hook %s: %s", getattr(hook, "__name__", hook), exc)

    def run(self) -> None:
        if self.settings.run_migrations:
            upgrade(self.settings.database_url, self.spec.migrations)
        self._hooks(self.spec.on_start)
        try:
            ensure_topics(self.settings.kafka_bootstrap_servers, [self.settings.events_topic])
        except Exception as exc:  # noqa: BLE001 - the relay retries until the broker is back
            log.warning("could not create topics yet: %s", exc)
        loops = [self.run_relay, self.run_consumer, self.run_periodic]
        if outbox_wake.supported(self.settings.database_url):
            loops.append(self.run_outbox_listener)
        threads = [threading.Thread(target=t, name=t.__name__, daemon=True) for t in loops]
        for t in threads:
            t.start()
        log.info("%s worker running", self.spec.service)
        while not self.stopping.is_set():
            time.sleep(0.2)
        self._hooks(self.spec.on_stop)  # e.g. ends a job's child processes, so it returns
        for t in threads:
            t.join(timeout=10)
        self._hooks(self.spec.on_stop)  # what a job started meanwhile
        self._drop_producer()
        self.db.dispose()

    def stop(self, *_args) -> None:
        self.stopping.set()
        outbox_signal.set()
        self.wake_periodic.set()


def lower_priority(nice: int) -> int:
    """Lower the calling thread's CPU priority by ``nice`` (the threads and processes
    it starts afterwards inherit it); the nice value it has now."""
    if nice > 0:
        try:
            return os.nice(nice)
        except OSError as exc:  # a platform without it: run at the priority given
            log.warning("worker: could not lower the CPU priority: %s", exc)
    return os.getpriority(os.PRIO_PROCESS, 0)


def main(spec: WorkerSpec, cfg: dict) -> None:
    # First, before any thread starts: on Linux a nice value is per thread, and a
    # thread (or a LibreOffice, Tesseract or limited child) takes its creator's.
    lower_priority(ServiceSettings.of(cfg).worker_nice)
    configure_logging()
    # `kill -USR1 <pid>` prints every thread's stack to the log: a stuck worker
    # can be diagnosed without stopping it.
    faulthandler.register(signal.SIGUSR1, all_threads=True)
    tracing.configure(spec.service)  # the worker's spans join each CIA's trace too
    worker = Worker(spec, cfg)
    serve_worker_metrics(spec.service, worker_metrics_bind(spec.service, cfg))
    signal.signal(signal.SIGTERM, worker.stop)
    signal.signal(signal.SIGINT, worker.stop)
    worker.run()
