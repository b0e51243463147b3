"""The delivery loop: claim due deliveries, POST them signed, record each attempt.

Sending happens on a small thread pool and the loop does not wait for it, so a
receiver that takes its full timeout holds one slot, not the whole loop. A
claim pushes ``next_attempt_at`` forward by a lease: if the process dies
mid-send, the delivery is simply due again once the lease has passed.
"""
from __future__ import annotations

import json
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from urllib3.exceptions import HTTPError, TimeoutError as ReceiverTimeout

from cia_common import tracing
from cia_common.config import event_source
from cia_common.settings import ServiceSettings
from cia_common.db import Database
from cia_common.events import new_id, utcnow
from cia_common.metrics import WEBHOOK_DELIVERIES

from ..settings import Settings
from ..subscriptions import egress
from ..subscriptions.destinations import DestinationRefused, check_url
from ..subscriptions.models import Subscription
from ..subscriptions.service import disable_subscription
from . import retries
from .handoff import Job, Sender
from .models import Delivery, DeliveryAttempt
from .shaping import shape_for_subscription
from .signing import webhook_headers
from .teams import teams_message

log = logging.getLogger(__name__)

SOURCE = event_source("notifier")
USER_AGENT = "cia-workflow-notifier/1"
BUSY_DELAY = 0.05
MAX_IDLE_DELAY = 0.25


@dataclass(frozen=True)
class AttemptResult:
    at: datetime
    status_code: int | None
    latency_ms: int
    error: str | None
    retry_after: float | None = None


# ---------------------------------------------------------------- claim

def claim_due(db: Database, settings: Settings, limit: int, *, now: datetime | None = None
              ) -> list[Job]:
    if limit <= 0:
        return []
    now = now or utcnow()
    query = (
        sa.select(Delivery, Subscription)
        .join(Subscription, Subscription.id == Delivery.subscription_id)
        .where(Delivery.status == "pending", Delivery.next_attempt_at <= now,
               Subscription.active.is_(True), Subscription.deleted_at.is_(None))
        .order_by(Delivery.next_attempt_at)
        .limit(limit)
    )
    if db.dialect == "postgresql":
        # Several workers may run; each takes rows the others have not locked.
        query = query.with_for_update(skip_locked=True, of=Delivery)
    # On SQLite the unit's BEGIN IMMEDIATE already serialises claims.
    jobs = []
    with db.sessions.begin() as session:
        lease_until = now + timedelta(seconds=settings.lease_seconds)
        for delivery, sub in session.execute(query).all():
            delivery.claim_token = new_id()
            delivery.next_attempt_at = lease_until
            jobs.append(Job(delivery_id=delivery.id, claim_token=delivery.claim_token,
                            event_id=delivery.event_id, payload=delivery.payload, url=sub.url,
                            format=sub.format, reviewer_sub=sub.reviewer_sub,
                            secrets=tuple(sub.signing_secrets(now))))
    return jobs


def next_due_in(db: Database, now: datetime | None = None) -> float | None:
    now = now or utcnow()
    with db.sessions() as session:
        # Deliveries of a disabled subscription are paused, not due.
        earliest = session.scalar(
            sa.select(sa.func.min(Delivery.next_attempt_at))
            .join(Subscription, Subscription.id == Delivery.subscription_id)
            .where(Delivery.status == "pending", Subscription.active.is_(True),
                   Subscription.deleted_at.is_(None)))
    if earliest is None:
        return None
    if isinstance(earliest, str):  # SQLite aggregate: no type processing
        earliest = datetime.fromisoformat(earliest).replace(tzinfo=now.tzinfo)
    elif earliest.tzinfo is None:
        earliest = earliest.replace(tzinfo=now.tzinfo)
    return max((earliest - now).total_seconds(), 0.0)


# ---------------------------------------------------------------- send

def render_body(job: Job) -> str:
    """The request body: the CloudEvent (without other people's action links), or a
    Teams message built from it."""
    stored = json.loads(job.payload)
    event = shape_for_subscription(stored, job.reviewer_sub)
    if job.format == "teams":
        return json.dumps(teams_message(event, job.reviewer_sub), separators=(",", ":"))
    if event is stored:
        return job.payload
    return json.dumps(event, separators=(",", ":"), sort_keys=True)


def send(job: Job, settings: Settings) -> AttemptResult:
    """One attempt, as a client span in the event's trace (``traceparent`` goes on)."""
    try:
        stored = json.loads(job.payload)
        parent = {k: stored[k] for k in ("traceparent", "tracestate")
                  if isinstance(stored.get(k), str)}
    except (ValueError, TypeError, AttributeError):
        parent = {}
    with tracing.span("webhook deliver", service="notifier", kind=tracing.CLIENT, parent=parent,
                      attributes={"messaging.message.id": job.event_id,
                                  "cia.delivery_id": job.delivery_id}) as current:
        attempt = _send(job, settings)
        if attempt.status_code is not None:
            current.set_attribute("http.response.status_code", attempt.status_code)
        if attempt.error:
            current.set_attribute("error.type", attempt.error[:200])
        return attempt


def _send(job: Job, settings: Settings) -> AttemptResult:
    at = utcnow()
    started = time.perf_counter()

    def result(status_code=None, error=None, retry_after=None):
        latency = int(round((time.perf_counter() - started) * 1000))
        return AttemptResult(at, status_code, latency, error, retry_after)

    try:
        destination = check_url(job.url, settings.allowed_hosts)
    except DestinationRefused as exc:
        return result(error=f"destination refused: {exc}")
    body = render_body(job)
    headers = webhook_headers(job.event_id, at, body, list(job.secrets))
    headers.update({"Content-Type": "application/json", "User-Agent": USER_AGENT,
                    **tracing.carrier()})
    try:
        resp = egress.post(destination, body.encode(), headers, settings.timeout_seconds)
    except ReceiverTimeout:
        return result(error=f"timed out after {settings.timeout_seconds:g}s")
    except (HTTPError, OSError, ValueError) as exc:  # refused, reset, TLS, a malformed URL...
        return result(error=f"{type(exc).__name__}: {exc}"[:1000])
    try:
        code = resp.status
        retry_after = retries.parse_retry_after(resp.headers.get("Retry-After"), utcnow())
    finally:
        resp.close()  # the body is not needed; do not wait for it
    error = None if 200 <= code < 300 else f"HTTP {code}"
    return result(code, error, retry_after)


# ---------------------------------------------------------------- record

def record(db: Database, cfg: dict, settings: Settings, job: Job, outcome: AttemptResult) -> str:
    """Log the attempt and move the delivery (and its subscription's failure count) on.

    Returns the delivery's status afterwards.
    """
    with ServiceSettings.of(cfg).unit_of_work(db) as uow:
        session = uow.session
        delivery = session.execute(
            sa.select(Delivery).where(Delivery.id == job.delivery_id).with_for_update()
        ).scalar_one_or_none()
        if delivery is None:
            return "missing"
        # Lock the subscription too: concurrent attempts update its failure count.
        sub = session.execute(
            sa.select(Subscription).where(Subscription.id == delivery.subscription_id)
            .with_for_update()
        ).scalar_one()
        delivery.attempt_count += 1
        session.add(DeliveryAttempt(delivery_id=delivery.id, attempt_no=delivery.attempt_count,
                                    at=outcome.at, status_code=outcome.status_code,
                                    latency_ms=outcome.latency_ms, error=outcome.error))
        if delivery.claim_token != job.claim_token or delivery.status != "pending":
            # Redelivered or cancelled while in flight: the attempt is logged, nothing decided.
            uow.commit()
            return delivery.status

        failed = retries.classify(outcome.status_code) is not retries.Outcome.SUCCEEDED
        consecutive = sub.consecutive_failures + 1 if failed else 0
        round_failures = delivery.round_failures + (1 if failed else 0)
        verdict = retries.judge_attempt(
            status_code=outcome.status_code, retry_after=outcome.retry_after,
            round_failures=round_failures, consecutive_failures=consecutive,
            schedule=settings.retry_schedule,
            max_consecutive_failures=settings.max_consecutive_failures)

        now = utcnow()
        delivery.status = verdict.status
        delivery.round_failures = round_failures
        delivery.claim_token = None
        delivery.last_status_code = outcome.status_code
        delivery.last_error = outcome.error
        if verdict.status == "succeeded":
            delivery.delivered_at = outcome.at
            delivery.next_attempt_at = None
            sub.last_success_at = outcome.at
        elif verdict.status == "pending":
            delivery.next_attempt_at = now + timedelta(seconds=verdict.retry_in)
            sub.last_failure_at = outcome.at
        else:
            delivery.next_attempt_at = None
            sub.last_failure_at = outcome.at
        sub.consecutive_failures = consecutive
        if verdict.disable_subscription:
            disable_subscription(uow, sub, verdict.disable_subscription)
        uow.commit()
        WEBHOOK_DELIVERIES.labels(
            "retrying" if verdict.status == "pending" else verdict.status).inc()
        log.info("delivery %s of %s to subscription %s: %s (%s)", delivery.id, job.event_id,
                 sub.id, verdict.status, outcome.status_code or outcome.error)
        return verdict.status


def attempt(db: Database, cfg: dict, settings: Settings, job: Job) -> str:
    try:
        return record(db, cfg, settings, job, send(job, settings))
    except Exception:  # noqa: BLE001 - the lease makes the delivery due again later
        log.exception("delivery %s: could not complete the attempt", job.delivery_id)
        WEBHOOK_DELIVERIES.labels("error").inc()
        return "error"


# ---------------------------------------------------------------- the periodic job

class DeliveryLoop:
    """The worker's periodic job: ``loop(db, cfg)`` → seconds until it wants to run again."""

    __name__ = "deliver_webhooks"

    def __init__(self):
        self._lock = threading.Lock()
        self._pool: ThreadPoolExecutor | None = None
        self._in_flight = 0

    def _executor(self, size: int) -> ThreadPoolExecutor:
        with self._lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(max_workers=size, thread_name_prefix="webhook")
            return self._pool

    def _done(self, _future) -> None:
        with self._lock:
            self._in_flight -= 1

    def free_slots(self, settings: Settings) -> int:
        with self._lock:
            return max(settings.concurrency - self._in_flight, 0)

    def start(self, db: Database, cfg: dict, settings: Settings, jobs: list[Job]) -> None:
        """Send claimed ``jobs`` on the pool, without waiting for them."""
        pool = self._executor(settings.concurrency)
        for job in jobs:
            with self._lock:
                self._in_flight += 1
            pool.submit(attempt, db, cfg, settings, job).add_done_callback(self._done)

    def sender(self, cfg: dict) -> Sender:
        return Sender(self, cfg)

    def __call__(self, db: Database, cfg: dict) -> float | None:
        settings = Settings.from_config(cfg)
        jobs = claim_due(db, settings, self.free_slots(settings))
        self.start(db, cfg, settings, jobs)
        with self._lock:
            in_flight = self._in_flight
        if jobs or in_flight:
            # Work under way: come back soon for retries it schedules and for new work.
            return BUSY_DELAY
        due_in = next_due_in(db)
        if due_in is None:
            return MAX_IDLE_DELAY
        return min(max(due_in, BUSY_DELAY), MAX_IDLE_DELAY)

    def drain(self, db: Database, cfg: dict) -> list[str]:
        """Send whatever is due now and wait for the outcomes (for tests and tools)."""
        settings = Settings.from_config(cfg)
        pool = self._executor(settings.concurrency)
        jobs = claim_due(db, settings, settings.concurrency)
        futures = [pool.submit(attempt, db, cfg, settings, job) for job in jobs]
        wait(futures)
        return [f.result() for f in futures]

    def close(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True)
