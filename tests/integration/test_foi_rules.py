"""Censor rules through the API, re-rendering by the worker's handlers (run
through the consumer's inbox), the release gate and the disclosure listing."""
from __future__ import annotations

import csv
import io
import json

import pytest
import sqlalchemy as sa

from cia_authoring.cias.models import Document
from cia_common.web import db

from tests.integration.test_authoring_support import (ADMIN, FOI, PLANNER, REVIEWER, client,
                                                      content_for, make_app, ok, outbox_events,
                                                      problem)
from tests.integration.test_foi_support import FOI_OFFICER, approve, checked, drain
from tests.leaks import found, readable

pytestmark = pytest.mark.integration
__all__ = ["client"]

RULES = "/api/v1/disclosures/rules"
# A bare name: no pattern can know it, so only the rule withholds it.
NAME = "Barnaby Thistlewood"


@pytest.fixture
def app(databases):
    # Censor rules are what these tests are about: the name model, which would find
    # the planted name on its own, is off, so that what withholds it is the rule.
    app = make_app(databases.new("authoring"), DISCLOSURE_NAME_MODEL=False)
    yield app
    db(app).dispose()


def content_naming_an_officer(reference: str) -> dict:
    content = content_for(reference)
    content["community_sentiment"]["summary"] += f" {NAME} attended the market walkabout."
    return content


def stored(app, cia_id, version=1) -> dict[str, str]:
    with db(app).sessions() as s:
        return {d.format: d.sha256 for d in s.execute(sa.select(Document).where(
            Document.cia_id == cia_id, Document.version == version,
            Document.kind == "disclosure")).scalars()}


def add_pdf(app, cia_id, version=1) -> None:
    """A PDF as the worker's PDF job would have stored it (no LibreOffice needed here)."""
    with db(app).sessions() as s:
        s.add(Document(cia_id=cia_id, version=version, kind="disclosure", format="pdf",
                       sha256="0" * 64, size=8, data=b"%PDF-old", redaction_log=[]))
        s.commit()


def copy_text(client, cia_id, version=1) -> str:
    """The disclosure copy's DOCX as a reader sees it (``tests.leaks``)."""
    resp = client.get(f"/api/v1/disclosures/{cia_id}/versions/{version}/document", headers=FOI)
    assert resp.status_code == 200
    return readable(resp.data)


def copy_of(client, cia_id, version=1) -> dict:
    return ok(client.get(f"/api/v1/disclosures/{cia_id}/versions/{version}", headers=FOI))


def test_rules_are_recorded_and_re_render_the_copies_they_change(app, client):
    _op, cia = approve(app, client, content_naming_an_officer("LFR-2026-0042"))
    _op2, other = approve(app, client, reference="LFR-2026-0043")
    # The approvals' own follow-ups first (the names they entered in the register).
    drain(app)
    add_pdf(app, cia["id"])
    before, before_other = stored(app, cia["id"]), stored(app, other["id"])
    # Positive control: the checker below sees the name before any rule withholds it.
    assert found(NAME, copy_text(client, cia["id"]))

    # Refused: not foi, a bad expression, a reason that repeats the withheld text.
    body = {"cia_id": cia["id"], "kind": "literal", "pattern": NAME, "exemption": "s40",
            "reason": "Name of an officer below the rank of Superintendent."}
    for who in (ADMIN, PLANNER, REVIEWER):
        problem(client.post(RULES, json=body, headers=who), 403)
    bad = problem(client.post(RULES, json={**body, "kind": "regex", "pattern": "(x"},
                              headers=FOI_OFFICER), 422)
    assert bad["errors"][0]["pointer"] == "/pattern"
    bad = problem(client.post(RULES, json={**body, "reason": f"Hides {NAME}."},
                              headers=FOI_OFFICER), 422)
    assert bad["errors"][0]["pointer"] == "/reason"
    problem(client.post(RULES, json={**body, "cia_id": "no-such-cia"}, headers=FOI_OFFICER), 422)

    created = ok(client.post(RULES, json=body, headers=FOI_OFFICER), 201)
    assert created["scope"] == "cia" and created["revision"] == 1 and created["active"]
    assert created["created_by"] == {"sub": "foi-7", "name": "Frances FOI"}
    assert created["created_at"] and created["history"][0]["action"] == "created"
    assert created["shown_as"] == "[Redacted — s.40(2)]" and created["copies_to_rerender"] == 1
    # The request renders nothing: it records the change as an event for the worker.
    assert stored(app, cia["id"]) == before
    [event] = outbox_events(app, "disclosure.rules_changed")
    assert event["data"]["rule_id"] == created["id"] and event["data"]["cia_id"] == cia["id"]
    assert not found(NAME, readable(json.dumps(event)))
    assert found(NAME, readable(json.dumps(created)))  # positive control: the rule holds it
    assert copy_of(client, cia["id"])["rerender_pending"] is True
    problem(client.post(f"/api/v1/disclosures/{cia['id']}/versions/1/release",
                        headers=FOI_OFFICER), 409)

    handled = drain(app)
    assert handled.count("disclosure.rerender_requested") == 1  # only this CIA's copy
    after = stored(app, cia["id"])
    assert set(after) == {"docx"} and after["docx"] != before["docx"]  # stale PDF gone
    assert stored(app, other["id"]) == before_other
    copy = copy_of(client, cia["id"])
    assert copy["rerender_pending"] is False and copy["sha256"] == after["docx"]
    text = copy_text(client, cia["id"])
    assert not found(NAME, text) and not found("Thistlewood", text)
    assert found("attended the market walkabout", text)
    log = ok(client.get(f"/api/v1/disclosures/{cia['id']}/versions/1/redaction-log", headers=FOI))
    assert {"pointer": "/community_sentiment/summary", "rule_id": created["id"],
            "detector": "censor_rule", "exemption": "s.40(2)", "reason": body["reason"]} in log
    audit = ok(client.get(f"/api/v1/cias/{cia['id']}/audit", headers=ADMIN))
    rerendered = [e for e in audit["entries"] if e["action"] == "disclosure.rerendered"]
    assert len(rerendered) == 1 and audit["chain_valid"]
    assert rerendered[0]["detail"]["docx_sha256"] == after["docx"]
    previous = dict(rerendered[0]["detail"]["previous"])
    assert previous.pop("template")["version"] == 0  # the shipped default made both
    assert previous == before

    # Replaying the same events changes nothing (the inbox, then the fingerprint).
    assert drain(app) == []

    # Release, then change the rule: the copy is re-rendered, listed for review
    # (never changed silently) and must be released again by a person.
    checked(app)
    released = ok(client.post(f"/api/v1/disclosures/{cia['id']}/versions/1/release",
                              json={"note": "FOI 01.FOI.22.024139"}, headers=FOI_OFFICER))
    assert released["state"] == "released" and released["released_by"]["sub"] == "foi-7"
    changed = ok(client.patch(f"{RULES}/{created['id']}", headers=FOI_OFFICER,
                              json={"replacement": "[Officer A]"}))
    assert changed["revision"] == 2 and changed["history"][-1]["changed"] == ["replacement"]
    assert changed["updated_by"]["sub"] == "foi-7"
    assert copy_of(client, cia["id"])["rerender_pending"] is True
    drain(app)
    copy = copy_of(client, cia["id"])
    assert copy["state"] == "needs_review" and copy["released_at"] is None
    [flagged] = outbox_events(app, "disclosure.needs_review")
    assert flagged["data"]["cia_id"] == cia["id"] and flagged["data"]["version"] == 1
    assert found("[Officer A] attended", copy_text(client, cia["id"]))
    entries = ok(client.get(f"/api/v1/cias/{cia['id']}/audit", headers=ADMIN))["entries"]
    assert entries[-1]["action"] == "disclosure.rerendered"
    assert entries[-1]["detail"]["release_withdrawn"] is True

    # Withdrawing the rule brings the name back (the rule is kept, with its history).
    withdrawn = ok(client.delete(f"{RULES}/{created['id']}", headers=FOI_OFFICER))
    assert withdrawn["active"] is False and withdrawn["history"][-1]["action"] == "withdrawn"
    drain(app)
    assert found(NAME, copy_text(client, cia["id"]))
    assert ok(client.get(RULES, headers=ADMIN)) == []
    listed = ok(client.get(RULES, query_string={"include_inactive": "true"}, headers=FOI))
    assert [r["id"] for r in listed] == [created["id"]]
    problem(client.get(f"{RULES}/missing", headers=FOI), 404)


def test_a_global_rule_that_changes_nothing_leaves_released_copies_alone(app, client):
    _op, cia = approve(app, client)
    checked(app)
    ok(client.post(f"/api/v1/disclosures/{cia['id']}/versions/1/release", headers=FOI_OFFICER))
    before = stored(app, cia["id"])
    rule = ok(client.post(RULES, headers=FOI_OFFICER, json={
        "kind": "regex", "pattern": r"\bZZ-NEVER-\d+\b", "exemption": "s31",
        "reason": "Reference numbers of covert assets."}), 201)
    assert rule["scope"] == "global" and rule["copies_to_rerender"] == 1
    drain(app)
    assert stored(app, cia["id"]) == before
    copy = copy_of(client, cia["id"])
    assert copy["state"] == "released" and copy["rerender_pending"] is False
    # A CIA approved after a global rule exists is brought under it by the worker.
    content = content_for("LFR-2026-0043")
    content["communications"]["plan"] += " Asset ZZ-NEVER-12 will attend."
    _op2, later = approve(app, client, content, reference="LFR-2026-0043")
    assert copy_of(client, later["id"])["rerender_pending"] is True
    drain(app)
    assert copy_of(client, later["id"])["rerender_pending"] is False
    text = copy_text(client, later["id"])
    assert not found("ZZ-NEVER-12", text)
    assert found("[Redacted — s.31(1)(a)(b)] will attend", text)
    # Positive control: the same checker sees the asset in the planner's full document.
    assert found("ZZ-NEVER-12", readable(client.get(
        f"/api/v1/cias/{later['id']}/versions/1/document", headers=PLANNER).data))


def test_release_gate_and_listing_filters(app, client):
    _op, first = approve(app, client)
    _op2, second = approve(app, client, reference="LFR-2026-0043")
    checked(app)
    url = f"/api/v1/disclosures/{first['id']}/versions/1/release"
    released = ok(client.post(url, json={"note": "FOI 01.FOI.22.024139"}, headers=FOI_OFFICER))
    assert released["state"] == "released" and released["release_note"] == "FOI 01.FOI.22.024139"
    again = problem(client.post(url, headers=FOI_OFFICER), 409)
    assert again["state"] == "released"
    problem(client.post(f"/api/v1/disclosures/{first['id']}/versions/7/release",
                        headers=FOI_OFFICER), 404)

    entries = ok(client.get(f"/api/v1/cias/{first['id']}/audit", headers=ADMIN))["entries"]
    last = entries[-1]
    assert last["action"] == "disclosure.released" and last["actor"]["sub"] == "foi-7"
    assert last["detail"]["docx_sha256"] == released["sha256"]
    assert last["detail"]["note"] == "FOI 01.FOI.22.024139"
    [event] = outbox_events(app, "disclosure.released")
    assert event["data"]["cia_id"] == first["id"]

    def listed(**query):
        return [(d["cia_id"], d["state"]) for d in
                ok(client.get("/api/v1/disclosures", query_string=query, headers=FOI))]

    assert listed(state="released") == [(first["id"], "released")]
    assert listed(state="pending_release") == [(second["id"], "pending_release")]
    assert set(listed(borough="CROYDON")) == {(first["id"], "released"),
                                              (second["id"], "pending_release")}
    assert listed(borough="Hackney") == []
    assert listed(**{"from": "2000-01-01", "to": "2001-01-01"}) == []
    assert len(listed(**{"from": "2000-01-01", "state": "released"})) == 1
    problem(client.get("/api/v1/disclosures", query_string={"state": "published"},
                       headers=FOI), 422)


def test_redaction_log_as_csv(app, client):
    _op, cia = approve(app, client)
    url = f"/api/v1/disclosures/{cia['id']}/versions/1/redaction-log"
    as_json = ok(client.get(url, headers=FOI))
    for resp in (client.get(url, headers={**FOI, "Accept": "text/csv"}),
                 client.get(url, query_string={"format": "csv"}, headers=ADMIN)):
        assert resp.status_code == 200 and resp.mimetype == "text/csv"
        rows = list(csv.DictReader(io.StringIO(resp.get_data(as_text=True))))
        assert [r["pointer"] for r in rows] == [e["pointer"] for e in as_json]
        assert list(rows[0]) == ["pointer", "rule_id", "detector", "exemption", "reason"]
        assert all(r["exemption"] in ("s.40(2)", "s.31(1)(a)(b)") and r["reason"] for r in rows)
    problem(client.get(url, headers={**FOI, "Accept": "image/png"}), 406)
