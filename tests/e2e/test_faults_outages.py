"""Outages and bad input on the wire, while a stream of CIAs moves through the loop.

(a) the broker stops and starts again, with reviews open, decisions being made
    and CIAs being submitted meanwhile;
(d) two services' databases become unavailable during requests (PostgreSQL
    refuses connections and drops the open ones): the API answers 503
    problem+json and nothing is half-written; the workers wait, they do not
    dead-letter good events;
(e) duplicates of events already handled, and poison messages, are written
    straight into the topics: the duplicates change nothing, the poison goes
    to ``<topic>.dlq`` with its error, and the consumers move on.
"""
from __future__ import annotations

import threading
import uuid

import pytest
import requests
import sqlalchemy as sa
from kafka import KafkaConsumer, KafkaProducer

from cia_common.events import CloudEvent
from tests.conftest import PG_URL
from tests.e2e.helpers import REVIEWER, subscribe
from tests.e2e.metrics import value, web, worker
from tests.faults.loop import SERVICES, Invariants, Loop, worker_specs
from tests.receiver import WebhookReceiver
from tests.support import wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.faults]

FAULT_ENV = {
    "CIA_PDF_RENDER_AHEAD": "false",      # not under test here; seconds of CPU per approval
    "CIA_CONSUMER_MAX_ATTEMPTS": "3",     # the DLQ error header below names it
    "CIA_METRICS_LAG_INTERVAL_SECONDS": "1",
}


# ------------------------------------------------------------------ database outage

def _database_name(url: str) -> str:
    return sa.engine.make_url(url).database


def set_connections(url: str, allowed: bool) -> None:
    """Let the database take connections again, or refuse them and drop the open ones."""
    admin = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    name = _database_name(url)
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS '
                                 f'{"true" if allowed else "false"}'))
            if not allowed:
                conn.execute(sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                     "WHERE datname = :n AND pid <> pg_backend_pid()"), {"n": name})
    finally:
        admin.dispose()


def assert_problem(resp: requests.Response, status: int) -> dict:
    assert resp.status_code == status, resp.text[:500]
    assert resp.headers["Content-Type"].startswith("application/problem+json")
    body = resp.json()
    assert body["status"] == status and "Traceback" not in resp.text
    return body


# ------------------------------------------------------------------ the wire

def read_topic(bootstrap: str, topic: str) -> list:
    consumer = KafkaConsumer(topic, bootstrap_servers=bootstrap, group_id=None,
                             auto_offset_reset="earliest", enable_auto_commit=False,
                             consumer_timeout_ms=2000)
    try:
        return list(consumer)
    finally:
        consumer.close()


def consumers_of(topic: str) -> set[str]:
    """The services whose worker consumes ``topic`` (read from their worker specs)."""
    return {service for service, spec in worker_specs().items() if topic in spec.subscribe_to}


def headers_of(record) -> dict[str, str]:
    return {k: v.decode() for k, v in record.headers or []}


def test_broker_and_database_outages_duplicates_and_poison(make_system, pg_databases,
                                                           broker_control):
    with WebhookReceiver() as rx1, WebhookReceiver() as rx2:
        system = make_system(pg_databases, extra_env=FAULT_ENV)
        sub1 = subscribe(system, rx1.url, ["review.requested", "cia.approved"])["id"]
        sub2 = subscribe(system, rx2.url, ["review.requested"])["id"]
        loop = Loop(system, year=2033)
        invariants = Invariants(system, loop, {sub1: rx1, sub2: rx2},
                                also={sub1: ("cia.approved",)})
        try:
            _broker_outage(system, loop, invariants, broker_control)
            _database_outage(system, loop, invariants)
            _duplicates_and_poison(system, loop, invariants)
        finally:
            invariants.close()


def _broker_outage(system, loop: Loop, invariants: Invariants, broker_control) -> None:
    # CIAs at every stage: reviews open, drafts ready to go.
    loop.submit_all(loop.drafts(4))
    invariants.settle()
    drafts = loop.drafts(4)

    broker_control("stop")
    try:
        # The API keeps working on its database alone; the events wait in the outboxes.
        assert loop.approve_open() == 4
        assert set(loop.submit_all(drafts).values()) == {200}
        assert system.procs["authoring-web"][0].poll() is None
        # /metrics shows the backlog, and its oldest row getting older.
        for service in ("authoring", "review"):
            assert value(web(system, service), "cia_outbox_pending") > 0, service
        age = value(web(system, "authoring"), "cia_outbox_oldest_age_seconds")
        wait_for(lambda: value(web(system, "authoring"), "cia_outbox_oldest_age_seconds") > age,
                 30, 0.2, message="the oldest outbox row getting older on /metrics")
    finally:
        broker_control("start")

    invariants.check()
    for service in SERVICES:
        assert value(web(system, service), "cia_outbox_pending") == 0, service
    assert loop.approve_open() == 4
    invariants.check()


def _database_outage(system, loop: Loop, invariants: Invariants) -> None:
    authoring, review = system.url("authoring"), system.url("review")
    drafts = loop.drafts(10)
    early, burst, late = drafts[:3], drafts[3:9], drafts[9]
    assert set(loop.submit_all(early).values()) == {200}
    invariants.settle()  # their reviews are open: one is decided during the outage
    open_reviews = loop.reviews(state="open")
    assert len(open_reviews) == len(early)

    # Submissions racing the outage: each either commits whole or not at all. The
    # last of the burst waits for the outage, so the burst cannot finish before it.
    answers: dict[str, int] = {}
    started, outage = threading.Event(), threading.Event()

    def submit_burst():
        for cia_id in burst:
            if cia_id == burst[-1]:
                outage.wait(30)
            started.set()
            answers[cia_id] = loop.submit(cia_id).status_code

    runner = threading.Thread(target=submit_burst)
    runner.start()
    started.wait(10)
    set_connections(system.database_urls["authoring"], False)
    set_connections(system.database_urls["review"], False)
    outage.set()
    try:
        runner.join(60)
        assert not runner.is_alive() and set(answers) == set(burst)
        body = assert_problem(loop.submit(late), 503)
        assert "nothing was saved" in body["detail"]
        assert requests.get(authoring + "/readyz", timeout=30).status_code == 503
        decided = requests.post(f"{review}/api/v1/reviews/{open_reviews[0]['id']}/decisions",
                                headers=REVIEWER, json={"decision": "approve"}, timeout=30)
        assert_problem(decided, 503)
        # The burst met the outage: at least one of its submissions was refused.
        assert set(answers.values()) <= {200, 503} and 503 in answers.values(), answers
    finally:
        set_connections(system.database_urls["authoring"], True)
        set_connections(system.database_urls["review"], True)

    # Nothing half-written: each submission is all there (status, event, audit
    # entry) or not there at all. One that answered 2xx is all there; one sent
    # while the database was gone is not. (A 503 for a request whose COMMIT had
    # reached the server just before the connection was cut may still be all
    # there: the client cannot know, which is why it is told to retry.)
    db = invariants.db
    left_as_draft = []
    for cia_id in [*burst, late]:
        status = loop.cia_status(cia_id)
        events = db.rows("authoring", "SELECT count(*) FROM outbox WHERE event_type = "
                                      "'cia.submitted' AND key = :k", k=cia_id)[0][0]
        audited = db.rows("authoring", "SELECT count(*) FROM audit_entries WHERE cia_id = :c "
                                       "AND action = 'cia.submitted'", c=cia_id)[0][0]
        assert (status, events, audited) in {("submitted", 1, 1), ("draft", 0, 0)}, cia_id
        if answers.get(cia_id) == 200:
            assert status == "submitted", cia_id
        if status == "draft":
            left_as_draft.append(cia_id)
            loop.submitted.discard(cia_id)
        else:
            loop.submitted.add(cia_id)
    assert late in left_as_draft
    # Once the database is back, the same requests succeed.
    assert set(loop.submit_all(left_as_draft).values()) == {200}
    invariants.settle()
    assert loop.approve_open() == len(drafts)
    invariants.check()


def _duplicates_and_poison(system, loop: Loop, invariants: Invariants) -> None:
    db = invariants.db
    producer = KafkaProducer(bootstrap_servers=system.kafka, acks="all")
    try:
        # Duplicates of events every consumer has already handled, each sent twice.
        for service, event_type in (("authoring", "cia.submitted"), ("authoring", "cia.approved"),
                                    ("review", "review.requested"), ("review", "review.completed")):
            row = db.rows(service, "SELECT topic, key, payload FROM outbox WHERE event_type = :t "
                                   "ORDER BY seq LIMIT 1", t=event_type)[0]
            for _ in range(2):
                producer.send(row.topic, key=row.key.encode(), value=row.payload.encode())
        # Poison: not a CloudEvent at all, and CloudEvents no handler can apply.
        authoring_topic = f"{system.prefix}cia.authoring.events"
        review_topic = f"{system.prefix}cia.review.events"
        garbage = b"\x00\xff this is not a CloudEvent"
        producer.send(authoring_topic, key=b"poison-garbage", value=garbage)
        bad_submission = CloudEvent(type="cia.submitted", source="/test/poison",
                                    subject="poison-submission", data={"version": "not a number"})
        producer.send(authoring_topic, key=b"poison-submission",
                      value=bad_submission.to_json().encode())
        bad_outcome = CloudEvent(type="review.completed", source="/test/poison",
                                 subject=str(uuid.uuid4()),
                                 data={"cia_id": str(uuid.uuid4()), "version": 1,
                                       "outcome": "maybe", "review_id": "r"})
        producer.send(review_topic, key=b"poison-outcome", value=bad_outcome.to_json().encode())
        producer.flush(30)
    finally:
        producer.close()

    # The poison lands in the DLQs, once per consumer that could not take it, with
    # its error: the garbage at every consumer of the topic, the bad submission at
    # the review service, the unknown outcome at the authoring service.
    garbage_readers = consumers_of("cia.authoring.events")
    assert {"review", "notifier"} <= garbage_readers
    expected = {
        f"{authoring_topic}.dlq": {(c, "poison-garbage") for c in garbage_readers}
        | {("review", "poison-submission")},
        f"{review_topic}.dlq": {("authoring", "poison-outcome")},
    }

    def dead_letters():
        return {topic: read_topic(system.kafka, topic) for topic in expected}

    found = wait_for(lambda: (lambda d: d if all(len(d[t]) >= len(expected[t]) for t in d)
                              else None)(dead_letters()), 90, 1.0, message="the poison in the DLQs")
    for topic, records in found.items():
        got = [(headers_of(r)["dlq-consumer"], r.key.decode()) for r in records]
        # Only the poison, each once: no good event was dead-lettered, not even
        # during the outages.
        assert sorted(got) == sorted(expected[topic]), topic
        for record in records:
            error = headers_of(record)["dlq-error"]
            if record.key == b"poison-garbage":
                assert record.value == garbage and error.startswith("unparseable")
            else:
                assert error.startswith("handler failed after 3 attempts"), error
            assert headers_of(record)["dlq-source"].startswith(topic[:-4])

    # Each worker counted what it dead-lettered, and each service's /metrics shows
    # the dead letters of its topic as pending.
    dead_lettered_by = {s: sum(c == s for entries in expected.values() for c, _ in entries)
                        for s in SERVICES}
    wait_for(lambda: {s: value(worker(system, s), "cia_dlq_messages_total")
                      for s in SERVICES} == dead_lettered_by, 30, 0.2,
             message="each worker's count of what it dead-lettered")
    assert value(worker(system, "notifier"), "cia_dlq_messages_total",
                 topic=f"{authoring_topic}.dlq") == 1  # the garbage, once
    wait_for(lambda: all(value(web(system, service), "cia_dlq_messages", topic=topic)
                         == len(expected[topic]) for service, topic in
                         (("authoring", f"{authoring_topic}.dlq"),
                          ("review", f"{review_topic}.dlq"))), 30, 0.5,
             message="the dead letters pending on /metrics")

    # The consumers moved on: a new CIA still goes all the way round. And the
    # duplicates changed nothing: still one review per submission, every webhook
    # once by id (nothing may repeat in this test), one cia.approved per approval.
    fresh = loop.draft()
    assert loop.submit(fresh).status_code == 200
    wait_for(lambda: loop.approve_open(), 90, 0.3, message="a review after the poison")
    assert not invariants.may_repeat
    invariants.check()
    assert fresh in invariants.approved_cias()
