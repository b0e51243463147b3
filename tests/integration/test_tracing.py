"""One submission is one trace across the three services: the planner's request in
authoring, the review opened from ``cia.submitted``, the notifier's handling of
``review.requested`` and its webhook, linked by the CloudEvents ``traceparent``."""
from __future__ import annotations

import pytest

from cia_common.auth import mint_token
from cia_common.config import load_config, topic
from cia_common.kafka_clients import ensure_topics, make_producer
from cia_common.outbox import publish_pending
from cia_common.web import db
from cia_notifier.app import create_app as create_notifier_app
from cia_notifier.settings import notifier_config
from cia_notifier.worker import build_spec as notifier_spec
from cia_review.app import create_app as create_review_app
from cia_review.worker import build_spec as review_spec
from tests.integration.test_authoring_support import (authorise, create_cia, create_operation,
                                                      make_app, submit)
from tests.receiver import WebhookReceiver
from tests.support import recorded_spans, running_worker, wait_for

pytestmark = pytest.mark.integration


@pytest.fixture
def spans():
    with recorded_spans() as exporter:
        yield exporter


def test_one_submission_is_one_trace_spanning_all_three_services(databases, kafka_bootstrap,
                                                                 topic_prefix, spans):
    common = {"KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap, "TOPIC_PREFIX": topic_prefix}
    authoring = make_app(databases.new("authoring"), **common)
    review_cfg = load_config("review", {"DATABASE_URL": databases.new("review"), **common,
                                        "REVIEWERS": "reviewer-1",
                                        "REVIEW_URL": "http://review.test"})
    review = create_review_app(review_cfg)
    notifier_cfg = notifier_config({"DATABASE_URL": databases.new("notifier"), **common,
                                    "WEBHOOK_ALLOWED_HOSTS": "127.0.0.1"})
    notifier = create_notifier_app(notifier_cfg)
    ensure_topics(kafka_bootstrap, [topic(review_cfg, t) for t in
                                    ("cia.authoring.events", "cia.review.events",
                                     "cia.notifier.events")])
    admin = {"Authorization": "Bearer " + mint_token(notifier.config["JWT_SECRET"], sub="adm",
                                                     name="Admin", roles=["admin"])}
    producer = make_producer(kafka_bootstrap)
    try:
        with WebhookReceiver() as rx:
            assert notifier.test_client().post(
                "/api/v1/subscriptions", headers=admin,
                json={"url": rx.url, "event_types": ["review.requested"]}).status_code == 201
            client = authoring.test_client()
            op = create_operation(client)
            authorise(client, op["id"])
            cia = create_cia(client, op["id"])
            submit(client, cia["id"], requested_reviewers=["reviewer-1"])
            assert publish_pending(db(authoring), producer) >= 1  # the authoring relay
            # The apps migrated their databases: two workers starting in one process
            # must not run Alembic at once (its context is process-global).
            with running_worker(review_spec(review_cfg), {**review_cfg, "RUN_MIGRATIONS": False}), \
                    running_worker(notifier_spec(notifier_cfg),
                                   {**notifier_cfg, "RUN_MIGRATIONS": False}):
                [hook] = wait_for(rx.received, 60, message="the review.requested webhook")
    finally:
        producer.close()
        for app in (authoring, review, notifier):
            db(app).dispose()

    finished = spans.get_finished_spans()
    [request] = [s for s in finished if s.name == "POST /api/v1/cias/<string:cia_id>/submit"]
    trace_id = request.context.trace_id
    in_trace = [s for s in finished if s.context.trace_id == trace_id]
    assert {s.attributes["cia.service"] for s in in_trace} == {"authoring", "review", "notifier"}
    by_hop = {(s.attributes["cia.service"], s.name): s for s in in_trace}
    opened = by_hop[("review", "cia.submitted process")]
    # Each hop is the child of the one that emitted its event.
    assert opened.parent.span_id == request.context.span_id
    for hop in (("notifier", "review.requested process"), ("notifier", "webhook deliver")):
        assert by_hop[hop].parent.span_id == opened.context.span_id, hop
    # The event says which trace it belongs to, and the webhook carries the trace on.
    trace_hex = format(trace_id, "032x")
    assert hook.json()["traceparent"].split("-")[1] == trace_hex
    assert hook.headers["traceparent"].split("-")[1] == trace_hex
    # Other requests are traces of their own.
    [created] = [s for s in finished if s.name == "POST /api/v1/cias"]
    assert created.context.trace_id != trace_id
