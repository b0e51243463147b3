"""FOI request cases through the authoring API: receipt and the statutory clock,
answers of every kind, the response letter and its attachments, approval by a
second officer, sending, the public disclosure log, the deadline notices of the
worker, timeliness and ``cia foi-requests due``. Outputs are read as a reader
would (``tests.leaks``) for planted exempt values and for the requester."""
from __future__ import annotations

import csv
import io
import json
import zipfile
from datetime import date
from pathlib import Path

import jsonschema_rs
import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from cia_authoring.foi_requests import jobs, service
from cia_notifier.deliveries.teams import teams_message
from cia_notifier.subscriptions import rules as notifier_rules
from cia_common.cli import main as cia
from cia_common.web import db

from tests.integration.test_authoring_support import (ADMIN, FOI, PLANNER, app, authorise, bearer,
                                                      client, content_for, create_operation,
                                                      deliver, make_app, ok, outbox_events,
                                                      problem, review_completed)
from tests.integration.test_foi_support import (FOI_OFFICER, approve, at, checked, drain, leaked,
                                                planted_content, public_log, readable_text)
from tests.leaks import found, readable

pytestmark = pytest.mark.integration
__all__ = ["app", "client"]

FOI2 = bearer("foi-2", "Felix Second", "foi")
BASE = "/api/v1/foi-requests"
SAMPLE = Path(__file__).resolve().parents[2] / "examples" / "deployments-sample.csv"
REQUESTER = {"name": "Zebedee Quarrington-Requester", "email": "zebedee.requester@leak.example.net",
             "address": "14 Quenby Mews, London N1 7QX", "phone": "07700 900461"}
MAY, JUNE = "LFR-2026-0042", "LFR-2026-0043"
PUBLISHED_URL = "https://www.met.police.uk/foi-ai/lfr/cia-lfr-2026-0043"
# Words of the CIAs a letter may quote: a sentence of May's s.31 location rationale, the
# call sign in June's intelligence case, May's IAG contact (s.40).
S31_SENTENCE = "The bracket above Boots at 14 North End covers the approach from the station."
CALL_SIGN = "Source BRAVO-17."
CONTACT = "Helen Mabury"
# A legacy document's title names a witness the FOI officer withheld by a term.
WITNESS = "Ottoline Quillfeather"


def grid_2024(tmp_path: Path) -> Path:
    """The sample deployment grid's rows with figures by IC code, dated 2024."""
    rows = list(csv.DictReader(io.StringIO(SAMPLE.read_text())))
    with_ic = [r for r in rows if r["IC1 true alerts"].strip()]
    for i, row in enumerate(with_ic):
        row["Date"] = f"2024-0{i + 3}-1{i}"
    out = tmp_path / "grid-2024.csv"
    with out.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(with_ic)
    return out


def quoted_content(reference: str) -> tuple[dict, dict]:
    """Planted content whose s.31 and s.40 fields also hold what a letter may quote."""
    content, tokens = planted_content(reference)
    deployment = content["deployment"]
    deployment["location_rationale"] = f"{S31_SENTENCE} {deployment['location_rationale']}"
    content["intelligence_case"]["key_points"][0] = CALL_SIGN
    content["engagement_log"][0]["contact_name"] = CONTACT
    tokens["quoted"] = [S31_SENTENCE, "BRAVO-17", CONTACT, "Mabury"]
    return content, tokens


def seed(app, client, tmp_path) -> dict:
    """Two released copies (May planted, June published elsewhere) and 2024 IC figures."""
    planted, tokens = quoted_content(MAY)
    _op, may = approve(app, client, planted, reference=MAY)
    june_op = create_operation(client, reference=JUNE, planned_start="2026-06-10T10:00:00+01:00",
                               planned_end="2026-06-10T18:00:00+01:00")
    authorise(client, june_op["id"])
    june = ok(client.post("/api/v1/cias", json={"operation_id": june_op["id"],
                                                "content": quoted_content(JUNE)[0]},
                          headers=PLANNER), 201)
    ok(client.post(f"/api/v1/cias/{june['id']}/submit", json={}, headers=PLANNER))
    assert deliver(app, review_completed(june["id"], 1, "approved"))
    checked(app)
    for cia_id in (may["id"], june["id"]):
        ok(client.post(f"/api/v1/disclosures/{cia_id}/versions/1/release", headers=FOI_OFFICER))
    # A legacy CIA of the May operation written before the system (its title names a
    # witness an FOI officer withheld by a term), and one published elsewhere.
    legacy = ok(upload_legacy(client, _op["id"], legacy_docx("May"),
                              f"Legacy CIA May 2026 with the statement of {WITNESS}"), 201)
    ok(client.post(f"/api/v1/documents/{legacy['id']}/redactions", headers=FOI, json={
        "text": WITNESS, "exemption": "s40", "reason": "A witness, a member of the public."}), 201)
    ok(client.post(f"/api/v1/documents/{legacy['id']}/release", json={}, headers=FOI_OFFICER))
    cited = ok(upload_legacy(client, _op["id"], legacy_docx("Addendum"), "Legacy CIA addendum"), 201)
    ok(client.post(f"/api/v1/documents/{cited['id']}/release", headers=FOI_OFFICER,
                   json={"published_url": LEGACY_URL}))
    result = CliRunner().invoke(cia, ["import-deployments", str(grid_2024(tmp_path)),
                                      "--database-url", app.config["DATABASE_URL"]])
    assert result.exit_code == 0, result.output
    return {"tokens": {**{k: v for k, v in tokens.items() if not k.startswith("censor")},
                       "legacy document": [*LEGACY_SECRETS, WITNESS, "Quillfeather"]}}


LEGACY_URL = "https://www.met.police.uk/foi-ai/lfr/legacy-addendum"
LEGACY_SECRETS = ("Quentin Zarkovsky", "Zarkovsky", "07700 900777")


def legacy_docx(title: str) -> bytes:
    from docx import Document

    doc = Document()
    doc.add_paragraph(f"{title}: a Community Impact Assessment written before the system.")
    doc.add_paragraph("Bronze community officer PC Quentin Zarkovsky, on 07700 900777.")
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def upload_legacy(client, operation_id: str, data: bytes, title: str):
    return client.post(f"/api/v1/operations/{operation_id}/documents", headers=FOI,
                       data={"file": (io.BytesIO(data), "legacy.docx"), "title": title,
                             "dated": "2026-05-01"}, content_type="multipart/form-data")


QUESTION_1 = ("Copies of the Community Impact Assessments of all LFR deployments in May and "
              "June 2026. I am Zebedee, of 14 Quenby Mews; reply to Zebedee "
              "Quarrington-Requester at zebedee.requester@leak.example.net or 07700 900461.")


def new_request(client, reference="01.FOI.26.024139", received_on="2026-10-01", **extra) -> dict:
    body = {"reference": reference, "received_on": received_on, "requester": REQUESTER,
            "questions": [
                {"number": 1, "text": QUESTION_1},
                {"number": 2, "text": "True and false alerts and engagements by IC code, 2024."},
                {"number": 3, "text": "True and false alerts and engagements by IC code for all "
                                      "deployments 2016-2022."}], **extra}
    return ok(client.post(BASE, json=body, headers=FOI), 201)


# The requester in every form a reader could recognise them by.
REQUESTER_FORMS = ("Zebedee", "Quarrington", REQUESTER["email"], "zebedee.requester",
                   "requester@leak", "Quenby Mews", "N1 7QX", "07700 900461")
REQUESTER_USER_URL = "https://www.whatdotheyknow.com/user/zebedee_requester/requests"


def requester_shown(text: str) -> list[str]:
    """The requester's details ``text`` shows, read through the leak checker: raw JSON
    (``"Zebedee"`` capitalised, ``\\u``-escaped) as well as text already normalised."""
    shown = readable(text)
    return [v for v in REQUESTER_FORMS if found(v, shown)] + \
        (["user name in a link"] if "zebedee_requester" in shown else [])


def test_request_from_receipt_to_the_disclosure_log(app, client, tmp_path, monkeypatch):
    at(monkeypatch, "2026-10-27T09:00:00")
    seeded = seed(app, client, tmp_path)
    req = new_request(client)
    assert req["state"] == "open"
    assert req["due_on"] == "2026-10-29" and req["requester"] == REQUESTER
    # Positive control: the checker sees the requester where FOI officers see them.
    assert len(requester_shown(json.dumps(req))) == len(REQUESTER_FORMS)
    url = f"{BASE}/{req['id']}"

    q1 = ok(client.put(f"{url}/questions/1/answer", headers=FOI, json={
        "kind": "disclosed", "from": "2026-05-01", "to": "2026-06-30",
        "published": [{"operation_reference": JUNE, "url": PUBLISHED_URL}],
        "note": f"Our contact at the Independent Advisory Group was {CONTACT}; ask Z.Q. again."}))
    assert q1["questions"][0]["answer"]["kind"] == "disclosed" and "proposal" not in q1
    q2 = ok(client.put(f"{url}/questions/2/answer", headers=FOI,
                       json={"kind": "text", "text": f"As the assessment says: {S31_SENTENCE} "
                                                     f"It relied on source BRAVO-17."}))
    assert "proposal" not in q2
    q3 = ok(client.put(f"{url}/questions/3/answer", headers=FOI,
                       json={"kind": "statistics", "from": "2016-01-01", "to": "2022-12-31"}))
    assert q3["proposal"]["kind"] == "not_held" and "IC code" in q3["proposal"]["reason"]
    ok(client.put(f"{url}/questions/3/answer", headers=FOI, json={
        "kind": "published", "url": REQUESTER_USER_URL,
        "note": "Already answered on the requester's own page."}))

    letter = client.get(f"{url}/response", headers=FOI)
    assert letter.status_code == 200 and letter.mimetype.endswith("wordprocessingml.document")
    text = readable_text(letter.data)
    for phrase in ("I note you seek access to the following information", "01.FOI.26.024139",
                   "Section 21", "Section 31(1)(a)(b)", "public interest test",
                   "Section 40(2)&(3)", "refusal notice under section 17", PUBLISHED_URL,
                   "4 Community Impact Assessment(s) located", "2 attached, of which 2 redacted",
                   "Legacy CIA May 2026 with the statement of", LEGACY_URL,
                   "available at https://www.whatdotheyknow.com/", "As the assessment says",
                   "Our contact at the Independent Advisory Group was",
                   "Information Commissioner", "internal review",
                   "Wilmslow, Cheshire SK9 5AF"):  # the template's own wording
        assert found(phrase, text), phrase
    assert leaked(seeded["tokens"], text) == []
    assert requester_shown(text) == []
    assert found("I am [Redacted — s.40(2)], of [Redacted — s.40(2)];", text)
    assert found("ask [Redacted — s.40(2)] again", text)  # the initials

    attachments = client.get(f"{url}/attachments", headers=FOI)
    assert attachments.status_code == 200
    with zipfile.ZipFile(io.BytesIO(attachments.data)) as zf:
        folders = {n.split("/")[0] for n in zf.namelist() if "/" in n}
    # June and the addendum are cited as published (s.21), not attached.
    assert {f.split("-legacy-")[0] + ("-legacy" if "-legacy-" in f else "") for f in folders} \
        == {f"{MAY}-v1", f"{MAY}-legacy"} and len(folders) == 2
    zipped = readable_text(attachments.data)
    assert found("[Redacted — s.31(1)(a)(b)]", zipped)
    assert leaked(seeded["tokens"], zipped) == [] and requester_shown(zipped) == []

    # What the approver is shown: every redaction of the letter in its redacted form.
    seen = ok(client.get(f"{url}/redactions", headers=FOI2))
    by_pointer = {e["pointer"]: e for e in seen["letter"]}
    assert by_pointer["/answers/2/text"]["context"].startswith("As the assessment says: [Redacted")
    assert by_pointer["/answers/3/url"]["detector"] == "link"
    assert by_pointer["/answers/3/url"]["context"] == "https://www.whatdotheyknow.com/"
    assert {e["exemption"] for e in seen["letter"]} == {"s.40(2)", "s.31(1)(a)(b)"}
    assert {a["kind"] for a in seen["attachments"]} == {"cia", "legacy"}
    assert all(a["redactions"] == len(a["log"]) > 0 for a in seen["attachments"])
    assert leaked(seeded["tokens"], readable(json.dumps(seen))) == []
    assert requester_shown(json.dumps(seen)) == []
    assert seen["approved_letter_sha256"] is None

    problem(client.post(f"{url}/approve", headers=FOI2), 409)  # not submitted yet
    assert ok(client.post(f"{url}/submit-for-approval", headers=FOI))["state"] == "awaiting_approval"
    assert "drafted" in problem(client.post(f"{url}/approve", headers=FOI), 403)["detail"]
    approved = ok(client.post(f"{url}/approve", headers=FOI2))
    assert approved["state"] == "approved" and approved["approved_on"] == "2026-10-27"
    assert approved["approved_letter_sha256"] == seen["letter_sha256"]
    assert approved["approved_attachments_sha256"] == seen["attachments_sha256"]
    at(monkeypatch, "2026-10-28T09:00:00")
    checked(app)  # the worker reads the approved letter by sight before it can be sent
    sent = ok(client.post(f"{url}/send", headers=FOI2, json={"sent_on": "2026-10-28"}))
    assert sent["state"] == "sent" and sent["within_deadline"] is True
    problem(client.put(f"{url}/questions/2/answer", headers=FOI,
                       json={"kind": "text", "text": "Changed."}), 409)

    events = [e for e in outbox_events(app) if e["type"].startswith("foi.request.")]
    assert [e["type"] for e in events] == ["foi.request.received", "foi.request.sent"]
    assert all(e["subject"] == req["id"] for e in events)
    assert requester_shown(json.dumps(events)) == []

    with public_log(app) as public:  # its own process's app; no token
        listing = ok(public.get("/public/disclosure-log"))
        assert [e["reference"] for e in listing] == ["01.FOI.26.024139"]
        entry = ok(public.get("/public/disclosure-log/01.FOI.26.024139"))
        assert entry["exemptions"] == ["s.21", "s.31(1)(a)(b)", "s.40(2)&(3)"]
        public_letter = public.get(entry["links"]["letter"])
        public_zip = public.get(entry["links"]["attachments"])
        # The PDF is the worker's to make: until it has, the public log says so.
        assert public.get(entry["links"]["letter"] + "?format=pdf").status_code == 503
        # What is served is what the log's OpenAPI document says it serves.
        described = ok(public.get("/openapi.json"))
        schemas = described["components"]["schemas"]
        entry_schema = {**schemas["Entry"], "components": {"schemas": schemas}}
        validator = jsonschema_rs.validator_for(entry_schema, validate_formats=True)
        assert list(validator.iter_errors(entry)) == []
        assert all(validator.is_valid(e) for e in listing)
        assert not validator.is_valid({**entry, "requester": "x"})  # positive control
    assert public_letter.status_code == public_zip.status_code == 200
    assert public_letter.data == client.get(f"{url}/response", headers=ADMIN).data  # as sent
    assert public_zip.data == client.get(f"{url}/attachments", headers=ADMIN).data
    assert entry["attachments"] == 2 and entry["sent_on"] == "2026-10-28"
    for data in (json.dumps(listing).encode(), json.dumps(entry).encode(), public_letter.data,
                 public_zip.data):
        shown = readable_text(data)
        assert requester_shown(shown) == [] and leaked(seeded["tokens"], shown) == []
    assert found("I am [Redacted — s.40(2)], of [Redacted — s.40(2)];",
                 readable(json.dumps(entry)))

    stats = ok(client.get("/api/v1/statistics/foi-timeliness", headers=ADMIN,
                          query_string={"from": "2026-10-01", "to": "2026-10-31"}))
    assert stats["months"] == [{**stats["months"][0], "month": "2026-10", "received": 1,
                                "answered": 1, "within_20_working_days": 1,
                                "percent_within_20_working_days": 100.0,
                                "below_ico_threshold": False}]


def test_roles_validation_and_nothing_half_stored(app, client, monkeypatch):
    at(monkeypatch, "2026-12-02T09:00:00")
    body = {"reference": "01.FOI.26.000001", "received_on": "2026-11-02",
            "requester": REQUESTER, "questions": [{"number": 1, "text": "Anything?"}]}
    problem(client.post(BASE, json=body, headers=PLANNER), 403)
    problem(client.post(BASE, json=body, headers=ADMIN), 403)
    problem(client.post(BASE, json=body), 401)
    bad = problem(client.post(BASE, json={**body, "received_on": "tomorrow"}, headers=FOI), 422)
    assert "received_on" in json.dumps(bad)
    twice = problem(client.post(BASE, headers=FOI, json={
        **body, "questions": [{"number": 1, "text": "a"}, {"number": 1, "text": "b"}]}), 422)
    assert "/questions/1/number" in json.dumps(twice)
    assert ok(client.get(BASE, headers=FOI)) == []
    req = ok(client.post(BASE, json=body, headers=FOI), 201)
    problem(client.post(BASE, json=body, headers=FOI), 409)
    url = f"{BASE}/{req['id']}"
    wrong = problem(client.put(f"{url}/questions/1/answer", headers=FOI,
                               json={"kind": "exempt", "reasoning": "Because."}), 422)
    assert "exemptions" in json.dumps(wrong)
    problem(client.put(f"{url}/questions/1/answer", headers=FOI,
                       json={"kind": "text", "text": "x", "url": "https://example.org"}), 422)
    unknown = problem(client.put(f"{url}/questions/1/answer", headers=FOI, json={
        "kind": "disclosed", "operation_references": ["LFR-1999-0001"]}), 422)
    assert "LFR-1999-0001" in json.dumps(unknown)
    problem(client.put(f"{url}/questions/9/answer", headers=FOI,
                       json={"kind": "text", "text": "x"}), 404)
    missing = problem(client.post(f"{url}/submit-for-approval", headers=FOI), 422)
    assert missing["errors"][0]["pointer"] == "/questions/0"
    after = ok(client.get(url, headers=ADMIN))
    assert after["state"] == "open" and after["questions"][0]["answer"] is None
    problem(client.get("/public/disclosure-log/01.FOI.26.000001"), 404)  # not sent
    assert ok(client.get(BASE, headers=FOI, query_string={"state": "sent"})) == []
    assert len(ok(client.get(BASE, headers=FOI, query_string={"due_before": "2026-12-02"}))) == 1
    # Due 1 December: 30 November is St Andrew's Day, a bank holiday in Scotland.
    assert ok(client.get(BASE, headers=FOI, query_string={"due_before": "2026-12-01"})) == []

    # Answered, approved and sent a day late: recorded so, and the month falls below 90%.
    ok(client.put(f"{url}/questions/1/answer", headers=FOI, json={"kind": "text", "text": "No."}))
    ok(client.post(f"{url}/submit-for-approval", headers=FOI))
    ok(client.post(f"{url}/approve", headers=FOI2))
    checked(app)
    problem(client.post(f"{url}/send", headers=FOI2, json={"sent_on": "2026-11-01"}), 422)
    late = ok(client.post(f"{url}/send", headers=FOI2, json={"sent_on": "2026-12-02"}))
    assert late["within_deadline"] is False and late["within_statutory_period"] is False
    month = ok(client.get("/api/v1/statistics/foi-timeliness", headers=FOI))["months"][0]
    assert (month["month"], month["answered_late"], month["percent_within_20_working_days"],
            month["below_ico_threshold"]) == ("2026-11", 1, 0.0, True)


def test_clarification_extension_and_restart_safe_notices(app, client, monkeypatch):
    at(monkeypatch, "2027-01-04T09:00:00")
    req = new_request(client, reference="01.FOI.26.000002", received_on="2026-11-02")
    url = f"{BASE}/{req['id']}"
    assert req["due_on"] == "2026-12-01"
    paused = ok(client.post(f"{url}/clarification-request", headers=FOI,
                            json={"note": "Which deployments?", "requested_on": "2026-11-04"}))
    assert paused["state"] == "awaiting_clarification"
    problem(client.put(f"{url}/questions/1/answer", headers=FOI,
                       json={"kind": "text", "text": "x"}), 409)
    problem(client.post(f"{url}/clarification", headers=FOI, json={"received_on": "2026-11-03"}), 422)
    resumed = ok(client.post(f"{url}/clarification", headers=FOI, json={"received_on": "2026-12-21"}))
    assert resumed["state"] == "open" and resumed["due_on"] == "2027-01-22"
    extended = ok(client.post(f"{url}/extension", headers=FOI,
                              json={"working_days": 5, "reason": "Public interest test (s.31)."}))
    assert extended["due_on"] == "2027-01-29" and extended["statutory_due_on"] == "2027-01-22"
    problem(client.post(f"{url}/extension", headers=FOI,
                        json={"working_days": 16, "reason": "More."}), 422)

    cfg = dict(app.config)
    database = db(app)
    assert jobs.send_notices(database, cfg, date(2027, 1, 21)) == 0
    assert jobs.send_notices(database, cfg, date(2027, 1, 22)) == 1  # 5 working days before
    assert jobs.send_notices(database, cfg, date(2027, 1, 22)) == 0  # never twice
    assert jobs.send_notices(database, cfg, date(2027, 1, 25)) == 0
    assert jobs.send_notices(database, cfg, date(2027, 2, 1)) == 1   # overdue
    assert jobs.send_notices(database, cfg, date(2027, 2, 2)) == 0
    types = [e["type"] for e in outbox_events(app) if e["type"].startswith("foi.request.")]
    assert types == ["foi.request.received", "foi.request.due_soon", "foi.request.overdue"]
    overdue = outbox_events(app, "foi.request.overdue")[0]
    assert overdue["data"]["due_on"] == "2027-01-29" and overdue["data"]["working_days_late"] == 1
    # A further extension moves the deadline: it is announced afresh, once.
    ok(client.post(f"{url}/extension", headers=FOI, json={"working_days": 15, "reason": "More."}))
    assert jobs.send_notices(database, cfg, date(2027, 2, 12)) == 1
    assert jobs.send_notices(database, cfg, date(2027, 2, 12)) == 0
    assert [e["type"] for e in outbox_events(app, "foi.request.due_soon")] == ["foi.request.due_soon"] * 2

    # What is due, counted from a given day (the case's dates are fixed, so the
    # day is too: the answer must not change as the calendar passes 19 February).
    def due(*args: str) -> str:
        result = CliRunner().invoke(cia, ["foi-requests", "due", *args,
                                          "--database-url", app.config["DATABASE_URL"]])
        assert result.exit_code == 0, result.output
        return result.output

    assert "01.FOI.26.000002\tdue 2027-02-19\t5 working day(s) left" in due(
        "--within", "5", "--on", "2027-02-12")
    assert "No FOI request is due" in due("--within", "4", "--on", "2027-02-12")
    assert "No FOI request is due" in due("--within", "0", "--on", "2027-02-18")
    assert "due 2027-02-19\t0 working day(s) left" in due("--within", "0", "--on", "2027-02-19")
    assert "due 2027-02-19\tOVERDUE by 1 working day(s)" in due("--within", "0", "--on", "2027-02-22")
    # Without --on the count starts today, whatever today is.
    days = {service.today()}
    default = due("--within", "0")
    days.add(service.today())  # a run across midnight may count from either day
    assert default in {due("--within", "0", "--on", day.isoformat()) for day in days}


def test_the_public_log_is_rate_limited_across_its_workers(app, tmp_path):
    shared = {"PUBLIC_RATE_LIMIT": "3/60", "PUBLIC_RATE_LIMIT_FILE": str(tmp_path / "limit.db")}
    # Two apps on one file: two gunicorn workers of the public log's process.
    with public_log(app, **shared) as first, public_log(app, **shared) as second:
        assert first.get("/public/disclosure-log").status_code == 200
        assert second.get("/public/disclosure-log").status_code == 200
        assert first.get("/public/disclosure-log/anything").status_code == 404
        refused = problem(second.get("/public/disclosure-log"), 429)
        assert int(refused and second.get("/public/disclosure-log").headers["Retry-After"]) >= 1
        assert "Too many requests" in refused["detail"]
        assert first.get("/healthz").status_code == 200  # only the log is limited
        assert first.get("/readyz").status_code == 200


def test_the_notifier_routes_foi_events_to_subscriptions_that_ask_for_them(app, client):
    new_request(client, reference="01.FOI.26.000003", received_on="2026-11-02")
    event = outbox_events(app, "foi.request.received")[0]
    assert notifier_rules.wants(["foi.request.*"], None, event["type"], event["data"])
    assert notifier_rules.wants(["foi.request.received"], None, event["type"], event["data"])
    assert not notifier_rules.wants(["review.*"], None, event["type"], event["data"])
    card = json.dumps(teams_message(event))
    assert "FOI request received" in card and "01.FOI.26.000003" in card and "2026-12-01" in card
    assert requester_shown(card) == []


def test_a_force_replaces_the_letter_template_by_configuration(databases, tmp_path):
    from docx import Document

    custom = Document()
    custom.add_paragraph("Northshire Constabulary reply {{ reference }}")
    custom.add_paragraph("{%p for q in questions %}")
    custom.add_paragraph("Q{{ q.number }}: {{ q.text }}")
    custom.add_paragraph("{%p endfor %}")
    custom.core_properties.author = "Jane Templatewriter"
    path = tmp_path / "northshire.docx"
    custom.save(str(path))
    url = databases.new("authoring")
    broken = Document()
    broken.add_paragraph("{% for q in questions %}{{ q.text }")  # never closed
    broken.save(str(tmp_path / "broken.docx"))
    for bad in ("missing.docx", "broken.docx"):  # refused at start-up, not at the first letter
        with pytest.raises(ValueError, match="FOI_RESPONSE_TEMPLATE"):
            make_app(url, FOI_RESPONSE_TEMPLATE=str(tmp_path / bad))
    app = make_app(url, FOI_RESPONSE_TEMPLATE=str(path))
    try:
        client = app.test_client()
        req = new_request(client, reference="01.FOI.26.000004", received_on="2026-11-02")
        letter = client.get(f"{BASE}/{req['id']}/response", headers=FOI)
        assert letter.status_code == 200
        text = readable_text(letter.data)
        assert found("Northshire Constabulary reply 01.FOI.26.000004", text)
        assert found("Q2: True and false alerts and engagements by IC code, 2024.", text)
        assert not found("I note you seek access", text)  # not the default template
        assert not found("Templatewriter", text) and requester_shown(text) == []
    finally:
        db(app).dispose()


def test_the_record_stays_true(app, client, monkeypatch):
    """Every date between the receipt and today (a response on or after its approval);
    any change after submission sends the draft back for approval."""
    at(monkeypatch, "2026-11-20T10:00:00")

    def refused(resp, pointer: str) -> None:
        assert [e["pointer"] for e in problem(resp, 422)["errors"]] == [pointer]

    refused(client.post(BASE, headers=FOI, json={
        "reference": "01.FOI.26.000009", "received_on": "2026-11-21", "requester": REQUESTER,
        "questions": [{"number": 1, "text": "Anything?"}]}), "/received_on")
    req = new_request(client, reference="01.FOI.26.000009", received_on="2026-11-02")
    url = f"{BASE}/{req['id']}"
    state = lambda: ok(client.get(url, headers=FOI))  # noqa: E731

    # Clarification: asked between receipt and today, received between asking and today.
    for day in ("2026-11-01", "2026-11-21"):
        refused(client.post(f"{url}/clarification-request", headers=FOI,
                            json={"note": "Which?", "requested_on": day}), "/requested_on")
    ok(client.post(f"{url}/clarification-request", headers=FOI,
                   json={"note": "Which?", "requested_on": "2026-11-04"}))
    for day in ("2026-11-03", "2026-11-21", "2199-12-01"):  # 2199 once moved due_on to 2200
        refused(client.post(f"{url}/clarification", headers=FOI, json={"received_on": day}),
                "/received_on")
    assert state()["due_on"] == "2026-12-01"  # unmoved by the refusals
    ok(client.post(f"{url}/clarification", headers=FOI, json={"received_on": "2026-11-10"}))
    # An extension is granted between receipt and today.
    for day in ("2026-11-01", "2026-11-21"):
        refused(client.post(f"{url}/extension", headers=FOI, json={
            "working_days": 5, "reason": "Public interest test.", "granted_on": day}), "/granted_on")

    def approved() -> dict:
        ok(client.post(f"{url}/submit-for-approval", headers=FOI))
        case = ok(client.post(f"{url}/approve", headers=FOI2))
        assert case["state"] == "approved" and case["approved_letter_sha256"]
        return case

    def reopened(case: dict, state_: str = "open") -> None:
        assert case["state"] == state_ and case["approved_on"] is None
        assert case["approved_letter_sha256"] is case["approved_attachments_sha256"] is None
        assert case["history"][-1]["reopened"] is True

    for n in (1, 2, 3):
        ok(client.put(f"{url}/questions/{n}/answer", headers=FOI,
                      json={"kind": "not_held", "reason": "Not recorded."}))
    approved()
    # An answer changed after approval: approved again before it can be sent.
    reopened(ok(client.put(f"{url}/questions/2/answer", headers=FOI,
                           json={"kind": "text", "text": "Changed after approval."})))
    problem(client.post(f"{url}/send", headers=FOI2, json={}), 409)
    approved()
    reopened(ok(client.post(f"{url}/extension", headers=FOI, json={
        "working_days": 5, "reason": "Public interest test.", "granted_on": "2026-11-19"})))
    ok(client.post(f"{url}/submit-for-approval", headers=FOI))
    reopened(ok(client.post(f"{url}/clarification-request", headers=FOI,
                            json={"note": "And which year?"})), "awaiting_clarification")
    ok(client.post(f"{url}/clarification", headers=FOI, json={"received_on": "2026-11-20"}))
    assert approved()["approved_on"] == "2026-11-20"

    # Sent on or after the day of approval, and not after today.
    at(monkeypatch, "2026-11-23T10:00:00")
    checked(app)
    for day in ("2026-11-19", "2026-11-24"):
        refused(client.post(f"{url}/send", headers=FOI2, json={"sent_on": day}), "/sent_on")
    sent = ok(client.post(f"{url}/send", headers=FOI2, json={"sent_on": "2026-11-20"}))
    assert sent["state"] == "sent" and sent["sent_on"] == "2026-11-20"
    assert [h["action"] for h in sent["history"]].count("approved") == 3


def test_a_letter_or_attachments_changed_since_approval_are_not_sent(app, client, monkeypatch):
    at(monkeypatch, "2026-11-20T10:00:00")
    _op, cia = approve(app, client)
    checked(app)
    ok(client.post(f"/api/v1/disclosures/{cia['id']}/versions/1/release", headers=FOI_OFFICER))
    req = new_request(client, reference="01.FOI.26.000010", received_on="2026-11-02")
    url = f"{BASE}/{req['id']}"
    ok(client.put(f"{url}/questions/1/answer", headers=FOI, json={
        "kind": "disclosed", "operation_references": ["LFR-2026-0042"]}))
    for n in (2, 3):
        ok(client.put(f"{url}/questions/{n}/answer", headers=FOI,
                      json={"kind": "text", "text": "Fairfield ward figures were not recorded so."}))
    ok(client.post(f"{url}/submit-for-approval", headers=FOI))
    approved = ok(client.post(f"{url}/approve", headers=FOI2))
    letter_before = client.get(f"{url}/response", headers=FOI).data

    # A censor rule after the approval: the letter and the copy attached both change (the
    # copy is rendered again and goes back for release).
    ok(client.post("/api/v1/disclosures/rules", headers=FOI_OFFICER, json={
        "kind": "literal", "pattern": "Fairfield", "exemption": "s31",
        "reason": "Where the next deployment is."}), 201)
    drain(app)
    changed = problem(client.post(f"{url}/send", headers=FOI2, json={}), 409)
    assert changed["changed"] == ["letter", "attachments"]
    assert ok(client.get(url, headers=FOI))["state"] == "approved"  # nothing sent
    seen = ok(client.get(f"{url}/redactions", headers=FOI2))
    assert seen["approved_letter_sha256"] == approved["approved_letter_sha256"] != seen["letter_sha256"]
    assert any(e["detector"] == "censor_rule" and "[Redacted" in e["context"]
               for e in seen["letter"])
    again = ok(client.post(f"{url}/approve", headers=FOI2))
    assert again["approved_letter_sha256"] == seen["letter_sha256"]
    checked(app)
    sent = ok(client.post(f"{url}/send", headers=FOI2, json={}))
    assert sent["state"] == "sent"
    assert client.get(f"{url}/response", headers=FOI).data != letter_before
    assert not found("Fairfield", readable_text(client.get(f"{url}/response", headers=FOI).data))


def test_copies_rendered_before_the_index_are_indexed_by_the_worker(app, client, monkeypatch):
    from cia_authoring.disclosure.models import DisclosureCopy, WithheldValue
    from cia_authoring.disclosure.refresh import RefreshStaleCopies

    at(monkeypatch, "2026-11-20T10:00:00")
    content, _tokens = quoted_content(MAY)
    _op, cia_ = approve(app, client, content)
    req = new_request(client, reference="01.FOI.26.000011", received_on="2026-11-02")
    ok(client.put(f"{BASE}/{req['id']}/questions/2/answer", headers=FOI,
                  json={"kind": "text", "text": S31_SENTENCE}))

    def letter_text() -> str:
        return readable_text(client.get(f"{BASE}/{req['id']}/response", headers=FOI).data)

    assert not found(S31_SENTENCE, letter_text())  # indexed when the copy was rendered
    # As a copy rendered by the pass before the index: no rows, an older fingerprint.
    with db(app).sessions() as session:
        session.execute(sa.delete(WithheldValue))
        session.execute(sa.update(DisclosureCopy).values(rules_fingerprint="an earlier pass"))
        session.commit()
    assert found(S31_SENTENCE, letter_text())  # control: the letter relies on the index
    RefreshStaleCopies()(db(app), dict(app.config))
    with db(app).sessions() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(WithheldValue)
                              .where(WithheldValue.cia_id == cia_["id"])) > 0
    assert not found(S31_SENTENCE, letter_text())


def test_letters_checked_and_waiting_to_be_sent_never_hide_one_due(app, client, monkeypatch):
    """The worker's sweep of approved letters lists the ones due a check however many
    checked ones wait before them to be sent (here one, with room for one)."""
    from cia_authoring.foi_requests.letter_checks import unchecked

    ids = []
    for n, received in ((11, "2026-11-02"), (12, "2026-11-03")):
        at(monkeypatch, f"2026-11-20T{n - 1}:00:00")  # approved in this order
        req = new_request(client, reference=f"01.FOI.26.0000{n}", received_on=received)
        url = f"{BASE}/{req['id']}"
        for q in (1, 2, 3):
            ok(client.put(f"{url}/questions/{q}/answer", headers=FOI,
                          json={"kind": "text", "text": "Not held."}))
        ok(client.post(f"{url}/submit-for-approval", headers=FOI))
        ok(client.post(f"{url}/approve", headers=FOI2))
        ids.append(req["id"])
        if n == 11:
            assert checked(app) == 1  # the first letter read clean; it is not sent
    with db(app).sessions() as session:
        assert [s.subject_id for s in unchecked(session, dict(app.config), limit=1)] == [ids[1]]
    assert checked(app) == 1  # positive control: then nothing is due
    with db(app).sessions() as session:
        assert unchecked(session, dict(app.config), limit=1) == []
