"""Workers killed with SIGKILL in the middle of their work, while a stream of CIAs
moves through the loop: nothing is lost, nothing happens twice.

(b) each service's worker is killed mid-batch and restarted: the authoring
    worker while relaying a burst of submissions and again while applying a burst
    of approvals, the review worker while opening reviews;
(c) the notifier's worker is killed while webhook attempts are in flight to a
    slow receiver; the attempts it never recorded are made again after their
    lease, under the same webhook-id.

Each worker is frozen (SIGSTOP) just before it is killed, and the test checks that
it had work in flight then, so a kill that came too early or too late fails.
"""
from __future__ import annotations

import os
import signal
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.e2e.helpers import subscribe
from tests.e2e.metrics import value, web
from tests.faults.loop import Invariants, Loop, consumer_lag
from tests.receiver import WebhookReceiver
from tests.support import wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.faults]

FAULT_ENV = {
    # PDF conversion is not under test here and costs seconds of CPU per approval.
    "CIA_PDF_RENDER_AHEAD": "false",
    # A claimed webhook attempt whose worker died is retried once its lease
    # (this timeout + 30 s) has passed: keep that short.
    "CIA_DELIVERY_TIMEOUT_SECONDS": "3",
    "CIA_METRICS_LAG_INTERVAL_SECONDS": "1",
}


def freeze(system, service: str) -> None:
    """SIGSTOP the service's worker: it does nothing more until it is killed, so
    what its database and consumer group show now is what the kill leaves behind."""
    for p in system.procs[f"{service}-worker"]:
        os.killpg(p.pid, signal.SIGSTOP)


def kill_and_restart(system, service: str) -> None:
    system.stop_processes(f"{service}-worker", signal.SIGKILL)
    system.start_worker(service)


def submissions_of(invariants: Invariants, cia_ids, *, published: bool) -> set[str]:
    """Those of ``cia_ids`` whose cia.submitted event is (or is not yet) published."""
    rows = invariants.db.rows("authoring", "SELECT key, published_at FROM outbox "
                                           "WHERE event_type = 'cia.submitted'")
    wanted = set(cia_ids)
    return {r.key for r in rows
            if r.key in wanted and (r.published_at is not None) == published}


def test_workers_killed_mid_batch_lose_nothing_and_repeat_nothing(make_system, pg_databases):
    with WebhookReceiver() as fast, WebhookReceiver(delay=1.5) as slow:
        system = make_system(pg_databases, extra_env=FAULT_ENV)
        fast_id = subscribe(system, fast.url, ["review.requested", "cia.approved"])["id"]
        slow_id = subscribe(system, slow.url, ["review.*"])["id"]
        loop = Loop(system, year=2032)
        invariants = Invariants(system, loop, {fast_id: fast, slow_id: slow},
                                also={fast_id: ("cia.approved",), slow_id: ("review.completed",)})
        try:
            # Warm-up: one CIA all the way, so every consumer has joined its group.
            loop.submit(loop.draft()).raise_for_status()
            wait_for(lambda: loop.approve_open(), 90, 0.3, message="the first review")

            # (b) authoring worker killed while it relays a burst of submissions.
            burst = loop.drafts(12)
            first, rest = burst[:6], burst[6:]
            with ThreadPoolExecutor(1) as pool:
                submitting = pool.submit(loop.submit_all, first)
                wait_for(lambda: submissions_of(invariants, first, published=True), 30, 0.01,
                         message="the relay publishing the first submissions of the burst")
                freeze(system, "authoring")
                # Mid-burst: part relayed (above), part committed and left unpublished —
                # the rest of the burst is submitted while the relay is frozen, however
                # quickly it got through the first part.
                assert set(loop.submit_all(rest).values()) == {200}
                assert submissions_of(invariants, rest, published=False) == set(rest)
                kill_and_restart(system, "authoring")
                assert set(submitting.result().values()) == {200}

            # (b) review worker killed once it has opened some of the burst's reviews,
            # with events on its topic it had not yet got past.
            wait_for(lambda: {c for c, _ in invariants.review_rounds()} & set(burst), 90, 0.01,
                     message="the first reviews of the burst")
            freeze(system, "review")
            wait_for(lambda: consumer_lag(system, "review") > 0, 30, 0.1,
                     message="events the killed review worker had not got past")
            # The review service's /metrics shows that lag too.
            wait_for(lambda: value(web(system, "review"), "cia_consumer_lag") > 0, 30, 0.2,
                     message="the frozen review worker's lag on /metrics")
            kill_and_restart(system, "review")
            invariants.settle()

            # (b) authoring worker killed while it applies a burst of approvals (it
            # renders the documents of each), and (c) the notifier's worker killed
            # while it has attempts in flight at the slow receiver.
            seen = len(slow.received())
            assert loop.approve_open() == len(burst)
            wait_for(lambda: invariants.approved_cias() & set(burst), 90, 0.01,
                     message="the first approvals applied")
            freeze(system, "authoring")
            unapplied = (invariants.approved_reviews() - invariants.approved_cias()) & set(burst)
            assert unapplied, "every approval was applied before the kill: nothing in flight"
            kill_and_restart(system, "authoring")
            wait_for(lambda: len(slow.received()) > seen, 90, 0.01,
                     message="a webhook attempt in flight at the slow receiver")
            freeze(system, "notifier")
            # Claimed and not recorded: sent (or about to be) with no outcome written.
            # Only these may arrive twice, after their lease.
            in_flight = {r.event_id for r in invariants.db.rows(
                "notifier", "SELECT event_id FROM deliveries "
                            "WHERE status = 'pending' AND claim_token IS NOT NULL")}
            assert in_flight, "no webhook attempt in flight at the kill"
            assert value(web(system, "notifier"), "cia_webhook_pending") >= len(in_flight)
            invariants.may_repeat |= in_flight
            kill_and_restart(system, "notifier")

            invariants.check()
            assert set(burst) <= invariants.approved_cias()
            assert loop.submitted == invariants.approved_cias()
        finally:
            invariants.close()
