"""Idempotent Kafka consumer: inbox row and handler writes in one transaction,
offsets committed only after the database commit, poison messages to ``<topic>.dlq``."""
from __future__ import annotations

import logging
import time
from typing import Callable

import sqlalchemy as sa
from kafka.structs import OffsetAndMetadata
from sqlalchemy.dialects import postgresql, sqlite

from . import tracing
from .db import Database, Recorder, UnitOfWork
from .events import CloudEvent, EnvelopeError, utcnow
from .metrics import DLQ_MESSAGES, EVENTS_HANDLED
from .tables import inbox

log = logging.getLogger(__name__)

Handler = Callable[[UnitOfWork, CloudEvent], None]

COMMIT_TIMEOUT_MS = 15_000
CLOSE_TIMEOUT_MS = 5_000


class DatabaseUnavailable(RuntimeError):
    """The database, not the message, is at fault: retry the message later, never DLQ it."""


def _claim(uow: UnitOfWork, consumer: str, event: CloudEvent) -> bool:
    """Insert the inbox row first; False if it is already there. On PostgreSQL a
    second instance handling the same event waits here until the first commits
    (then skips it) or rolls back (then handles it)."""
    dialect = uow.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    claimed = uow.session.execute(insert(inbox).values(
        consumer=consumer, event_id=event.id, event_type=event.type, processed_at=utcnow()
    ).on_conflict_do_nothing().returning(inbox.c.event_id)).first()
    return claimed is not None


def handle_event(db: Database, consumer: str, handler: Handler, event: CloudEvent,
                 *, source: str, topic: str, recorder: Recorder | None = None) -> bool:
    """Run ``handler`` once per (consumer, event id). Returns False for a duplicate."""
    with tracing.span(f"{event.type} process", service=consumer, kind=tracing.CONSUMER,
                      parent=event.trace_carrier,
                      attributes={"messaging.message.id": event.id, "cia.subject": event.subject}):
        with db.unit_of_work(source=source, topic=topic, recorder=recorder) as uow:
            if not _claim(uow, consumer, event):
                return False
            handler(uow, event)
            uow.commit()
    return True


# Two heartbeat intervals (make_consumer: 3 s): a member quieter than this is not consuming.
CONSUMING_HEARTBEAT_S = 6.0


class EventConsumer:
    """Consumes topics into handlers keyed by event type."""

    def __init__(self, *, db: Database, kafka_consumer, producer_factory: Callable[[], object],
                 name: str, handlers: dict[str, Handler], topics: list[str],
                 source: str, events_topic: str, max_attempts: int = 3,
                 retry_backoff_s: float = 0.2, recorder: Recorder | None = None,
                 on_handled: Callable[[], object] | None = None):
        self.db = db
        self.consumer = kafka_consumer
        self.producer_factory = producer_factory
        self.name = name
        self.handlers = handlers
        self.topics = topics
        self.source = source
        self.events_topic = events_topic
        self.recorder = recorder
        # Called as soon as an event's transaction commits (before the batch's
        # offsets are), so the work it queued (a delivery) need not wait for them.
        self.on_handled = on_handled
        self.max_attempts = max_attempts
        self.retry_backoff_s = retry_backoff_s
        # Offsets are committed synchronously after each partition's batch, before
        # the next poll (where rebalances happen), so a revocation has nothing
        # pending to commit.
        self.consumer.subscribe(topics=topics)

    def poll_once(self, timeout_ms: int = 200) -> int:
        batches = self.consumer.poll(timeout_ms=timeout_ms)
        done = 0
        offsets = {}
        for tp, records in batches.items():
            try:
                for record in records:
                    self._process(record)
                    offsets[tp] = OffsetAndMetadata(record.offset + 1, "", -1)
                    done += 1
            except DatabaseUnavailable as exc:
                log.warning("database unavailable, will retry %s at offset %s: %s",
                            tp, record.offset, exc)
                self.consumer.seek(tp, record.offset)
                time.sleep(1.0)
        if offsets:
            # One request for every partition of the poll. Bounded: without a
            # timeout kafka-python retries a commit forever while the coordinator
            # is unreachable. A failed commit only means the batch is delivered
            # again, and the inbox drops it.
            self.consumer.commit(offsets, timeout_ms=COMMIT_TIMEOUT_MS)
        return done

    def heartbeat_age(self) -> float | None:
        """Seconds since this member last sent its group a heartbeat (``inf`` if it
        never did), or None when the client does not tell. kafka-python's own
        metric for this mixes two clocks, so its heartbeat record is read directly."""
        heartbeat = getattr(getattr(self.consumer, "_coordinator", None), "heartbeat", None)
        last = getattr(heartbeat, "last_send", None)
        if not isinstance(last, (int, float)):
            return None
        return time.monotonic() - last

    def _process(self, record) -> None:
        try:
            event = CloudEvent.from_json(record.value)
        except EnvelopeError as exc:
            self._dead_letter(record, f"unparseable: {exc}")
            EVENTS_HANDLED.labels(self.name, "unparseable", "dead_lettered").inc()
            return
        handler = self.handlers.get(event.type) or self.handlers.get("*")
        if handler is None:
            EVENTS_HANDLED.labels(self.name, event.type, "ignored").inc()
            return
        error = None
        for attempt in range(1, self.max_attempts + 1):
            try:
                new = handle_event(self.db, self.name, handler, event,
                                   source=self.source, topic=self.events_topic,
                                   recorder=self.recorder)
                if new and self.on_handled is not None:
                    self.on_handled()
                EVENTS_HANDLED.labels(self.name, event.type,
                                      "handled" if new else "duplicate").inc()
                return
            except sa.exc.OperationalError as exc:
                if "locked" in str(exc).lower():
                    error = exc
                else:
                    raise DatabaseUnavailable(str(exc)) from exc
            except Exception as exc:  # noqa: BLE001 - any handler failure is retried, then DLQ'd
                error = exc
                log.warning("handler %s failed for %s (attempt %d/%d): %s",
                            event.type, event.id, attempt, self.max_attempts, exc)
            if attempt < self.max_attempts:
                EVENTS_HANDLED.labels(self.name, event.type, "retried").inc()
            time.sleep(self.retry_backoff_s * attempt)
        self._dead_letter(record, f"handler failed after {self.max_attempts} attempts: "
                                  f"{type(error).__name__}: {error}")
        EVENTS_HANDLED.labels(self.name, event.type, "dead_lettered").inc()

    def _dead_letter(self, record, error: str) -> None:
        producer = self.producer_factory()
        headers = [
            ("dlq-error", error[:4000].encode()),
            ("dlq-consumer", self.name.encode()),
            ("dlq-source", f"{record.topic}/{record.partition}/{record.offset}".encode()),
        ]
        producer.send(f"{record.topic}.dlq", key=record.key, value=record.value,
                      headers=headers).get(timeout=15)
        DLQ_MESSAGES.labels(self.name, f"{record.topic}.dlq").inc()
        log.error("sent %s/%s@%s to DLQ: %s", record.topic, record.partition, record.offset, error)

    def consuming(self) -> bool:
        """Whether this member takes part in its group now: it holds partitions and has
        heartbeated within two heartbeat intervals (what its worker reports as ready)."""
        age = self.heartbeat_age()
        return bool(self.consumer.assignment()) and age is not None and age < CONSUMING_HEARTBEAT_S

    def group_state(self) -> str:
        """The member's view of its group, for the log."""
        coordinator = getattr(self.consumer, "_coordinator", None)
        try:
            known = not coordinator.coordinator_unknown()
            return f"coordinator {'known' if known else 'unknown'}, state {coordinator.state}"
        except Exception:  # noqa: BLE001 - diagnostics only
            return "group state unknown"

    def close(self) -> None:
        # Bounded too: the default waits request_timeout_ms (minutes) for a dead coordinator.
        self.consumer.close(timeout_ms=CLOSE_TIMEOUT_MS)


def dlq_error(headers) -> str | None:
    for key, value in headers or []:
        if key == "dlq-error":
            return value.decode()
    return None

