"""The FOI officer's loop against the running system: a CIA approved through the
review service; a censor rule added over HTTP is applied by the authoring
worker (DOCX re-rendered, PDF re-made by LibreOffice); the copy is released and
comes back in a streamed bundle."""
from __future__ import annotations

import io
import zipfile

import pytest
import requests

from tests.e2e.helpers import (FOI, PLANNER, create_authorised_operation, decide, example, ok,
                               submit, wait_review, wait_status)
from tests.integration.test_foi_support import readable_text
from tests.leaks import found
from tests.support import wait_for

pytestmark = pytest.mark.e2e
# The worker makes the PDFs of approved versions ahead of any request: what is tested here.
RENDER_AHEAD = {"CIA_PDF_RENDER_AHEAD": "true", "CIA_SIGHT_AHEAD": "true"}

NAME = "Inspector Barnaby Thistlewood"


def test_censor_rule_release_and_bundle_through_the_running_system(make_system, databases):
    system = make_system(databases, extra_env=RENDER_AHEAD)
    base = system.url("authoring")
    op = create_authorised_operation(system)
    content = example("cia-content.json")
    # "&" and "<...>" next to the name: in the DOCX's XML they are escaped, which a
    # search of the raw bytes would not see through.
    content["community_sentiment"]["summary"] += (
        f" {NAME} & <the ward team> attended the market walkabout.")
    cia = ok(requests.post(base + "/api/v1/cias", headers=PLANNER, timeout=10,
                           json={"operation_id": op["id"], "content": content}), 201)
    submit(system, cia["id"])
    ok(decide(system, wait_review(system, cia["id"])["id"], "approve"), 200, 201)
    wait_status(system, cia["id"], "approved")

    copy_url = f"{base}/api/v1/disclosures/{cia['id']}/versions/1"

    def copy() -> dict:
        return ok(requests.get(copy_url, headers=FOI, timeout=10))

    first = wait_for(lambda: (lambda c: c if "pdf" in c["formats"] else None)(copy()), 120,
                     message="the worker's PDF of the disclosure copy")
    assert first["state"] == "pending_release"

    rule = ok(requests.post(base + "/api/v1/disclosures/rules", headers=FOI, timeout=10, json={
        "cia_id": cia["id"], "kind": "literal", "pattern": NAME, "exemption": "s40",
        "reason": "Name of an officer below the rank of Superintendent."}), 201)
    assert rule["copies_to_rerender"] == 1

    current = wait_for(lambda: (lambda c: c if c["sha256"] != first["sha256"]
                                and not c["rerender_pending"] and "pdf" in c["formats"]
                                else None)(copy()), 120,
                       message="the copy re-rendered by the worker, DOCX and PDF")
    assert current["pdf_sha256"] != first["pdf_sha256"]
    docx = requests.get(copy_url + "/document", headers=FOI, timeout=30)
    pdf = requests.get(copy_url + "/document", headers={**FOI, "Accept": "application/pdf"},
                       timeout=30)
    assert docx.status_code == pdf.status_code == 200
    assert pdf.headers["X-Content-SHA256"] == current["pdf_sha256"]
    for data in (docx.content, pdf.content):
        text = readable_text(data)
        assert not found(NAME, text) and not found("Thistlewood", text)
        # Positive control: the sentence around the name is there, escaped characters too.
        assert found("& <the ward team> attended the market walkabout", text)
        assert "&" in text and "<the ward team>" in text

    # The worker reads the copy by sight before it can be released (409 checking).
    answers = []
    wait_for(lambda: answers.append(requests.post(
        copy_url + "/release", headers=FOI, timeout=30,
        json={"note": "FOI request 01.FOI.22.024139"})) or answers[-1].status_code != 409, 240,
        message="the check by sight of the copy")
    released = ok(answers[-1])
    assert released["state"] == "released" and released["sight_check"]["state"] == "clean"
    listing = ok(requests.get(base + "/api/v1/disclosures", headers=FOI, timeout=10,
                              params={"state": "released"}))
    assert [(d["cia_id"], d["version"]) for d in listing] == [(cia["id"], 1)]

    with requests.get(base + "/api/v1/disclosures/bundle", headers=FOI, timeout=60, stream=True,
                      params={"from": "2026-05-01", "to": "2026-05-31"}) as resp:
        assert resp.status_code == 200 and resp.headers["Content-Type"] == "application/zip"
        assert "Content-Length" not in resp.headers  # streamed, chunked
        data = b"".join(resp.iter_content(64 * 1024))
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        names = set(zf.namelist())
        folder = "LFR-2026-0042-v1"
        assert {f"{folder}/{folder}-disclosure.docx", f"{folder}/{folder}-disclosure.pdf",
                f"{folder}/redaction-log.csv", "index.csv"} <= names
        assert zf.read(f"{folder}/{folder}-disclosure.pdf") == pdf.content
        assert current["sha256"] in zf.read("index.csv").decode()
