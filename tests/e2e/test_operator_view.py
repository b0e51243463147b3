"""What the engineer on call sees while CIAs go round the loop: every process's
/metrics (three web processes, three workers), and ``cia status`` healthy, then
unhealthy while a receiver fails and while a worker is stopped."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import requests

from tests.e2e.helpers import (ADMIN, create_authorised_operation, create_cia, decide, ok, submit,
                               subscribe, wait_review, wait_status)
from tests.e2e.metrics import has, value, web, worker
from tests.e2e.system import SERVICES, System
from tests.receiver import WebhookReceiver
from tests.support import wait_for

pytestmark = pytest.mark.e2e

ENV = {
    "CIA_METRICS_LAG_INTERVAL_SECONDS": "0.5",
    "CIA_PDF_RENDER_AHEAD": "false",       # so the PDF queue holds the approved documents
    "CIA_RETRY_SCHEDULE_SECONDS": "60",    # a failed delivery waits, visibly, for its retry
}


def cia_status(system: System, *args: str) -> subprocess.CompletedProcess:
    env = {**system.env()}
    for service in SERVICES:
        env[f"CIA_{service.upper()}_WORKER_METRICS_URL"] = \
            system.worker_metrics_url(service) + "/metrics"
    return subprocess.run([str(Path(sys.executable).parent / "cia"), "status", *args],
                          env=env, capture_output=True, text=True, timeout=60)


def test_every_process_reports_the_loop_and_cia_status_tells_healthy_from_not(
        make_system, databases):
    system = make_system(databases, extra_env=ENV)
    with WebhookReceiver() as good, WebhookReceiver(script=(503, 204)) as failing:
        subscribe(system, good.url, ["review.requested"])
        op = create_authorised_operation(system)
        cia = create_cia(system, op)
        submit(system, cia["id"])
        review = wait_review(system, cia["id"])
        wait_for(lambda: value(web(system, "review"), "cia_reviews_open") == 1, 30,
                 message="one open review on the review service's /metrics")
        wait_for(lambda: good.of_type("review.requested"), 60, message="the webhook")
        ok(decide(system, review["id"], "approve"), 200, 201)
        wait_status(system, cia["id"], "approved")

        # Every process answers /metrics with what it did.
        def loop_counted():
            review_worker, notifier_worker = worker(system, "review"), worker(system, "notifier")
            authoring_worker = worker(system, "authoring")
            return (value(review_worker, "cia_events_handled_total", type="cia.submitted",
                          outcome="handled") == 1
                    and value(authoring_worker, "cia_events_handled_total",
                              type="review.completed", outcome="handled") == 1
                    and value(notifier_worker, "cia_webhook_deliveries_total",
                              outcome="succeeded") >= 1
                    and value(authoring_worker, "cia_outbox_published_total") >= 2)
        wait_for(loop_counted, 60, 0.3, message="the workers' counters of the loop")

        def quiet():
            pages = {s: web(system, s) for s in SERVICES}
            return (all(value(p, "cia_outbox_pending") == 0 for p in pages.values())
                    and all(has(p, "cia_consumer_lag") and value(p, "cia_kafka_up") == 1
                            for p in pages.values())
                    and all(value(p, "cia_consumer_lag") == 0 for p in pages.values())
                    and pages)
        pages = wait_for(quiet, 90, 0.3, message="every outbox published and every group caught up")
        assert value(pages["review"], "cia_reviews_open") == 0
        assert value(pages["review"], "cia_reviews_overdue") == 0
        assert value(pages["authoring"], "cia_documents_pending_pdf") >= 1  # render-ahead off
        assert value(pages["notifier"], "cia_webhook_pending") == 0
        assert value(pages["notifier"], "cia_subscriptions_disabled") == 0
        for service in SERVICES:
            assert value(pages[service], "cia_database_up", service=service) == 1
            assert value(pages[service], "cia_dlq_messages") == 0
            assert has(worker(system, service), "process_cpu_seconds_total")

        healthy = cia_status(system)
        assert healthy.returncode == 0, healthy.stdout + healthy.stderr
        assert "OK: nothing needs attention." in healthy.stdout

        # A receiver that fails: its delivery waits for a retry, the subscription is failing.
        sub = subscribe(system, failing.url, ["review.requested"])
        second = create_cia(system, create_authorised_operation(system, "LFR-2031-0002"))
        submit(system, second["id"])
        wait_for(lambda: value(web(system, "notifier"), "cia_webhook_pending") > 0
                 and value(web(system, "notifier"), "cia_subscriptions_failing") == 1, 60, 0.2,
                 message="the failed delivery pending on /metrics")
        assert value(worker(system, "notifier"), "cia_webhook_deliveries_total",
                     outcome="retrying") == 1
        assert value(web(system, "notifier"), "cia_webhook_retrying") == 1
        unhealthy = cia_status(system)
        assert unhealthy.returncode == 1, unhealthy.stdout
        assert "notifier: 1 subscription(s) failing" in unhealthy.stdout

        # Redelivered once the receiver works again: healthy again.
        pending = ok(requests.get(system.url("notifier") +
                                  f"/api/v1/subscriptions/{sub['id']}/deliveries",
                                  params={"status": "pending"}, headers=ADMIN, timeout=10))
        items = pending["items"] if isinstance(pending, dict) else pending
        assert len(items) == 1
        ok(requests.post(system.url("notifier") + f"/api/v1/deliveries/{items[0]['id']}/redeliver",
                         headers=ADMIN, timeout=10), 202)
        wait_for(lambda: value(web(system, "notifier"), "cia_webhook_pending") == 0
                 and value(web(system, "notifier"), "cia_subscriptions_failing") == 0, 60, 0.2,
                 message="the redelivery succeeded")
        wait_for(lambda: cia_status(system).returncode == 0, 60, 0.5,
                 message="cia status healthy again")

        # A stopped worker: its events wait, and cia status says so.
        system.stop_processes("review-worker")
        stopped = cia_status(system)
        assert stopped.returncode == 1
        assert "review: worker unreachable" in stopped.stdout
        system.start_worker("review")
        wait_for(lambda: cia_status(system).returncode == 0, 90, 0.5,
                 message="cia status healthy once the worker is back")
