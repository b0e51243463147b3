"""The audit trail: one hash chain per CIA, the audit endpoint and ``cia audit verify``."""
from __future__ import annotations

import hashlib
import json

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from cia_common.cli import main as cia_cli
from cia_common.web import db

from tests.integration.test_authoring_support import *  # noqa: F401,F403
from tests.integration.test_authoring_support import (ADMIN, FOI, PLANNER, PLANNER2, REVIEWER,
                                                      approved_cia, ok, problem)

pytestmark = pytest.mark.integration


def _canonical(value) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def test_every_change_is_chained_in_the_audit_trail(app, client):
    _op, cia = approved_cia(app, client)
    base = f"/api/v1/cias/{cia['id']}"
    v2 = ok(client.post(f"{base}/amendments", json={"reason": "New intelligence"},
                        headers=PLANNER2), 201)
    ok(client.patch(base, json={"content": {"header": {"title": "Amended"}}},
                    headers={**PLANNER2, "If-Match": v2["etag"]}))

    audit = ok(client.get(f"{base}/audit", headers=REVIEWER))
    assert audit["chain_valid"] is True
    entries = audit["entries"]
    assert [(e["action"], e["version"]) for e in entries] == [
        ("cia.created", 1), ("cia.submitted", 1), ("review.decision_applied", 1),
        ("document.rendered", 1), ("document.rendered", 1), ("cia.amended", 2),
        ("cia.edited", 2)]
    assert [e["seq"] for e in entries] == list(range(1, 8))
    assert entries[0]["actor"] == {"sub": "planner-1", "name": "Pat Planner"}
    assert entries[2]["actor"]["sub"] == "reviewer-1"
    assert entries[5]["detail"] == {"reason": "New intelligence", "amended_from": 1}
    assert entries[6]["detail"]["changed"] == ["/header/title"]
    assert {e["detail"]["kind"] for e in entries[3:5]} == {"full", "disclosure"}
    # content_sha256 is the hash of the content after the change.
    latest = ok(client.get(base, headers=PLANNER))
    assert entries[-1]["content_sha256"] == latest["content_hash"] == hashlib.sha256(
        _canonical(latest["content"]).encode()).hexdigest()
    # The chain, recomputed independently from what the API shows.
    prev = "0" * 64
    for e in entries:
        body = {"cia_id": cia["id"], "seq": e["seq"], "actor_sub": e["actor"]["sub"],
                "actor_name": e["actor"]["name"], "action": e["action"], "version": e["version"],
                "at": e["at"], "content_sha256": e["content_sha256"], "detail": e["detail"]}
        assert e["prev_hash"] == prev
        assert e["entry_hash"] == hashlib.sha256((prev + _canonical(body)).encode()).hexdigest()
        prev = e["entry_hash"]

    problem(client.get(f"{base}/audit", headers=FOI), 403)
    problem(client.get("/api/v1/cias/nope/audit", headers=ADMIN), 404)


def test_cli_verifies_chains_and_reports_the_first_broken_entry(app, client):
    _op, cia = approved_cia(app, client)
    _op2, _cia2 = approved_cia(app, client, reference="LFR-2026-0043")
    url = app.config["DATABASE_URL"]
    runner = CliRunner()

    good = runner.invoke(cia_cli, ["audit", "verify", "--database-url", url])
    assert good.exit_code == 0, good.output
    assert "OK: 2 audit chain(s), 10 entries verified." in good.output

    # Someone rewrites history directly in the database.
    with db(app).engine.begin() as conn:
        conn.execute(sa.text("UPDATE audit_entries SET actor_name = 'Nobody' "
                             "WHERE cia_id = :c AND seq = 2"), {"c": cia["id"]})
    bad = runner.invoke(cia_cli, ["audit", "verify", "--database-url", url])
    assert bad.exit_code == 1
    assert f"BROKEN: CIA {cia['id']}" in bad.output and "(seq 2)" in bad.output
    assert '"actor_name": "Nobody"' in bad.output
    assert ok(client.get(f"/api/v1/cias/{cia['id']}/audit", headers=ADMIN))["chain_valid"] is False

    # Deleting an entry breaks the chain too.
    with db(app).engine.begin() as conn:
        conn.execute(sa.text("UPDATE audit_entries SET actor_name = 'Pat Planner' "
                             "WHERE cia_id = :c AND seq = 2"), {"c": cia["id"]})
        conn.execute(sa.text("DELETE FROM audit_entries WHERE cia_id = :c AND seq = 3"),
                     {"c": cia["id"]})
    gone = runner.invoke(cia_cli, ["audit", "verify", "--database-url", url])
    assert gone.exit_code == 1 and "expected seq 3" in gone.output
