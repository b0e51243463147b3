"""Disclosure integrity through the HTTP API, on real approved CIAs.

One test per way a disclosure copy used to leak: a withheld value repeated in
open text (and in another CIA, through the name register), the operation's
printed fields, personal data in written forms, a censor rule's reason, the
deployments CSV, and a rule that could hang the service; plus the release of
superseded copies. Every file is read with the shared leak checker.
"""
from __future__ import annotations

import csv
import io
import json

import pytest

from cia_common.web import db

from tests.integration.test_authoring_support import (ADMIN, FOI, PLANNER, content_for,
                                                      create_operation, deliver, example, get_cia,
                                                      make_app, outbox_events,
                                                      ok, problem, review_completed)
from tests.integration.test_foi_statistics import SAMPLE, run_import
from tests.integration.test_foi_support import FOI_OFFICER, approve, checked, drain
from tests.leaks import docx_texts, found, pdf_text, readable

pytestmark = pytest.mark.integration

RULES = "/api/v1/disclosures/rules"


@pytest.fixture
def app(databases):
    app = make_app(databases.new("authoring"), PDF_RENDER_AHEAD=False)
    yield app
    db(app).dispose()


@pytest.fixture
def patterns_only(databases):
    # The register's tests: a name only the register can withhold (the name model,
    # which would find it on its own, is off).
    app = make_app(databases.new("authoring"), PDF_RENDER_AHEAD=False, DISCLOSURE_NAME_MODEL=False)
    yield app
    db(app).dispose()


@pytest.fixture
def client(app):
    return app.test_client()


def copy_parts(client, cia_id: str, version: int = 1) -> dict[str, str]:
    resp = client.get(f"/api/v1/disclosures/{cia_id}/versions/{version}/document", headers=FOI)
    assert resp.status_code == 200
    return docx_texts(resp.data)


def full_parts(client, cia_id: str, version: int = 1) -> dict[str, str]:
    resp = client.get(f"/api/v1/cias/{cia_id}/versions/{version}/document", headers=PLANNER)
    assert resp.status_code == 200
    return docx_texts(resp.data)


def leaks(values, parts: dict[str, str]) -> list[tuple[str, str]]:
    return [(v, name) for v in values for name, text in parts.items() if found(v, text)]


def test_a_withheld_value_is_withheld_wherever_it_is_repeated(patterns_only):
    app, client = patterns_only, patterns_only.test_client()
    content = content_for("LFR-2026-0042")
    content["risks"][0]["owner"] = "Imelda Grusczynski"
    content["engagement_log"][0]["contact_name"] = "Oswin Featherstonhaugh"
    content["deployment"]["camera_positions"] = ["Lamp column QX-17 by the Whitgift entrance"]
    content["deployment"]["site_description"] += " Cameras on lamp column QX-17 by the Whitgift entrance."
    content["communications"]["plan"] += " Questions to Imelda\u00a0GRUSCZYNSKI."
    content["area_profile"]["local_context"] += " Mr Featherstonhaugh spoke for the traders."
    content["engagement_log"][0]["outcome"] = "Grusczynski to follow up with the IAG."
    content["risks"][0]["owner_role"] = "Deputy to I. Grusczynski"
    _op, cia = approve(app, client, content)

    planted = ["Imelda Grusczynski", "Grusczynski", "Featherstonhaugh",
               "QX-17 by the Whitgift entrance"]
    assert leaks(planted, full_parts(client, cia["id"]))  # they are in the full document
    parts = copy_parts(client, cia["id"])
    assert leaks(planted, parts) == []
    assert "[redacted - s.40(2)] to follow up" in parts["word/document.xml"]

    # The name register: another CIA naming the same person, in open text only.
    other = content_for("LFR-2026-0043")
    other["communications"]["plan"] += " Briefing by Grusczynski on the day."
    _op2, cia2 = approve(app, client, other, reference="LFR-2026-0043")
    assert leaks(["Grusczynski"], copy_parts(client, cia2["id"])) == []
    log = ok(client.get(f"/api/v1/disclosures/{cia2['id']}/versions/1/redaction-log", headers=FOI))
    text = readable(json.dumps(log))
    assert found("register", text) and not found("Grusczynski", text)
    assert leaks(["Grusczynski"], full_parts(client, cia2["id"]))  # positive control


def test_a_name_entering_the_register_is_withheld_in_copies_rendered_before(patterns_only):
    app, client = patterns_only, patterns_only.test_client()
    earlier = content_for("LFR-2026-0044")
    earlier["communications"]["plan"] += " Leaflets checked by Ottoline Vasquez-Brannigan."
    _op, first = approve(app, client, earlier, reference="LFR-2026-0044")
    drain(app)
    assert leaks(["Vasquez-Brannigan"], copy_parts(client, first["id"]))  # nobody withheld it yet
    url = f"/api/v1/disclosures/{first['id']}/versions/1"
    checked(app)  # the worker reads the copy by sight before it can be released
    ok(client.post(f"{url}/release", json={}, headers=FOI_OFFICER))

    later = content_for("LFR-2026-0045")
    later["risks"][0]["owner"] = "Ottoline Vasquez-Brannigan"
    approve(app, client, later, reference="LFR-2026-0045")
    handled = drain(app)
    assert "disclosure.rerender_requested" in handled

    # The released copy was not changed silently: rendered again, listed for review.
    assert leaks(["Vasquez-Brannigan", "Ottoline Vasquez"], copy_parts(client, first["id"])) == []
    assert ok(client.get(url, headers=FOI))["state"] == "needs_review"
    flagged = [e for e in outbox_events(app, "disclosure.needs_review")
               if e["data"]["cia_id"] == first["id"]]
    assert len(flagged) == 1
    assert drain(app) == []  # nothing more to do: the register change was propagated once
    checked(app)
    ok(client.post(f"{url}/release", json={}, headers=FOI_OFFICER))  # a person releases it again


def test_the_operations_printed_fields_go_through_the_pass(app, client):
    op = create_operation(client, reference="LFR-2026-0051",
                          name="Op Kestrel - queries to 07700 900461",
                          location_name="Whitgift Centre, CR0 1UB",
                          ward="Fairfield (jo.planner at met dot police dot uk)")
    ok(client.post(f"/api/v1/operations/{op['id']}/authorisation",
                   json=example("authorisation.json"), headers=PLANNER))
    body = {"operation_id": op["id"], "content": content_for("LFR-2026-0051")}
    cia = ok(client.post("/api/v1/cias", json=body, headers=PLANNER), 201)
    ok(client.post(f"/api/v1/cias/{cia['id']}/submit", json={}, headers=PLANNER))
    assert deliver(app, review_completed(cia["id"], 1, "approved"))

    parts = copy_parts(client, cia["id"])
    assert any(name.startswith("word/header") for name in parts)
    assert leaks(["07700 900461", "CR0 1UB", "jo.planner", "met dot police"], parts) == []
    assert found("Whitgift Centre", parts["word/document.xml"])  # the rest stays


FORMS = [
    "07700\u00a0900\u2009123", "07700.900.123", "07700\u2013900123", "44 7700 900123",
    "jo.bloggs at met dot police dot uk", "jo.bloggs [at] met.police.uk",
    "jo.bloggs\u200b@met.police.uk", "jo.bloggs\uff20met.police.uk", "E15 1DB", "LX21 ABC",
    "QQ 12 34 56 C", "4471CD", "192.0.2.17", "12/03/1985",
]


def test_personal_data_in_written_forms_is_found_in_docx_and_pdf(app, client):
    content = content_for("LFR-2026-0042")
    content["community_sentiment"]["summary"] = (
        "Contacts: " + "; ".join(FORMS[:8]) + ". Seen: PC 4471CD, a car LX21 ABC, postcode E15 1DB, "
        "NI QQ 12 34 56 C, from 192.0.2.17; the complainant (DOB 12/03/1985) and PC Jo Bloggs.")
    _op, cia = approve(app, client, content)

    parts = copy_parts(client, cia["id"])
    assert leaks([*FORMS, "Jo Bloggs"], parts) == []
    pdf = client.get(f"/api/v1/disclosures/{cia['id']}/versions/1/document",
                     headers={**FOI, "Accept": "application/pdf"})
    assert pdf.status_code == 200 and pdf.data[:4] == b"%PDF"
    text = pdf_text(pdf.data)
    assert "redacted" in text
    assert [f for f in [*FORMS, "Jo Bloggs"] if found(f, text)] == []
    detectors = {e["detector"] for e in ok(client.get(
        f"/api/v1/disclosures/{cia['id']}/versions/1/redaction-log", headers=FOI))}
    assert {"phone", "email", "postcode", "vehicle_registration", "ni_number", "collar_number",
            "ip_address", "date_of_birth", "name_after_rank"} <= detectors


def test_a_rules_reason_is_scrubbed_like_any_other_text(app, client):
    content = content_for("LFR-2026-0042")
    content["community_sentiment"]["summary"] += " Tobias Wrennfield attended; log QZ-7781."
    _op, cia = approve(app, client, content)
    ok(client.post(RULES, json={"cia_id": cia["id"], "kind": "literal", "pattern": "Tobias Wrennfield",
                                "exemption": "s40", "reason": "Name of a junior officer."},
                   headers=FOI_OFFICER), 201)
    ok(client.post(RULES, json={"cia_id": cia["id"], "kind": "regex", "pattern": r"QZ-\d{4}",
                                "exemption": "s31",
                                "reason": "Log numbers; asked for by Tobias Wrennfield's manager."},
                   headers=FOI_OFFICER), 201)
    drain(app)
    parts = copy_parts(client, cia["id"])
    assert leaks(["Wrennfield", "QZ-7781"], parts) == []
    assert "log numbers; asked for by" in parts["word/document.xml"]  # the reason is printed
    log = client.get(f"/api/v1/disclosures/{cia['id']}/versions/1/redaction-log", headers=FOI)
    assert not found("Wrennfield", readable(log.data))
    as_csv = client.get(f"/api/v1/disclosures/{cia['id']}/versions/1/redaction-log?format=csv",
                        headers=FOI)
    assert as_csv.status_code == 200 and not found("Wrennfield", readable(as_csv.data))
    # Positive control: the same checker sees the name and the log number in the full document.
    assert len(leaks(["Wrennfield", "QZ-7781"], full_parts(client, cia["id"]))) >= 2


def test_the_deployments_csv_withholds_what_the_rules_withhold(app, client):
    assert run_import(app.config["DATABASE_URL"], SAMPLE).exit_code == 0
    before = client.get("/api/v1/statistics/deployments", headers=FOI).get_data(as_text=True)
    assert "Oxford Circus" in before
    ok(client.post(RULES, json={"kind": "literal", "pattern": "oxford  circus", "exemption": "s31",
                                "reason": "Sites of covert deployments."}, headers=FOI_OFFICER), 201)
    after = client.get("/api/v1/statistics/deployments", headers=FOI).get_data(as_text=True)
    rows = list(csv.DictReader(io.StringIO(after)))
    assert not found("Oxford Circus", readable(after))
    assert found("Oxford Circus", readable(before))  # positive control, by the same checker
    assert any(r["Location"] == "[Redacted — s.31(1)(a)(b)]" for r in rows)


def test_censor_rules_run_in_linear_time_and_unsafe_ones_are_refused(app, client):
    content = content_for("LFR-2026-0042")
    content["community_sentiment"]["summary"] += " " + "q" * 5000 + "x"
    _op, cia = approve(app, client, content)
    # (q+)+z backtracks exponentially on a backtracking engine; here it runs in
    # linear time, so the request and the re-rendering finish (within the
    # test's timeout) and nothing matches.
    ok(client.post(RULES, json={"cia_id": cia["id"], "kind": "regex", "pattern": "(q+)+z",
                                "exemption": "s31", "reason": "Test of a pathological rule."},
                   headers=FOI_OFFICER), 201)
    drain(app)
    assert "q" * 5000 in copy_parts(client, cia["id"])["word/document.xml"]
    for pattern, words in ((r"(a)\1", "back-references"), (r"(?<=x)abc", "look-around")):
        bad = problem(client.post(RULES, json={"kind": "regex", "pattern": pattern, "exemption": "s31",
                                               "reason": "Unsafe."}, headers=FOI_OFFICER), 422)
        assert bad["errors"][0]["pointer"] == "/pattern" and words in bad["errors"][0]["detail"]


def test_a_superseded_copy_is_released_only_on_purpose(app, client):
    _op, cia = approve(app, client)
    base = f"/api/v1/cias/{cia['id']}"
    ok(client.post(f"{base}/amendments", json={"reason": "New intelligence"}, headers=PLANNER), 201)
    current = get_cia(client, cia["id"])
    ok(client.patch(base, json={"content": {"header": {"title": "Amended"}}},
                    headers={**PLANNER, "If-Match": current["etag"]}))
    ok(client.post(f"{base}/submit", json={}, headers=PLANNER))
    assert deliver(app, review_completed(cia["id"], 2, "approved"))

    listed = {(d["version"], d["version_status"])
              for d in ok(client.get("/api/v1/disclosures", headers=ADMIN))}
    assert listed == {(1, "superseded"), (2, "approved")}
    url = f"/api/v1/disclosures/{cia['id']}/versions/1/release"
    checked(app)
    refused = problem(client.post(url, json={}, headers=FOI_OFFICER), 409)
    assert "superseded" in refused["detail"]
    released = ok(client.post(url, json={"confirm_superseded": True}, headers=FOI_OFFICER))
    assert released["state"] == "released"


def test_copies_rendered_by_an_earlier_pass_are_rendered_again(app, client):
    import sqlalchemy as sa

    from cia_authoring.disclosure.models import DisclosureCopy
    from cia_authoring.disclosure.refresh import RefreshStaleCopies

    _op, first = approve(app, client)
    _op2, second = approve(app, client, reference="LFR-2026-0046")
    drain(app)
    checked(app)
    url = f"/api/v1/disclosures/{first['id']}/versions/1"
    ok(client.post(f"{url}/release", json={}, headers=FOI_OFFICER))
    with db(app).sessions() as s:
        # The first as an earlier pass left it (other fingerprint, other context);
        # the second as copies were before they recorded anything (no row).
        row = s.get(DisclosureCopy, (first["id"], 1))
        row.rules_fingerprint, row.context_sha256 = "an-earlier-pass", "an-earlier-context"
        s.execute(sa.delete(DisclosureCopy).where(DisclosureCopy.cia_id == second["id"]))
        s.commit()
    assert ok(client.get(url, headers=FOI))["rerender_pending"] is True
    problem(client.post(f"/api/v1/disclosures/{second['id']}/versions/1/release", json={},
                        headers=FOI_OFFICER), 409)

    job = RefreshStaleCopies()
    assert job(db(app), app.config) < job.IDLE_S  # one done, one more waiting
    assert job(db(app), app.config) == job.IDLE_S  # none left
    first_copy = ok(client.get(url, headers=FOI))
    assert first_copy["rerender_pending"] is False
    assert first_copy["state"] == "needs_review"  # released, and rendered again: a person looks
    assert [e["data"]["cia_id"] for e in outbox_events(app, "disclosure.needs_review")] == [first["id"]]
    second_copy = ok(client.get(f"/api/v1/disclosures/{second['id']}/versions/1", headers=FOI))
    assert second_copy["rerender_pending"] is False and second_copy["state"] == "pending_release"
