"""50 planners at once create, edit (PATCH with If-Match) and submit 100 CIAs
against gunicorn on PostgreSQL while reviewers approve: no 5xx, no lost update,
every CIA approved. Correctness only; ``bench/load.py`` runs the same load with
1,000 CIAs, measures its speed and exits non-zero on any 5xx, lost write or
unapproved CIA.

``CIA_LOAD_CIAS`` sets how many CIAs (default 100).
"""
from __future__ import annotations

import os

import pytest

from tests.e2e.helpers import subscribe
from tests.faults.load import ROUNDS, SYSTEM_OPTIONS, lost_lines, run_load
from tests.faults.loop import Invariants, Loop
from tests.receiver import WebhookReceiver

pytestmark = pytest.mark.e2e

CIAS = int(os.environ.get("CIA_LOAD_CIAS", "100"))
PLANNERS = 50


@pytest.mark.timeout(600)
def test_fifty_planners_and_their_reviewers(make_system, pg_databases):
    with WebhookReceiver() as rx:
        system = make_system(pg_databases, **SYSTEM_OPTIONS)
        sub = subscribe(system, rx.url, ["review.requested"])["id"]
        result = run_load(system, CIAS, planners=PLANNERS, reviewers=4)

        assert result.errors == []
        assert result.server_errors() == {}
        assert len(result.cias) == CIAS
        # Every second write of a round was stale, got 412, and was applied after a re-read.
        assert result.stale_writes == CIAS * ROUNDS
        assert result.statuses[("edit CIA (PATCH)", 412)] == CIAS * ROUNDS
        assert result.statuses[("edit CIA (PATCH)", 200)] == CIAS * ROUNDS * 2

        loop = Loop(system)
        loop.submitted = set(result.cias)
        invariants = Invariants(system, loop, {sub: rx})
        try:
            invariants.settle(timeout=600)
            loop.approve_open()  # whatever opened after the reviewers finished
            invariants.wait_approvals_applied(timeout=600)
            invariants.check()
            assert invariants.approved_cias() == set(result.cias)
            # No lost update: the approved content holds every line written to it.
            assert lost_lines(invariants, result) == {}
        finally:
            invariants.close()
