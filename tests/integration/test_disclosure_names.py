"""Names no rank announces, through the HTTP API on an approved CIA: the disclosure
DOCX (every part, read as a reader reads it) withholds a member of the public named
without a title, their forename alone, initials and a handle built from their name,
an address without a postcode and a child named with an age; look-alikes stay (a
ward, a town, a street without a number, public bodies, a Chief Superintendent's
name, 0.64). The planner's full document, beside it, shows them all."""
from __future__ import annotations

import pytest

from cia_common.web import db

from tests.integration.test_authoring_support import PLANNER, content_for, make_app, ok
from tests.integration.test_foi_support import FOI_OFFICER, approve
from tests.leaks import docx_texts, found

pytestmark = pytest.mark.integration

WITHHELD = ["Bernadette Fenwick-Osei", "Bernadette", "Fenwick", "Osei", "B.F.O.", "bfenwickosei",
            "42 Larkspur Gardens", "Tobias Fenwick-Osei", "aged 17"]
STAYS = ["Fairfield ward", "Croydon", "Surrey Street", "Croydon Council",
         "Safer Neighbourhoods Board", "Chief Superintendent Margaret Ashdown", "0.64"]


def test_names_no_rank_announces_are_withheld_and_look_alikes_stay(databases):
    app = make_app(databases.new("authoring"), PDF_RENDER_AHEAD=False)
    try:
        client = app.test_client()
        content = content_for("LFR-2026-0042")
        log = content["engagement_log"][3]
        log["summary"] = ("We met Bernadette Fenwick-Osei, chair of the residents' association, "
                          "who lives at 42 Larkspur Gardens. Her son Tobias Fenwick-Osei (aged 17) "
                          "asked how long images are kept.")
        log["outcome"] = ("Bernadette asked for the results; B.F.O. posts them as bfenwickosei. "
                          "Signage on Surrey Street agreed with Croydon Council and the Safer "
                          "Neighbourhoods Board in Fairfield ward, Croydon.")
        content["communications"]["plan"] += (" Chief Superintendent Margaret Ashdown will "
                                              "present the threshold of 0.64.")
        _op, cia = approve(app, client, content)

        full = "\n".join(docx_texts(client.get(f"/api/v1/cias/{cia['id']}/versions/1/document",
                                               headers=PLANNER).data).values())
        assert all(found(v, full) for v in WITHHELD + STAYS)  # positive control

        resp = client.get(f"/api/v1/disclosures/{cia['id']}/versions/1/document", headers=FOI_OFFICER)
        assert resp.status_code == 200
        parts = docx_texts(resp.data)
        leaked = [(v, name) for v in WITHHELD for name, text in parts.items() if found(v, text)]
        assert leaked == []
        body = parts["word/document.xml"]
        assert [v for v in STAYS if not found(v, body)] == []

        entries = ok(client.get(f"/api/v1/disclosures/{cia['id']}/versions/1/redaction-log",
                                headers=FOI_OFFICER))
        detectors = {e["detector"] for e in entries}
        assert {"person_model", "address", "child"} <= detectors
        # Each of the model's findings carries its score; the patterns' do not.
        assert all(0 < e["score"] <= 1 for e in entries if e["detector"] in ("person_model", "child"))
        assert not any("score" in e for e in entries if e["detector"] == "address")
        # The log printed in the copy carries no term: only the FOI officer's view may.
        terms = [e["term"] for e in entries if e.get("review")]
        assert not any(found(t, body) for t in terms)
    finally:
        db(app).dispose()
