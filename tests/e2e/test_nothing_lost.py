"""With the broker down, the API still takes a submission; when the broker is
back, the review opens exactly once and the webhook arrives exactly once."""
from __future__ import annotations

from collections import Counter

import pytest

from tests.e2e.helpers import create_authorised_operation, create_cia, reviews_of, submit, subscribe
from tests.faults.loop import Databases, wait_quiet
from tests.support import wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.faults]


def test_submission_survives_a_broker_outage(make_system, pg_databases, receiver, broker_control,
                                             request):
    system = make_system(pg_databases)
    db = Databases(system)
    request.addfinalizer(db.dispose)
    subscribe(system, receiver.url, ["review.requested"])
    cia = create_cia(system, create_authorised_operation(system))
    # Nothing else waits to be relayed, so the relay's next pass after the
    # submission is about its event.
    wait_for(lambda: db.unpublished()["authoring"] == 0, 60, 0.2, message="an empty outbox")
    relay_log = system.log_dir / "authoring-worker.log"

    def relay_failures() -> int:
        return relay_log.read_text(errors="replace").count("relay: ")

    broker_control("stop")
    try:
        failures = relay_failures()
        submitted = submit(system, cia["id"])  # asserts 2xx
        assert submitted["status"] == "submitted"
        wait_for(lambda: relay_failures() > failures, 60, 0.2,
                 message="the relay failing against the stopped broker")
        # The relay has tried since and failed: the event waits, no review opened.
        assert db.rows("authoring", "SELECT count(*) FROM outbox WHERE event_type = "
                                    "'cia.submitted' AND key = :k AND published_at IS NULL",
                       k=cia["id"])[0][0] == 1
        assert reviews_of(system, cia["id"]) == []
    finally:
        broker_control("start")

    wait_for(lambda: receiver.of_type("review.requested"), 120,
             message="review.requested after the broker came back")
    # Every copy of every event handled and every delivery done: a duplicate
    # would be in the counts below by now.
    wait_quiet(system, db)
    reviews = reviews_of(system, cia["id"])
    assert len(reviews) == 1
    by_id = Counter(r.headers["webhook-id"] for r in receiver.of_type("review.requested"))
    assert list(by_id.values()) == [1]
