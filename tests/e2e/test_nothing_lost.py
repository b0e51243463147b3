"""With the broker down, the API still takes a submission; when the broker is
back, the review opens exactly once and the webhook arrives exactly once."""
from __future__ import annotations

import time
from collections import Counter

import pytest

from tests.e2e.helpers import create_authorised_operation, create_cia, reviews_of, submit, subscribe
from tests.support import wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.faults]


def test_submission_survives_a_broker_outage(make_system, pg_databases, receiver, broker_control):
    system = make_system(pg_databases)
    subscribe(system, receiver.url, ["review.requested"])
    cia = create_cia(system, create_authorised_operation(system))

    broker_control("stop")
    try:
        submitted = submit(system, cia["id"])  # asserts 2xx
        assert submitted["status"] == "submitted"
        time.sleep(3)  # the relay is now failing against the dead broker
        assert reviews_of(system, cia["id"]) == []
    finally:
        broker_control("start")

    wait_for(lambda: receiver.of_type("review.requested"), 120,
             message="review.requested after the broker came back")
    time.sleep(5)  # room for any duplicate to show up
    reviews = reviews_of(system, cia["id"])
    assert len(reviews) == 1
    by_id = Counter(r.headers["webhook-id"] for r in receiver.of_type("review.requested"))
    assert list(by_id.values()) == [1]
