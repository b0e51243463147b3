"""Through the HTTP API on approved CIAs: an s.31 value said in other words in open
fields is withheld (a shop with its address, a call sign, a camera count, a time),
while the published location and start, another call sign, the ordinary word and the
threshold stay; and an FOI officer's release term releases a term the name model
withheld unsure of itself, never a value withheld by its field, the register, a child
or a censor rule, and the copy is rendered again each way."""
from __future__ import annotations

import pytest

from cia_common.web import db

from tests.integration.test_authoring_support import (ADMIN, FOI, PLANNER, content_for, make_app,
                                                      ok)
from tests.integration.test_foi_support import FOI_OFFICER, approve, checked, drain
from tests.leaks import docx_texts, found

pytestmark = pytest.mark.integration

TERMS = "/api/v1/disclosures/release-terms"


@pytest.fixture
def app(databases):
    app = make_app(databases.new("authoring"), PDF_RENDER_AHEAD=False)
    yield app
    db(app).dispose()


def copy_body(client, cia_id: str) -> str:
    resp = client.get(f"/api/v1/disclosures/{cia_id}/versions/1/document", headers=FOI)
    assert resp.status_code == 200
    return docx_texts(resp.data)["word/document.xml"]


def full_body(client, cia_id: str) -> str:
    resp = client.get(f"/api/v1/cias/{cia_id}/versions/1/document", headers=PLANNER)
    assert resp.status_code == 200
    return docx_texts(resp.data)["word/document.xml"]


SAID = ["camera above Boots", "Bravo 17", "bravo17", "three cameras", "8.40am", "14 North End"]
STAY = ["Operation Kestrel", "Bravo 18", "wore boots", "North End", "from 10:00", "0.64",
        "Fairfield ward"]


def test_an_s31_value_said_in_other_words_is_withheld_and_look_alikes_stay(app):
    client = app.test_client()
    content = content_for("LFR-2026-0042")
    content["deployment"]["camera_positions"] = [
        "Bracket above Boots at 14 North End (call sign BRAVO-17), 3 cameras facing north"]
    content["deployment"]["operational_timings"] = "Briefing 08:40; cameras live from 10:00."
    content["community_sentiment"]["summary"] = (
        "Traders asked about the camera above Boots and about Bravo 17 (Operation Kestrel); "
        "we said three cameras, briefed at 8.40am, leaflets at 14 North End. Bravo 18 "
        "officers wore boots. Cameras run from 10:00 along North End in Fairfield ward.")
    content["communications"]["plan"] += " The radio log names bravo17. The threshold is 0.64."
    _op, cia = approve(app, client, content)

    full = full_body(client, cia["id"])
    assert all(found(v, full) for v in SAID + STAY)  # positive control
    body = copy_body(client, cia["id"])
    assert [v for v in SAID if found(v, body)] == []
    assert [v for v in STAY if not found(v, body)] == []
    log = ok(client.get(f"/api/v1/disclosures/{cia['id']}/versions/1/redaction-log", headers=FOI))
    parts = [e for e in log if e["detector"] == "withheld_part"]
    assert {e["pointer"] for e in parts} >= {"/community_sentiment/summary", "/communications/plan"}
    assert all(e["exemption"] == "s.31(1)(a)(b)" for e in parts)


def test_a_release_term_releases_an_unsure_finding_and_nothing_withheld_otherwise(app):
    client = app.test_client()
    content = content_for("LFR-2026-0042")
    content["community_sentiment"]["protest_details"] = "Greggs was busy that day."
    content["communications"]["plan"] += " Leaflets checked by Rufus Quennell-Hart (aged 15)."
    ok(client.post("/api/v1/disclosures/rules", headers=FOI_OFFICER, json={
        "kind": "literal", "pattern": "Marlowe Yard", "exemption": "s31", "reason": "Tactical."}),
       201)
    _op, cia = approve(app, client, content)
    drain(app)
    url = f"/api/v1/disclosures/{cia['id']}/versions/1"

    # The model took the shop for a person, unsure of itself: withheld, listed for review.
    assert not found("Greggs", copy_body(client, cia["id"]))
    log = ok(client.get(f"{url}/redaction-log", headers=FOI))
    assert any(e.get("review") and e.get("term") == "Greggs" for e in log)
    checked(app)  # the worker reads the copy by sight before it can be released
    ok(client.post(f"{url}/release", json={}, headers=FOI_OFFICER))

    # What no officer's judgement of a detector overrules: 422, saying which.
    refused = {
        "Ruth Penhaligon-S40": "field",  # the planted engagement contact (an s40 field)
        "Rufus Quennell-Hart": "child",
        "Marlowe Yard": "censor_rule",
    }
    for term, why in refused.items():
        resp = client.post(TERMS, headers=FOI_OFFICER, json={
            "cia_id": cia["id"], "term": term, "reason": "Not personal data."})
        assert resp.status_code == 422, (term, resp.get_json())
        assert resp.get_json()["errors"][0]["withheld_by"] == why
    assert client.post(TERMS, headers=ADMIN, json={"term": "Greggs", "reason": "A shop."}
                       ).status_code == 403  # admin reads, only foi writes

    term = ok(client.post(TERMS, headers=FOI_OFFICER, json={
        "cia_id": cia["id"], "term": "Greggs", "reason": "A bakery chain, not a person."}), 201)
    assert term["scope"] == "cia" and term["copies_to_rerender"] == 1
    assert term["history"][0]["action"] == "created"
    assert "disclosure.release_terms_changed" in drain(app)
    body = copy_body(client, cia["id"])
    assert found("Greggs was busy that day", body)
    assert not found("Quennell", body) and not found("Marlowe Yard", body)  # still withheld
    # A released copy that changed is never changed silently.
    assert ok(client.get(url, headers=FOI))["state"] == "needs_review"
    assert [t["id"] for t in ok(client.get(TERMS, headers=FOI))] == [term["id"]]

    withdrawn = ok(client.delete(f"{TERMS}/{term['id']}", headers=FOI_OFFICER))
    assert not withdrawn["active"] and withdrawn["history"][-1]["action"] == "withdrawn"
    drain(app)
    assert not found("Greggs", copy_body(client, cia["id"]))
    assert ok(client.get(TERMS, headers=FOI)) == []
    assert len(ok(client.get(TERMS, headers=FOI, query_string={"include_inactive": True}))) == 1
