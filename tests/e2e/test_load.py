"""50 planners at once create, edit (PATCH with If-Match) and submit 1,000 CIAs
against gunicorn on PostgreSQL while reviewers approve: no 5xx, no lost update,
every CIA approved. Correctness only; bench/load.py measures the same run's speed.

``CIA_LOAD_CIAS`` sets how many CIAs (default 1,000).
"""
from __future__ import annotations

import json
import os

import pytest

from tests.e2e.helpers import subscribe
from tests.faults.load import ROUNDS, SYSTEM_OPTIONS, run_load
from tests.faults.loop import Invariants, Loop
from tests.receiver import WebhookReceiver

pytestmark = pytest.mark.e2e

CIAS = int(os.environ.get("CIA_LOAD_CIAS", "1000"))
PLANNERS = 50


@pytest.mark.timeout(1500)
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
            rows = invariants.db.rows("authoring", "SELECT cia_id, content FROM cia_versions "
                                                   "WHERE status = 'approved'")
            lost = {}
            for row in rows:
                content = row.content if isinstance(row.content, dict) else json.loads(row.content)
                missing = set(result.lines[row.cia_id]) - set(
                    content["communications"]["press_lines"])
                if missing:
                    lost[row.cia_id] = missing
            assert len(rows) == CIAS and lost == {}
        finally:
            invariants.close()
