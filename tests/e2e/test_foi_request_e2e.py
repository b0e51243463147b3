"""An FOI request shaped like 01.FOI.22.024139, from receipt to the public
disclosure log, against the running system: Q1 answered with released
disclosure copies (one cited as published under s.21), Q2 and Q3 with the
IC-code statistics of 2024, Q4 (all deployments 2016-2022) not held. The
notifier delivers the foi.request.* events to a subscription that asks for
them. The letter (DOCX and PDF), the attachments and the public log are read as
a reader would for every planted exempt value and for the requester."""
from __future__ import annotations

import io
import json
import zipfile
from datetime import timedelta

import pytest
import requests
from click.testing import CliRunner

from cia_authoring.foi_requests import clock, service
from cia_common.cli import main as cia

from tests.e2e.helpers import (FOI, PLANNER, decide, example, ok, submit, subscribe, wait_review,
                               wait_status)
from tests.e2e.system import token
from tests.integration.test_authoring_support import libreoffice
from tests.integration.test_foi_requests import (PUBLISHED_URL, REQUESTER, grid_2024,
                                                 requester_shown)
from tests.integration.test_foi_support import leaked, planted_content, readable_text
from tests.leaks import found
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
    wait_for(lambda: requests.post(release, headers=FOI_OFFICER, timeout=10,
                                   json={"note": REFERENCE}).status_code == 200, 60,
             message=f"the release of {reference}")
    return cia_["id"]


def receipt_date_due_in(working_days: int):
    """The receipt date whose answer falls due ``working_days`` working days from today."""
    today = service.today()
    target = clock.add_working_days(today, working_days)
    day = today - timedelta(days=60)
    while clock.due_on(day) < target:
        day += timedelta(days=1)
    return day


def test_foi_request_from_receipt_to_the_disclosure_log(make_system, databases, receiver,
                                                        libreoffice, tmp_path):
    system = make_system(databases)
    base = system.url("authoring")
    subscribe(system, receiver.url, ["foi.request.*"])

    planted, tokens = planted_content(MAY)
    tokens = {k: v for k, v in tokens.items() if not k.startswith("censor")}
    approved_and_released(system, MAY, planted)
    approved_and_released(system, JUNE, planted_content(JUNE)[0],
                          planned_start="2026-06-10T10:00:00+01:00",
                          planned_end="2026-06-10T18:00:00+01:00")
    imported = CliRunner().invoke(cia, ["import-deployments", str(grid_2024(tmp_path)),
                                        "--database-url", system.database_urls["authoring"]])
    assert imported.exit_code == 0, imported.output

    received_on = receipt_date_due_in(3)
    req = ok(requests.post(base + "/api/v1/foi-requests", headers=FOI, timeout=10, json={
        "reference": REFERENCE, "received_on": received_on.isoformat(), "requester": REQUESTER,
        "questions": [
            {"number": 1, "text": "Please provide the Community Impact Assessments of all LFR "
                                  "deployments from 2016 to date."},
            {"number": 2, "text": "The distribution of true alerts, and of the engagements that "
                                  "followed them, by IC code, for 2024."},
            {"number": 3, "text": "The distribution of false alerts, and of the engagements that "
                                  "followed them, by IC code, for 2024."},
            {"number": 4, "text": "The same figures for all deployments 2016-2022. Signed, "
                                  "Zebedee Quarrington-Requester."}]}), 201)
    assert req["due_on"] == clock.due_on(received_on).isoformat()
    # Due in 3 working days: the worker announces it (before the response is sent).
    due_soon = wait_for(lambda: receiver.of_type("foi.request.due_soon"), 60,
                        message="the foi.request.due_soon webhook")[0].json()
    assert due_soon["subject"] == req["id"] and due_soon["data"]["working_days_left"] == 3
    url = f"{base}/api/v1/foi-requests/{req['id']}"

    def put(number: int, body: dict) -> dict:
        return ok(requests.put(f"{url}/questions/{number}/answer", headers=FOI, json=body,
                               timeout=30))

    put(1, {"kind": "disclosed", "from": "2016-01-01", "to": "2026-12-31",
            "published": [{"operation_reference": JUNE, "url": PUBLISHED_URL}]})
    for n in (2, 3):
        assert "proposal" not in put(n, {"kind": "statistics", "from": "2024-01-01",
                                         "to": "2024-12-31"})
    proposal = put(4, {"kind": "statistics", "from": "2016-01-01", "to": "2022-12-31"})["proposal"]
    assert proposal["kind"] == "not_held"
    put(4, proposal)

    ok(requests.post(f"{url}/submit-for-approval", headers=FOI, timeout=10))
    assert requests.post(f"{url}/approve", headers=FOI, timeout=10).status_code == 403
    ok(requests.post(f"{url}/approve", headers=APPROVER, timeout=10))
    sent = ok(requests.post(f"{url}/send", headers=APPROVER, json={}, timeout=60))
    assert sent["state"] == "sent" and sent["within_deadline"] is True

    # The notifier delivers every foi.request.* event the subscription asked for, once.
    for etype in ("foi.request.received", "foi.request.due_soon", "foi.request.sent"):
        hook = wait_for(lambda: receiver.of_type(etype), 60, message=f"the {etype} webhook")[0]
        assert hook.json()["data"]["reference"] == REFERENCE
        assert requester_shown(json.dumps(hook.json())) == []
    assert len(receiver.of_type("foi.request.due_soon")) == 1

    log_ = ok(requests.get(base + "/public/disclosure-log", timeout=10))  # no token
    assert [e["reference"] for e in log_] == [REFERENCE]
    entry = ok(requests.get(base + f"/public/disclosure-log/{REFERENCE}", timeout=10))
    assert entry["exemptions"] == ["s.21", "s.31(1)(a)(b)", "s.40(2)&(3)"]
    letter = requests.get(base + entry["links"]["letter"], timeout=30)
    letter_pdf = requests.get(base + entry["links"]["letter"], timeout=180,
                              headers={"Accept": "application/pdf"})
    attachments = requests.get(base + entry["links"]["attachments"], timeout=60)
    assert letter.status_code == letter_pdf.status_code == attachments.status_code == 200
    assert letter_pdf.content[:4] == b"%PDF"

    for data in (letter.content, letter_pdf.content):
        text = readable_text(data)
        for phrase in ("I note you seek access to the following information", REFERENCE,
                       "Section 21", "Section 31(1)(a)(b)", "Section 40(2)&(3)", PUBLISHED_URL,
                       "Black", "not held", "Information Commissioner"):
            assert found(phrase, text), phrase
        assert leaked(tokens, text) == [] and requester_shown(text) == []

    with zipfile.ZipFile(io.BytesIO(attachments.content)) as zf:
        folders = {n.split("/")[0] for n in zf.namelist() if "/" in n}
    assert folders == {f"{MAY}-v1"}  # released copies only; June cited as published
    zipped = readable_text(attachments.content)
    assert found("[Redacted — s.40(2)]", zipped) and found("[Redacted — s.31(1)(a)(b)]", zipped)
    assert leaked(tokens, zipped) == [] and requester_shown(zipped) == []
    for public in (log_, entry):
        assert requester_shown(json.dumps(public)) == []
    assert requests.get(base + "/api/v1/foi-requests", timeout=10).status_code == 401

    month = f"{received_on.year:04d}-{received_on.month:02d}"
    stats = ok(requests.get(base + "/api/v1/statistics/foi-timeliness", headers=FOI, timeout=10))
    assert [(m["month"], m["answered"], m["within_20_working_days"]) for m in stats["months"]] \
        == [(month, 1, 1)]
