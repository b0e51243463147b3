"""Workers killed with SIGKILL in the middle of their work, while a stream of CIAs
moves through the loop: nothing is lost, nothing happens twice.

(b) each service's worker is killed mid-batch and restarted: the authoring
    worker while relaying a burst of submissions and again while applying a burst
    of approvals, the review worker while opening reviews;
(c) the notifier's worker is killed while webhook attempts are in flight to a
    slow receiver; the attempts it never recorded are made again after their
    lease, under the same webhook-id.
"""
from __future__ import annotations

import signal
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.e2e.helpers import subscribe
from tests.faults.loop import Invariants, Loop
from tests.receiver import WebhookReceiver
from tests.support import wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.faults]

FAULT_ENV = {
    # PDF conversion is not under test here and costs seconds of CPU per approval.
    "CIA_PDF_RENDER_AHEAD": "false",
    # A claimed webhook attempt whose worker died is retried once its lease
    # (this timeout + 30 s) has passed: keep that short.
    "CIA_DELIVERY_TIMEOUT_SECONDS": "3",
}


def kill_and_restart(system, service: str) -> None:
    system.stop_processes(f"{service}-worker", signal.SIGKILL)
    system.start_worker(service)


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
            with ThreadPoolExecutor(1) as pool:
                submitting = pool.submit(loop.submit_all, burst)
                wait_for(lambda: loop.submitted & set(burst), 30, 0.01,
                         message="the first submissions of the burst")
                kill_and_restart(system, "authoring")
                assert set(submitting.result().values()) == {200}

            # (b) review worker killed once it has opened some of the burst's reviews.
            wait_for(lambda: {c for c, _ in invariants.review_rounds()} & set(burst), 90, 0.01,
                     message="the first reviews of the burst")
            kill_and_restart(system, "review")
            invariants.settle()

            # (b) authoring worker killed while it applies a burst of approvals (it
            # renders the documents of each), and (c) the notifier's worker killed
            # while it has attempts in flight at the slow receiver.
            seen = len(slow.received())
            assert loop.approve_open() == len(burst)
            wait_for(lambda: invariants.approved_cias() & set(burst), 90, 0.01,
                     message="the first approvals applied")
            kill_and_restart(system, "authoring")
            wait_for(lambda: len(slow.received()) > seen, 90, 0.01,
                     message="a webhook attempt in flight at the slow receiver")
            # Anything sent before the kill may have been in flight, unrecorded.
            invariants.may_repeat |= {r.webhook_id for rx in (fast, slow) for r in rx.received()}
            kill_and_restart(system, "notifier")

            invariants.check()
            assert set(burst) <= invariants.approved_cias()
            assert loop.submitted == invariants.approved_cias()
        finally:
            invariants.close()
