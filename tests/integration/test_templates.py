"""A force's own Word templates through the HTTP API: upload, validation, preview,
roll-back, and the template each stored document records (API and audit trail)."""
from __future__ import annotations

import hashlib
import io

import docx
import pytest

from cia_authoring.templates import service
from cia_common.web import db

from tests.integration.test_authoring_support import (ADMIN, FOI, PLANNER, authorise,
                                                      create_cia, create_operation, deliver, libreoffice,
                                                      ok, problem, review_completed, submit)
# The app without PDFs rendered ahead, as the disclosure-integrity tests use it.
from tests.integration.test_disclosure_integrity import app, client  # noqa: F401 - fixtures
from tests.integration.test_foi_support import approve as approve_content
from tests.integration.test_foi_support import leaked, missing, planted_content, readable_text
from tests.leaks import found, readable
from tests.unit.test_templates_fields import every_field_template

pytestmark = pytest.mark.integration
__all__ = ["libreoffice"]

T = "/api/v1/templates"
PHRASE = "The Croydon Community Pledge binds every officer on this deployment."
HEADING = "2. Where and when we deploy"
OTHER_PHRASE = "Issued under the Kestrel Community Charter."


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def download(client) -> bytes:
    resp = client.get(f"{T}/cia", headers=ADMIN)
    assert resp.status_code == 200, resp.get_data(as_text=True)
    assert resp.headers["X-Template-SHA256"] == sha(resp.data)
    return resp.data


def modified(base: bytes, phrase: str = PHRASE, heading: str | None = HEADING) -> bytes:
    """The template edited as a force would in Word: a heading changed and a paragraph of
    fixed wording added after the title."""
    d = docx.Document(io.BytesIO(base))
    if heading:
        [para] = [p for p in d.paragraphs if p.text == "2. Deployment"]
        for run in para.runs[1:]:
            run.text = ""
        para.runs[0].text = heading
    anchor = next(p for p in d.paragraphs if p.style.name == "Heading 1")
    anchor.insert_paragraph_before(phrase)
    out = io.BytesIO()
    d.save(out)
    return out.getvalue()


def upload(client, data: bytes, note: str = "Force branding", headers=ADMIN):
    return client.put(f"{T}/cia", headers=headers, content_type="multipart/form-data",
                      data={"file": (io.BytesIO(data), "cia.docx"), "note": note})


def approved(app, client, reference: str) -> dict:
    op = create_operation(client, reference=reference)
    authorise(client, op["id"])
    cia = create_cia(client, op["id"])
    submit(client, cia["id"])
    assert deliver(app, review_completed(cia["id"], 1, "approved"))
    return ok(client.get(f"/api/v1/cias/{cia['id']}/versions/1", headers=PLANNER))


def full_doc(client, cia_id: str) -> bytes:
    resp = client.get(f"/api/v1/cias/{cia_id}/versions/1/document", headers=PLANNER)
    assert resp.status_code == 200
    return resp.data


def disclosure_doc(client, cia_id: str) -> bytes:
    resp = client.get(f"/api/v1/disclosures/{cia_id}/versions/1/document", headers=FOI)
    assert resp.status_code == 200
    return resp.data


def body_text(data: bytes) -> str:
    """Every part of the DOCX as a reader sees it (``tests.leaks``): tables, headers
    and footers too, not only the body's paragraphs."""
    return readable(data)


def test_an_uploaded_template_makes_the_documents_and_is_recorded(app, client):
    listed = ok(client.get(T, headers=ADMIN))
    assert [k["kind"] for k in listed][0] == "cia"
    assert listed[0]["active"]["version"] == 0
    default = download(client)

    data = modified(default)
    created = ok(upload(client, data), 201)
    assert created["version"] == 1 and created["active"] is True
    assert created["sha256"] == sha(data) and created["note"] == "Force branding"
    assert ok(client.get(T, headers=ADMIN))[0]["active"]["version"] == 1
    assert download(client) == data

    cia = approved(app, client, "LFR-2026-0051")
    for doc in (full_doc(client, cia["id"]), disclosure_doc(client, cia["id"])):
        text = body_text(doc)
        assert found(PHRASE, text) and found(HEADING, text)
        assert not found("2. Deployment", text)
    # The API and the audit trail name the template that made each stored document.
    docs = {(d["kind"], d["format"]): d for d in cia["documents"]}
    assert set(docs) == {("full", "docx"), ("disclosure", "docx")}
    for d in docs.values():
        assert d["template"] == {"kind": "cia", "version": 1, "sha256": sha(data)}
    audit = ok(client.get(f"/api/v1/cias/{cia['id']}/audit", headers=PLANNER))
    rendered = [e["detail"] for e in audit["entries"] if e["action"] == "document.rendered"]
    assert len(rendered) == 2
    assert all(d["template"]["sha256"] == sha(data) for d in rendered)

    # A draft's document, rendered on the fly, follows the template in force too.
    draft = create_cia(client, create_operation(client, reference="LFR-2026-0061")["id"])
    assert draft["documents"] == []
    resp = client.get(f"/api/v1/cias/{draft['id']}/versions/1/document", headers=PLANNER)
    assert resp.status_code == 200 and found(PHRASE, body_text(resp.data))


def test_invalid_templates_get_422_naming_each_problem_and_activate_nothing(app, client):
    default = download(client)
    unknown = modified(default, "Signed for {{ cia.content.sign_off.chief_constable.name }}")
    body = problem(upload(client, unknown), 422)
    [error] = body["errors"]
    assert error["pointer"] == "/file" and error["code"] == "unknown_variable"
    assert "cia.content.sign_off.chief_constable" in error["detail"]
    assert error["where"]["part"] == "word/document.xml"
    assert error["where"]["text"] == "Signed for {{ cia.content.sign_off.chief_constable.name }}"
    assert error["where"]["paragraph"] > 0

    syntax = modified(default, "{% if cia.status == 'approved' %}Approved", heading=None)
    body = problem(upload(client, syntax), 422)
    assert [e["code"] for e in body["errors"]] == ["syntax"]
    assert "endif" in body["errors"][0]["detail"]

    problem(client.put(f"{T}/cia", headers=ADMIN, content_type="multipart/form-data",
                       data={"note": "no file"}), 422)
    problem(upload(client, b"not a zip at all"), 422)

    versions = ok(client.get(f"{T}/cia/versions", headers=ADMIN))
    assert [(v["version"], v["active"]) for v in versions] == [(0, True)]
    assert download(client) == default


def test_only_admins_manage_templates(client):
    problem(upload(client, b"x", headers=PLANNER), 403)
    problem(client.get(T, headers=FOI), 403)
    problem(client.get(f"{T}/nonsense", headers=ADMIN), 404)


def test_roll_back_makes_the_next_document_use_the_old_version(app, client):
    default = download(client)
    first = modified(default)
    ok(upload(client, first), 201)
    second = modified(default, OTHER_PHRASE, heading=None)
    ok(upload(client, second, note="Charter wording"), 201)
    assert [v["version"] for v in ok(client.get(f"{T}/cia/versions", headers=ADMIN))] == [0, 1, 2]

    rolled = ok(client.post(f"{T}/cia/versions/1/activate", headers=ADMIN))
    assert rolled["version"] == 1 and rolled["active"] is True
    problem(client.post(f"{T}/cia/versions/1/activate", headers=ADMIN), 409)
    problem(client.post(f"{T}/cia/versions/9/activate", headers=ADMIN), 404)

    cia = approved(app, client, "LFR-2026-0052")
    text = body_text(full_doc(client, cia["id"]))
    assert found(PHRASE, text) and not found(OTHER_PHRASE, text)
    assert {d["template"]["version"] for d in cia["documents"]} == {1}

    ok(client.post(f"{T}/cia/versions/0/activate", headers=ADMIN))
    cia = approved(app, client, "LFR-2026-0053")
    text = body_text(full_doc(client, cia["id"]))
    assert not found(PHRASE, text) and found("2. Deployment", text)
    assert {d["template"]["sha256"] for d in cia["documents"]} == {sha(default)}


def test_preview_renders_the_example_without_activating(client):
    data = modified(download(client))
    resp = client.post(f"{T}/cia/preview", headers=ADMIN, content_type="multipart/form-data",
                       data={"file": (io.BytesIO(data), "cia.docx")})
    assert resp.status_code == 200, resp.get_data(as_text=True)
    text = body_text(resp.data)
    assert found(PHRASE, text) and found("Croydon Town Centre LFR Deployment", text)  # the example
    assert [v["version"] for v in ok(client.get(f"{T}/cia/versions", headers=ADMIN))] == [0]
    bad = modified(download(client), "{{ nonsense }}")
    body = problem(client.post(f"{T}/cia/preview", headers=ADMIN,
                               content_type="multipart/form-data",
                               data={"file": (io.BytesIO(bad), "cia.docx")}), 422)
    assert "nonsense" in body["errors"][0]["detail"]


def test_preview_as_pdf(client, libreoffice):
    data = modified(download(client))
    resp = client.post(f"{T}/cia/preview", headers={**ADMIN, "Accept": "application/pdf"},
                       content_type="multipart/form-data",
                       data={"file": (io.BytesIO(data), "cia.docx")})
    assert resp.status_code == 200, resp.get_data(as_text=True)
    assert resp.data[:4] == b"%PDF" and resp.mimetype == "application/pdf"
    assert "croydon community pledge" in readable_text(resp.data)


def test_guide_lists_every_variable_with_its_class(client):
    guide = ok(client.get(f"{T}/cia/fields", headers=ADMIN))
    by_name = {v["name"]: v for v in guide["variables"]}
    assert by_name["cia.content.risks[].owner"]["disclosure"] == "s40"
    assert by_name["cia.content.deployment.camera_positions"]["disclosure"] == "s31"
    assert {"cia.content.risks", "cia.content.engagement_log",
            "cia.content.equality_impacts.entries"} <= {lp["name"] for lp in guide["loops"]}
    assert {"dt", "label", "iclabel"} <= {h["name"] for h in guide["helpers"]}


def test_a_template_printing_every_field_discloses_no_exempt_value(app, client):
    template = every_field_template()
    ok(upload(client, template, note="prints every field"), 201)
    content, tokens = planted_content("LFR-2026-0042")
    # Text only the FOI team's censor rules withhold is not exempt here (no rule is set).
    tokens = {k: v for k, v in tokens.items() if not k.startswith("censor rule")}
    assert any(k.startswith("/sign_off/") for k in tokens)  # every s40 / s31 field is planted
    _op, cia = approve_content(app, client, content)

    full = readable_text(full_doc(client, cia["id"]))
    assert missing(tokens, full) == []  # the template does print every planted value
    copy = disclosure_doc(client, cia["id"])
    assert leaked(tokens, readable_text(copy)) == []
    assert "[redacted - s.40(2)]" in readable_text(copy)


def test_rerender_after_a_censor_rule_keeps_the_template_version_unless_asked(app, client):
    default = download(client)
    ok(upload(client, modified(default)), 201)
    cia = approved(app, client, "LFR-2026-0054")
    newer = modified(default, OTHER_PHRASE, heading=None)
    ok(upload(client, newer), 201)

    ok(client.post("/api/v1/disclosures/rules", headers=FOI,
                   json={"cia_id": cia["id"], "kind": "literal", "pattern": "North End",
                         "exemption": "s31", "reason": "Reveals the camera site."}), 201)
    url = f"/api/v1/disclosures/{cia['id']}/versions/1/rerender"
    outcome = ok(client.post(url, headers=FOI, json={}))
    assert outcome["status"] == "rerendered"
    assert outcome["template"]["version"] == 1
    text = body_text(disclosure_doc(client, cia["id"]))
    assert found(PHRASE, text) and not found(OTHER_PHRASE, text)
    # Withheld by the rule everywhere, table cells included (the full document has it there).
    assert not found("North End", text)
    assert found("North End", body_text(full_doc(client, cia["id"])))

    outcome = ok(client.post(url, headers=FOI, json={"template": "active"}))
    assert outcome["status"] == "rerendered"
    assert outcome["template"] == {"kind": "cia", "version": 2, "sha256": sha(newer)}
    text = body_text(disclosure_doc(client, cia["id"]))
    assert found(OTHER_PHRASE, text) and not found(PHRASE, text)
    assert not found("North End", text)
    problem(client.post(url, headers=PLANNER, json={}), 403)
    audit = ok(client.get(f"/api/v1/cias/{cia['id']}/audit", headers=ADMIN))
    rerendered = [e["detail"] for e in audit["entries"] if e["action"] == "disclosure.rerendered"]
    assert [d["template"]["version"] for d in rerendered][-2:] == [1, 2]


def test_the_foi_letter_template_is_a_kind_of_its_own(app, client):
    kinds = {k["kind"]: k for k in ok(client.get(T, headers=ADMIN))}
    assert kinds["foi-response"]["active"]["version"] == 0
    default = client.get(f"{T}/foi-response", headers=ADMIN).data
    letter = modified(default, "Yours sincerely, the Information Rights Unit.", heading=None)
    created = ok(client.put(f"{T}/foi-response", headers=ADMIN,
                            content_type="multipart/form-data",
                            data={"file": (io.BytesIO(letter), "foi-response.docx")}), 201)
    assert created["version"] == 1
    with db(app).sessions() as session:
        version, digest, data = service.active_template(session, "foi-response")
    assert (version, digest, data) == (1, sha(letter), letter)
    # The CIA template is untouched; an unknown name in a letter is refused as well.
    assert kinds["cia"]["active"]["version"] == 0
    bad = modified(default, "{{ requester_home_address }}", heading=None)
    body = problem(client.put(f"{T}/foi-response", headers=ADMIN,
                              content_type="multipart/form-data",
                              data={"file": (io.BytesIO(bad), "foi-response.docx")}), 422)
    assert "requester_home_address" in body["errors"][0]["detail"]
