"""Before anything happens, every freshly started process's /metrics already
carries the series whose labels are known at start-up, at 0: each worker's dead
letters per topic it reads, events per type and outcome, consumer restarts, relay,
webhook outcomes and PDF conversions; each web's dead-letter backlog (its DLQ topic
does not exist yet) and consumer lag. So the first dead letter or given-up delivery
is an increase an alert sees, and a dashboard shows 0 rather than "no data"."""
from __future__ import annotations

import pytest

from cia_common.metrics import (CONSUMED_OUTCOMES, RESTART_REASONS, TIMED_OUTCOMES,
                                WEBHOOK_OUTCOMES)
from cia_schemas.contracts import CONTRACTS, TOPICS
from tests.e2e.metrics import Samples, value, web, worker
from tests.e2e.system import SERVICES
from tests.support import wait_for

pytestmark = pytest.mark.e2e

CONSUMES = {"authoring": ["cia.review.events", "cia.authoring.events"],
            "review": ["cia.authoring.events"],
            "notifier": ["cia.authoring.events", "cia.review.events"]}


def sample(samples: Samples, name: str, **labels) -> float | None:
    """The value of the one sample with exactly these labels; None if it is not there."""
    return samples.get((name, frozenset(labels.items())))


def test_a_fresh_system_exports_every_known_series_at_zero(make_system, pg_databases):
    system = make_system(pg_databases, extra_env={"CIA_METRICS_LAG_INTERVAL_SECONDS": "0.5"})
    prefix = system.prefix
    missing = []

    def expect(samples: Samples, where: str, name: str, **labels) -> None:
        got = sample(samples, name, **labels)
        if got != 0:
            missing.append(f"{where}: {name}{labels} = {got}")

    for service in SERVICES:
        got, where = worker(system, service), f"{service} worker"
        expect(got, where, "cia_outbox_published_total", service=service)
        for reason in RESTART_REASONS:
            expect(got, where, "cia_consumer_restarts_total", service=service, reason=reason)
        expect(got, where, "cia_events_handled_total", service=service, type="unparseable",
               outcome="dead_lettered")
        for name in CONSUMES[service]:
            expect(got, where, "cia_dlq_messages_total", service=service,
                   topic=f"{prefix}{name}.dlq")
            for contract in (c for c in CONTRACTS.values() if c.topic == name):
                # The contracts name each type's consumers (the notifier takes them all).
                handled = service == "notifier" or service in contract.consumers
                for outcome in CONSUMED_OUTCOMES if handled else ("ignored",):
                    expect(got, where, "cia_events_handled_total", service=service,
                           type=contract.type, outcome=outcome)
    notifier_worker = worker(system, "notifier")
    for outcome in WEBHOOK_OUTCOMES:
        expect(notifier_worker, "notifier worker", "cia_webhook_deliveries_total",
               outcome=outcome)
    for samples, where in ((worker(system, "authoring"), "authoring worker"),
                           (web(system, "authoring"), "authoring web")):
        for outcome in TIMED_OUTCOMES:
            expect(samples, where, "cia_pdf_conversion_seconds_count", outcome=outcome)

    for service in SERVICES:
        # The lag and DLQ gauges come from a background read of the broker that the
        # first scrape starts: wait until it has reached the broker once.
        def after_a_broker_read(service=service):
            samples = web(system, service)
            return samples if value(samples, "cia_kafka_up", service=service) == 1 else None

        got = wait_for(after_a_broker_read, 60, 0.3, message=f"{service} web read the broker")
        where = f"{service} web"
        expect(got, where, "cia_dlq_messages", service=service,
               topic=f"{prefix}{TOPICS[service]}.dlq")
        for name in CONSUMES[service]:
            lags = [v for (n, labels), v in got.items() if n == "cia_consumer_lag"
                    and dict(labels).get("topic") == f"{prefix}{name}"
                    and dict(labels).get("group") == f"{prefix}{service}-worker"]
            if lags == [] or any(lags):
                missing.append(f"{where}: cia_consumer_lag on {prefix}{name} = {lags}")
    assert missing == []
