"""A stream of CIAs through a running system, and the invariants that must hold
afterwards, read from each service's own database and from the receivers.

Invariants (checked by ``Invariants.check``):
1. every submitted version has exactly one review round (open or closed);
2. every ``review.requested`` reaches each matching subscription once by
   ``webhook-id`` (a same-id repeat is allowed only where the test says so:
   an attempt in flight when the notifier was killed);
3. no outbox row stays unpublished, in any service;
4. every approved review made its CIA version approved, and ``cia.approved``
   was emitted once per approval.
"""
from __future__ import annotations

import functools
import itertools
import json
import threading
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import requests
import sqlalchemy as sa
from kafka import KafkaAdminClient, KafkaConsumer, TopicPartition

from tests.e2e.helpers import PLANNER, REVIEWER, example
from tests.e2e.system import System
from tests.receiver import WebhookReceiver
from tests.support import planted_content, wait_for

SERVICES = ("authoring", "review", "notifier")
PRODUCERS = {"cia": "authoring", "review": "review", "subscription": "notifier"}


class Databases:
    """Read access to the services' databases (one small engine per database)."""

    def __init__(self, system: System):
        self.urls = dict(system.database_urls)
        self._engines: dict[str, sa.Engine] = {}

    def rows(self, service: str, sql: str, **params) -> list:
        engine = self._engines.get(service)
        if engine is None:
            engine = self._engines[service] = sa.create_engine(
                self.urls[service], pool_pre_ping=True, pool_size=1, max_overflow=2)
        with engine.connect() as conn:
            return conn.execute(sa.text(sql), params).all()

    def unpublished(self) -> dict[str, int]:
        return {s: self.rows(s, "SELECT count(*) FROM outbox WHERE published_at IS NULL")[0][0]
                for s in SERVICES}

    def dispose(self) -> None:
        for engine in self._engines.values():
            engine.dispose()
        self._engines.clear()


@functools.lru_cache(maxsize=None)
def worker_specs() -> dict:
    """Each service's worker spec, as its worker builds it (what it consumes)."""
    from cia_authoring.settings import load as authoring_config
    from cia_authoring.worker import worker_spec
    from cia_common.config import load_config
    from cia_notifier.worker import build_spec as notifier_spec
    from cia_review.worker import build_spec as review_spec

    nowhere = {"DATABASE_URL": "sqlite:///:memory:"}
    specs = [worker_spec(authoring_config(nowhere)), review_spec(load_config("review", nowhere)),
             notifier_spec()]
    return {spec.service: spec for spec in specs}


def consumer_lag(system: System, service: str) -> int:
    """Events on the topics ``service``'s worker reads that its consumer group has
    not yet committed past. 0: it has handled every copy there is, duplicates too."""
    group = f"{system.prefix}{service}-worker"
    topics = [system.prefix + t for t in worker_specs()[service].subscribe_to]
    admin = KafkaAdminClient(bootstrap_servers=system.kafka)
    consumer = KafkaConsumer(bootstrap_servers=system.kafka, enable_auto_commit=False)
    try:
        committed = admin.list_group_offsets({group: None}).get(group, {})
        partitions = [TopicPartition(t, p) for t in topics
                      for p in consumer.partitions_for_topic(t)]
        ends = consumer.end_offsets(partitions) if partitions else {}
        return sum(end - max(committed[tp].offset if tp in committed else 0, 0)
                   for tp, end in ends.items())
    finally:
        consumer.close()
        admin.close()


def wait_quiet(system: System, db: "Databases", timeout: float = 120) -> None:
    """Wait until nothing more can happen on its own: every outbox row published,
    every worker's consumer group past every event (so any duplicate copy has
    been handled), and no webhook delivery pending (so none is still to be sent).
    A check for "nothing happened twice" made after this cannot pass by being early."""
    def quiet_now() -> bool:
        return (not any(db.unpublished().values())
                and all(consumer_lag(system, s) == 0 for s in SERVICES)
                and db.rows("notifier", "SELECT count(*) FROM deliveries "
                                        "WHERE status = 'pending'")[0][0] == 0)

    # The three reads are not one snapshot: two quiet passes in a row, so that work
    # moving from one stage to the next between reads shows up in the second.
    passes = []

    def quiet() -> bool:
        passes.append(quiet_now())
        return passes[-2:] == [True, True]

    wait_for(quiet, timeout, 0.2, message="the system to go quiet")


@dataclass
class Loop:
    """Planners and reviewers driving CIAs through ``system`` over HTTP."""
    system: System
    year: int = 2031
    submitted: set[str] = field(default_factory=set)   # CIA ids whose v1 submit answered 2xx
    _refs: itertools.count = field(default_factory=lambda: itertools.count(1))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _url(self, service: str, path: str) -> str:
        return self.system.url(service) + path

    def _next_reference(self) -> str:
        with self._lock:
            return f"LFR-{self.year}-{next(self._refs):04d}"

    def draft(self, headers: dict = PLANNER) -> str:
        """An authorised operation with a draft CIA naming it; the CIA id."""
        reference = self._next_reference()
        op = example("operation.json")
        op["reference"] = reference
        resp = requests.post(self._url("authoring", "/api/v1/operations"), json=op,
                             headers=headers, timeout=30)
        assert resp.status_code == 201, resp.text[:500]
        op_id = resp.json()["id"]
        resp = requests.post(self._url("authoring", f"/api/v1/operations/{op_id}/authorisation"),
                             json=example("authorisation.json"), headers=headers, timeout=30)
        assert resp.status_code in (200, 201), resp.text[:500]
        content = planted_content()
        content["header"]["operation_reference"] = reference
        resp = requests.post(self._url("authoring", "/api/v1/cias"), headers=headers, timeout=30,
                             json={"operation_id": op_id, "content": content})
        assert resp.status_code == 201, resp.text[:500]
        return resp.json()["id"]

    def drafts(self, n: int, workers: int = 6) -> list[str]:
        with ThreadPoolExecutor(workers) as pool:
            return list(pool.map(lambda _: self.draft(), range(n)))

    def submit(self, cia_id: str, headers: dict = PLANNER) -> requests.Response:
        resp = requests.post(self._url("authoring", f"/api/v1/cias/{cia_id}/submit"), json={},
                             headers=headers, timeout=30)
        if resp.ok:
            with self._lock:
                self.submitted.add(cia_id)
        return resp

    def submit_all(self, ids: list[str], workers: int = 6) -> dict[str, int]:
        with ThreadPoolExecutor(workers) as pool:
            return dict(zip(ids, (r.status_code for r in pool.map(self.submit, ids))))

    def reviews(self, **params) -> list[dict]:
        out, page = [], 1
        while True:
            resp = requests.get(self._url("review", "/api/v1/reviews"), headers=REVIEWER,
                                params={**params, "page": page, "page_size": 100}, timeout=30)
            assert resp.status_code == 200, resp.text[:500]
            items = resp.json()
            out.extend(items)
            if len(items) < 100:
                return out
            page += 1

    def approve_open(self, workers: int = 6) -> int:
        """Approve every open review once; returns how many were approved now."""
        def approve(review):
            return requests.post(
                self._url("review", f"/api/v1/reviews/{review['id']}/decisions"), headers=REVIEWER,
                json={"decision": "approve", "comment": "Proportionate.", "section_comments": []},
                timeout=30).status_code

        with ThreadPoolExecutor(workers) as pool:
            codes = list(pool.map(approve, self.reviews(state="open")))
        assert all(c in (201, 409) for c in codes), codes  # 409: decided meanwhile
        return codes.count(201)

    def cia_status(self, cia_id: str) -> str:
        resp = requests.get(self._url("authoring", f"/api/v1/cias/{cia_id}"), headers=PLANNER,
                            timeout=30)
        assert resp.status_code == 200, resp.text[:500]
        return resp.json()["status"]


class Invariants:
    """The checks every fault, load and scale-out test ends with."""

    def __init__(self, system: System, loop: Loop, receivers: dict[str, WebhookReceiver],
                 also: dict[str, tuple[str, ...]] | None = None):
        self.system = system
        self.loop = loop
        # subscription id -> its receiver; each subscription wants review.requested
        self.receivers = receivers
        # subscription id -> further event types it wants, each checked once by webhook-id too
        self.also = also or {}
        self.db = Databases(system)
        self.may_repeat: set[str] = set()  # webhook ids that may arrive twice (see module doc)

    def produced(self, event_type: str) -> set[str]:
        service = PRODUCERS[event_type.split(".")[0]]
        return {r.event_id for r in self.db.rows(
            service, "SELECT event_id FROM outbox WHERE event_type = :t", t=event_type)}

    # -- reads
    def review_rounds(self) -> Counter:
        return Counter((r.cia_id, r.version) for r in self.db.rows(
            "review", "SELECT cia_id, version FROM reviews"))

    def requested_events(self) -> dict[str, str]:
        """review.requested event id -> CIA id, from the review service's outbox."""
        rows = self.db.rows("review", "SELECT event_id, payload FROM outbox "
                                      "WHERE event_type = 'review.requested'")
        return {r.event_id: json.loads(r.payload)["data"]["cia_id"] for r in rows}

    def pending_deliveries(self) -> int:
        return self.db.rows("notifier", "SELECT count(*) FROM deliveries "
                                        "WHERE status = 'pending'")[0][0]

    # -- the checks
    def settle(self, timeout: float = 180) -> None:
        """Wait until the system is quiet: outboxes drained, a review for every
        submission, every review.requested delivered, no delivery pending."""
        wait_for(lambda: not any(self.db.unpublished().values()), timeout, 0.5,
                 message="every outbox row published")
        wait_for(lambda: self.loop.submitted <= {c for c, _ in self.review_rounds()}, timeout, 0.5,
                 message="a review for every submitted CIA")
        wait_for(lambda: not any(self.db.unpublished().values()), timeout, 0.5,
                 message="the review.requested rows published")
        expected = set(self.requested_events())
        for sub_id, rx in self.receivers.items():
            wait_for(lambda: expected <= webhook_ids(rx), timeout, 0.5,
                     message=f"every review.requested at subscription {sub_id}")
            for event_type in self.also.get(sub_id, ()):
                wait_for(lambda: self.produced(event_type) <= webhook_ids(rx, event_type),
                         timeout, 0.5, message=f"every {event_type} at subscription {sub_id}")
        wait_for(lambda: self.pending_deliveries() == 0, timeout, 0.5,
                 message="no delivery pending")
        # Follow-up work (a copy rendered again after a name entered the register)
        # may still be on its way: nothing is checked until it is done.
        wait_quiet(self.system, self.db, timeout)

    def check(self) -> None:
        self.wait_approvals_applied()
        self.settle()
        # 1. exactly one review round per submitted version, none for anything else
        rounds = self.review_rounds()
        assert {c for c, _ in rounds} == self.loop.submitted
        assert {k: n for k, n in rounds.items() if n != 1} == {}
        # 2. each review.requested at each subscription once by webhook-id
        events = self.requested_events()
        assert sorted(events.values()) == sorted(self.loop.submitted)  # one per round
        for sub_id, rx in self.receivers.items():
            check_webhooks(rx, set(events), self.may_repeat, label=sub_id)
            for event_type in self.also.get(sub_id, ()):
                check_webhooks(rx, self.produced(event_type), self.may_repeat,
                               event_type=event_type, label=f"{sub_id} {event_type}")
        deliveries = self.db.rows("notifier", "SELECT subscription_id, event_id FROM deliveries "
                                              "WHERE event_type = 'review.requested'")
        per_pair = Counter((d.subscription_id, d.event_id) for d in deliveries
                           if d.subscription_id in self.receivers)
        assert set(per_pair.values()) <= {1}  # one delivery per subscription and event
        assert len(per_pair) == len(events) * len(self.receivers)
        assert self.db.rows("notifier", "SELECT count(*) FROM deliveries "
                                        "WHERE status <> 'succeeded'")[0][0] == 0
        # 3. no outbox row left unpublished
        assert self.db.unpublished() == {s: 0 for s in SERVICES}
        # 4. every approval applied once
        self.check_approvals()

    def approved_reviews(self) -> set[str]:
        return {r.cia_id for r in self.db.rows(
            "review", "SELECT cia_id FROM reviews WHERE state = 'approved'")}

    def wait_approvals_applied(self, timeout: float = 180) -> None:
        approved = self.approved_reviews()
        wait_for(lambda: approved <= self.approved_cias(), timeout, 0.5,
                 message="every approved review applied to its CIA")

    def check_approvals(self) -> None:
        assert self.approved_reviews() == self.approved_cias()
        emitted = Counter(json.loads(r.payload)["subject"] for r in self.db.rows(
            "authoring", "SELECT payload FROM outbox WHERE event_type = 'cia.approved'"))
        assert set(emitted) == self.approved_cias()
        assert set(emitted.values()) <= {1}

    def approved_cias(self) -> set[str]:
        return {r.cia_id for r in self.db.rows(
            "authoring", "SELECT cia_id FROM cia_versions WHERE status = 'approved'")}

    def close(self) -> None:
        self.db.dispose()


def webhook_ids(rx: WebhookReceiver, event_type: str = "review.requested") -> set[str]:
    return {r.webhook_id for r in rx.of_type(event_type)}


def check_webhooks(rx: WebhookReceiver, expected: set[str], may_repeat: set[str] = frozenset(),
                   *, event_type: str = "review.requested", label: str = "") -> None:
    """Each expected event arrived, under its own id; nothing else; repeats only
    where allowed, and then byte for byte the same event."""
    received = rx.of_type(event_type)
    counts = Counter(r.webhook_id for r in received)
    assert set(counts) == expected, f"{label}: unexpected or missing webhook ids"
    for r in received:
        assert r.json()["id"] == r.webhook_id  # the webhook id is the event id
    repeated = {i for i, n in counts.items() if n > 1}
    assert repeated <= may_repeat, f"{label}: delivered twice: {sorted(repeated - may_repeat)}"
    bodies = defaultdict(set)
    for r in received:
        bodies[r.webhook_id].add(r.body)
    assert {i for i, b in bodies.items() if len(b) > 1} == set()
