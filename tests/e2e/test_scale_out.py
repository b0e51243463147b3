"""The loop with two web processes and two workers per service on PostgreSQL:
every effect still happens once.

Outbox rows are claimed with FOR UPDATE SKIP LOCKED, the consumers share the
partitions through their group, reminders and escalations are claimed row by
row, and so are webhook deliveries and their retries. The configuration makes
every review due at once (so both review workers race to remind and escalate)
and one receiver fail its first attempts (so both notifier workers race to
retry).
"""
from __future__ import annotations

from collections import Counter, defaultdict

import pytest

from tests.e2e.helpers import subscribe
from tests.faults.loop import Invariants, Loop, check_webhooks
from tests.receiver import WebhookReceiver
from tests.support import wait_for

pytestmark = pytest.mark.e2e

CIAS = 10
FAILURES_FIRST = 6  # the flaky receiver answers 500 to its first requests, then 200

SCALE_ENV = {
    "CIA_PDF_RENDER_AHEAD": "false",
    # Due at once: the reminder window reaches back past now, the lead time
    # puts the due time in the past and no minimum holds it off.
    "CIA_REVIEW_REMINDER_HOURS": "100000",
    "CIA_REVIEW_LEAD_HOURS": "100000",
    "CIA_REVIEW_MIN_HOURS": "0",
}


def test_two_of_everything_and_every_effect_once(make_system, pg_databases):
    with WebhookReceiver() as rx, WebhookReceiver(script=[500] * FAILURES_FIRST + [200]) as flaky:
        system = make_system(pg_databases, web_processes=2, workers_per_service=2,
                             extra_env=SCALE_ENV)
        assert {name: len(procs) for name, procs in system.procs.items() if "worker" in name} == \
            {"authoring-worker": 2, "review-worker": 2, "notifier-worker": 2}
        main = subscribe(system, rx.url, ["review.requested", "review.reminder", "review.overdue",
                                          "cia.approved"])["id"]
        retried = subscribe(system, flaky.url, ["review.requested"])["id"]
        loop = Loop(system, year=2034)
        invariants = Invariants(system, loop, {main: rx},
                                also={main: ("cia.approved", "review.reminder", "review.overdue")})
        try:
            assert set(loop.submit_all(loop.drafts(CIAS)).values()) == {200}
            invariants.settle()

            # Reminders and escalations: one of each per review, whichever worker sent it.
            def notices():
                rows = invariants.db.rows(
                    "review", "SELECT event_type, key FROM outbox "
                              "WHERE event_type IN ('review.reminder', 'review.overdue')")
                return Counter((r.event_type, r.key) for r in rows)

            wait_for(lambda: len(notices()) == 2 * CIAS, 120, 0.5,
                     message="a reminder and an escalation for every review")
            assert loop.approve_open() == CIAS
            invariants.check()
            assert set(notices().values()) == {1}
            assert {k for _, k in notices()} == loop.submitted
            assert invariants.approved_cias() == loop.submitted

            # Retries: each failed attempt retried once, never after a success.
            received = flaky.of_type("review.requested")
            by_id = defaultdict(list)
            for n, r in enumerate(flaky.received()):
                by_id[r.webhook_id].append("failed" if n < FAILURES_FIRST else "ok")
            assert set(by_id) == set(invariants.requested_events())
            assert all(outcomes[-1] == "ok" and outcomes.count("ok") == 1
                       for outcomes in by_id.values()), dict(by_id)
            assert len(received) == CIAS + FAILURES_FIRST
            attempts = invariants.db.rows(
                "notifier", "SELECT d.event_id, d.status, count(a.id) AS n FROM deliveries d "
                            "JOIN delivery_attempts a ON a.delivery_id = d.id "
                            "WHERE d.subscription_id = :s GROUP BY d.event_id, d.status",
                s=retried)
            assert {r.event_id: (r.status, r.n) for r in attempts} == \
                {i: ("succeeded", len(o)) for i, o in by_id.items()}
            check_webhooks(rx, set(invariants.requested_events()))
        finally:
            invariants.close()
