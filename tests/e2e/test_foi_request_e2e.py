"""An FOI request shaped like 01.FOI.22.024139, from receipt to the public
disclosure log, against the running system, the public log on its own process.
Q1 is answered with released disclosure copies (one cited as published under s.21,
a legacy document whose title names a witness withheld by an FOI term) and a note
naming a contact withheld in the cited CIA; Q2 with the IC-code statistics of 2024;
Q3 with a text quoting a sentence of an s.31 field and a call sign of another CIA;
Q4 with a published link carrying the requester's user name. The requester's
forename and address are written in a question. The notifier delivers the
foi.request.* events. The letter (its DOCX parts, its PDF's text and its pages read
by OCR), the attachments (every file, nested ones too) and the public JSON, served
while the authoring web process is stopped, show none of it."""
from __future__ import annotations

import io
import json
import zipfile
from datetime import timedelta

import pytest
import requests
import sqlalchemy as sa
from click.testing import CliRunner

from cia_authoring import published
from cia_authoring.foi_requests import clock, service
from cia_common.cli import main as cia

from tests import ocr
from tests.e2e.helpers import (FOI, PLANNER, decide, example, ok, submit, subscribe, wait_review,
                               wait_status)
from tests.e2e.system import token
from tests.integration.test_authoring_support import libreoffice
from tests.integration.test_foi_requests import (CONTACT, LEGACY_SECRETS, PUBLISHED_URL,
                                                 QUESTION_1, REQUESTER, REQUESTER_USER_URL,
                                                 S31_SENTENCE, WITNESS, grid_2024, legacy_docx,
                                                 quoted_content, requester_shown)
from tests.integration.test_foi_support import leaked, readable_text
from tests.leaks import found, norm, readable
from tests.support import wait_for

pytestmark = pytest.mark.e2e
__all__ = ["libreoffice"]

FOI_OFFICER = token("foi-7", "Frances Releaser", "foi")
APPROVER = token("foi-2", "Felix Second", "foi")
REFERENCE = "01.FOI.26.024139"
MAY, JUNE = "LFR-2026-0042", "LFR-2026-0043"


def approved_and_released(system, reference: str, content: dict, **operation) -> str:
    """An operation, its CIA approved through the review service, its copy released."""
    base = system.url("authoring")
    op = ok(requests.post(base + "/api/v1/operations", headers=PLANNER, timeout=10,
                          json={**example("operation.json"), "reference": reference,
                                **operation}), 201)
    ok(requests.post(base + f"/api/v1/operations/{op['id']}/authorisation", headers=PLANNER,
                     json=example("authorisation.json"), timeout=10), 200, 201)
    cia_ = ok(requests.post(base + "/api/v1/cias", headers=PLANNER, timeout=10,
                            json={"operation_id": op["id"], "content": content}), 201)
    submit(system, cia_["id"])
    ok(decide(system, wait_review(system, cia_["id"])["id"], "approve"), 200, 201)
    wait_status(system, cia_["id"], "approved")
    release = f"{base}/api/v1/disclosures/{cia_['id']}/versions/1/release"
    # A release waits up to CIA_SIGHT_WAIT_SECONDS (10) for the check by sight.
    wait_for(lambda: requests.post(release, headers=FOI_OFFICER, timeout=30,
                                   json={"note": REFERENCE}).status_code == 200, 240,
             message=f"the release of {reference} (after the worker's check by sight)")
    return cia_["id"]


def receipt_date_due_in(working_days: int):
    """The receipt date whose answer falls due ``working_days`` working days from today."""
    today = service.today()
    target = clock.add_working_days(today, working_days)
    day = today - timedelta(days=60)
    while clock.due_on(day) < target:
        day += timedelta(days=1)
    return day


def public_database_url(system) -> str:
    """What the public process reads: the authoring database as the role ``cia_public``
    on PostgreSQL; on SQLite the copy the worker writes beside it."""
    url = system.database_urls["authoring"]
    if url.startswith("postgresql"):
        return sa.engine.make_url(url).set(username="cia_public", password=None) \
            .render_as_string(hide_password=False)
    return published.mirror_url(url)


def legacy_with_a_withheld_witness(system, operation_reference: str) -> None:
    """A released legacy document of the May operation whose title names a witness an FOI
    officer withheld by a term."""
    base = system.url("authoring")
    [op] = [o for o in ok(requests.get(base + "/api/v1/operations", headers=PLANNER,
                                       timeout=10)) if o["reference"] == operation_reference]
    doc = ok(requests.post(base + f"/api/v1/operations/{op['id']}/documents", headers=FOI,
                           timeout=60, files={"file": ("legacy.docx", legacy_docx("May"))},
                           data={"title": f"Legacy CIA May 2026 with the statement of {WITNESS}",
                                 "dated": "2026-05-01"}), 201)
    ok(requests.post(base + f"/api/v1/documents/{doc['id']}/redactions", headers=FOI, timeout=60,
                     json={"text": WITNESS, "exemption": "s40",
                           "reason": "A witness, a member of the public."}), 201)
    ok(requests.post(base + f"/api/v1/documents/{doc['id']}/release", headers=FOI_OFFICER,
                     json={}, timeout=60))


def test_foi_request_from_receipt_to_the_disclosure_log(make_system, databases, receiver,
                                                        libreoffice, tmp_path):
    if not ocr.available():
        pytest.fail("Tesseract is needed to read the letter's pages (infra/lib.sh installs it)")
    system = make_system(databases)
    base = system.url("authoring")
    subscribe(system, receiver.url, ["foi.request.*"])

    # The request first: the worker's deadline notice comes while the CIAs are made.
    received_on = receipt_date_due_in(3)
    req = ok(requests.post(base + "/api/v1/foi-requests", headers=FOI, timeout=10, json={
        "reference": REFERENCE, "received_on": received_on.isoformat(), "requester": REQUESTER,
        "questions": [
            {"number": 1, "text": "Please provide the Community Impact Assessments of all LFR "
                                  "deployments from 2016 to date. " + QUESTION_1.split(". ", 1)[1]},
            {"number": 2, "text": "The distribution of true alerts, and of the engagements that "
                                  "followed them, by IC code, for 2024."},
            {"number": 3, "text": "What did the assessments say about the camera positions?"},
            {"number": 4, "text": "The same figures for all deployments 2016-2022. Signed, "
                                  "Zebedee Quarrington-Requester."}]}), 201)
    assert req["due_on"] == clock.due_on(received_on).isoformat()
    planted, tokens = quoted_content(MAY)
    tokens = {k: v for k, v in tokens.items() if not k.startswith("censor")}
    tokens["legacy document"] = [WITNESS, "Quillfeather", *LEGACY_SECRETS]
    approved_and_released(system, MAY, planted)
    approved_and_released(system, JUNE, quoted_content(JUNE)[0],
                          planned_start="2026-06-10T10:00:00+01:00",
                          planned_end="2026-06-10T18:00:00+01:00")
    legacy_with_a_withheld_witness(system, MAY)
    imported = CliRunner().invoke(cia, ["import-deployments", str(grid_2024(tmp_path)),
                                        "--database-url", system.database_urls["authoring"]])
    assert imported.exit_code == 0, imported.output

    # Due in 3 working days: the worker announces it (before the response is sent).
    due_soon = wait_for(lambda: receiver.of_type("foi.request.due_soon"), 60,
                        message="the foi.request.due_soon webhook")[0].json()
    assert due_soon["subject"] == req["id"] and due_soon["data"]["working_days_left"] == 3
    url = f"{base}/api/v1/foi-requests/{req['id']}"

    def put(number: int, body: dict) -> dict:
        return ok(requests.put(f"{url}/questions/{number}/answer", headers=FOI, json=body,
                               timeout=60))

    put(1, {"kind": "disclosed", "from": "2016-01-01", "to": "2026-12-31",
            "published": [{"operation_reference": JUNE, "url": PUBLISHED_URL}],
            "note": f"Our contact at the Independent Advisory Group was {CONTACT}."})
    assert "proposal" not in put(2, {"kind": "statistics", "from": "2024-01-01",
                                     "to": "2024-12-31"})
    put(3, {"kind": "text", "text": f"As the assessment says: {S31_SENTENCE} It relied on "
                                    "source BRAVO-17."})
    put(4, {"kind": "published", "url": REQUESTER_USER_URL})

    ok(requests.post(f"{url}/submit-for-approval", headers=FOI, timeout=10))
    seen = ok(requests.get(f"{url}/redactions", headers=APPROVER, timeout=60))
    assert {e["pointer"] for e in seen["letter"]} >= {"/questions/0/text", "/answers/1/note",
                                                      "/answers/3/text", "/answers/4/url"}
    assert requests.post(f"{url}/approve", headers=FOI, timeout=10).status_code == 403
    ok(requests.post(f"{url}/approve", headers=APPROVER, timeout=60))
    # The worker reads the approved letter by sight first (409 checking until then).
    answers = []
    wait_for(lambda: answers.append(requests.post(f"{url}/send", headers=APPROVER, json={},
                                                  timeout=60)) or answers[-1].status_code != 409,
             240, message="the check by sight of the letter")
    sent = ok(answers[-1])
    assert sent["state"] == "sent" and sent["within_deadline"] is True

    # The notifier delivers every foi.request.* event the subscription asked for, once.
    for etype in ("foi.request.received", "foi.request.due_soon", "foi.request.sent"):
        hook = wait_for(lambda: receiver.of_type(etype), 60, message=f"the {etype} webhook")[0]
        assert hook.json()["data"]["reference"] == REFERENCE
        assert requester_shown(json.dumps(hook.json())) == []
    assert len(receiver.of_type("foi.request.due_soon")) == 1

    month = f"{received_on.year:04d}-{received_on.month:02d}"
    stats = ok(requests.get(base + "/api/v1/statistics/foi-timeliness", headers=FOI, timeout=10))
    assert [(m["month"], m["answered"], m["within_20_working_days"]) for m in stats["months"]] \
        == [(month, 1, 1)]

    # The public log on its own process; the worker publishes the letter's PDF; then the
    # authoring web process stops and the log is still served.
    public = system.start_public(public_database_url(system))
    log_url = public + "/public/disclosure-log"
    wait_for(lambda: requests.get(f"{log_url}/{REFERENCE}/letter?format=pdf",
                                  timeout=10).status_code == 200, 90,
             message="the letter's PDF published by the worker")
    system.stop_processes("authoring-web")
    # Its port stays bound by the test (for the restart below) but nobody answers.
    with pytest.raises(requests.RequestException):
        requests.get(base + "/healthz", timeout=2)

    log_ = ok(requests.get(log_url, timeout=10))  # no token
    assert [e["reference"] for e in log_] == [REFERENCE]
    entry = ok(requests.get(f"{log_url}/{REFERENCE}", timeout=10))
    assert entry["exemptions"] == ["s.21", "s.31(1)(a)(b)", "s.40(2)&(3)"]
    letter = requests.get(public + entry["links"]["letter"], timeout=30)
    letter_pdf = requests.get(public + entry["links"]["letter"], timeout=30,
                              headers={"Accept": "application/pdf"})
    attachments = requests.get(public + entry["links"]["attachments"], timeout=60)
    assert letter.status_code == letter_pdf.status_code == attachments.status_code == 200
    assert letter_pdf.content[:4] == b"%PDF"

    pages = ocr.page_texts(letter_pdf.content)
    words = ("note you seek access to the following information", REFERENCE, "Section 21",
             "Section 31(1)(a)(b)", "Section 40(2)&(3)", "Black", "Information Commissioner",
             "As the assessment says: [Redacted — s.31(1)(a)(b)]. It relied on [Redacted",
             "am [Redacted — s.40(2)], of [Redacted — s.40(2)]; reply to [Redacted",
             "the statement of [Redacted — s.40(2)]", "https://www.whatdotheyknow.com/")
    for text, expected in ((readable_text(letter.content), (*words, PUBLISHED_URL)),
                           (readable_text(letter_pdf.content), (*words, PUBLISHED_URL)),
                           ("\n".join(pages), words)):  # the pages as the eye reads them
        assert [w for w in expected if not found(w, text)] == []
        assert leaked(tokens, text) == [] and requester_shown(text) == []
    # Positive control: the same words in an ordinary sentence are found by the same
    # checks, on the text layer and through OCR.
    assert all(found(v, norm(f"the control {v} sentence")) for vs in tokens.values() for v in vs)
    assert found("[Redacted — s.40(2)] wrote", norm("[Redacted — s.40(2)] wrote"))

    with zipfile.ZipFile(io.BytesIO(attachments.content)) as zf:
        folders = {n.split("/")[0] for n in zf.namelist() if "/" in n}
    # Released copies and legacy documents only; June cited as published.
    assert {f.split("-legacy-")[0] + ("-legacy" if "-legacy-" in f else "") for f in folders} \
        == {f"{MAY}-v1", f"{MAY}-legacy"}
    zipped = readable_text(attachments.content)  # every member, nested packages too
    assert found("[Redacted — s.40(2)]", zipped) and found("[Redacted — s.31(1)(a)(b)]", zipped)
    assert leaked(tokens, zipped) == [] and requester_shown(zipped) == []
    for public_json in (log_, entry):
        shown = readable(json.dumps(public_json))
        assert leaked(tokens, shown) == [] and requester_shown(shown) == []
    assert found("Please provide the Community Impact Assessments", readable(json.dumps(entry)))
    assert requests.get(log_url + "/" + REFERENCE + "/letter?format=odt",
                        timeout=10).status_code == 422
