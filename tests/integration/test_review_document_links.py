"""The action page's signed document links, against a real authoring service.

The authoring app runs on a local HTTP server; its ``cia.submitted`` event goes
through the review service's real handler, and the review app fetches the
document from authoring over HTTP as the link's holder.
"""
from __future__ import annotations

import base64
import hashlib
import io
import json
import re
import threading
import time
import zipfile
from contextlib import contextmanager

import pytest
from werkzeug.serving import make_server

from cia_common.consumer import handle_event
from cia_common.events import CloudEvent
from cia_common.web import db
from cia_review.app import create_app as create_review_app
from cia_review.worker import build_spec
from tests.integration.test_authoring_support import (
    ADMIN, REVIEWER, authorise, create_cia, create_operation, libreoffice, make_app, ok,
    outbox_events, submit)
from tests.review_events import deliver as deliver_to_review
from tests.support import wait_for

pytestmark = pytest.mark.integration
__all__ = ["libreoffice"]  # a fixture, used by name

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@contextmanager
def serving(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(5)


@pytest.fixture
def authoring(databases):
    app = make_app(databases.new("authoring"))
    with serving(app) as url:
        yield app, url
    db(app).dispose()


@pytest.fixture
def review_factory(databases, authoring):
    apps = []

    def make(**config):
        app = create_review_app({"DATABASE_URL": databases.new("review"),
                                 "REVIEW_URL": "http://review.test",
                                 "AUTHORING_URL": authoring[1], **config})
        apps.append(app)
        return app

    yield make
    for app in apps:
        db(app).dispose()


def submitted_review(authoring_app, review_app) -> tuple[dict, dict]:
    """A CIA submitted in authoring for reviewer-1 and reviewer-2, its review open in
    review; returns the CIA and the review.requested data."""
    client = authoring_app.test_client()
    op = create_operation(client)
    authorise(client, op["id"])
    cia = create_cia(client, op["id"])
    submit(client, cia["id"], requested_reviewers=["reviewer-1", "reviewer-2"])
    [event] = outbox_events(authoring_app, "cia.submitted")
    assert deliver_to_review(db(review_app), review_app.config, CloudEvent(
        type=event["type"], source=event["source"], subject=event["subject"],
        data=event["data"], id=event["id"]))
    requested = [e for e in outbox_events(review_app, "review.requested")][-1]["data"]
    return cia, requested


def path_of(url: str) -> str:
    return url.replace("http://review.test", "")


def document_links(page: str) -> dict[str, str]:
    found = re.findall(r'<a href="(http://review\.test/review/documents/[^"]+)"[^>]*>([^<]+)</a>',
                       page)
    return {("pdf" if "PDF" in label else "docx"): path_of(href) for href, label in found}


def form_fields(page: str) -> dict:
    return dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', page))


def claims_of(path: str) -> dict:
    body = path.rsplit("/", 1)[1].split(".")[0]
    return json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))


def retarget(path: str, **changes) -> str:
    """The same link with claims changed but the old signature: an altered link."""
    body, mac = path.rsplit("/", 1)[1].split(".")
    claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    claims.update(changes)
    forged = base64.urlsafe_b64encode(json.dumps(claims, separators=(",", ":"),
                                                 sort_keys=True).encode()).rstrip(b"=").decode()
    return f"/review/documents/{forged}.{mac}"


def refused(resp) -> str:
    text = resp.get_data(as_text=True)
    assert resp.status_code == 403, text
    assert resp.mimetype == "text/html" and "Traceback" not in text
    return text


def test_the_page_links_the_versions_documents_for_its_holder_alone(authoring, review_factory,
                                                                    libreoffice):
    authoring_app, _url = authoring
    review_app = review_factory(APPROVALS_REQUIRED=2)  # the round stays open after one decision
    cia, requested = submitted_review(authoring_app, review_app)
    client = review_app.test_client()
    page = client.get(path_of(requested["action_links"]["reviewer-1"]))
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    links = document_links(html)
    assert set(links) == {"docx", "pdf"}, html

    docx = client.get(links["docx"])
    assert docx.status_code == 200 and docx.mimetype == DOCX
    assert docx.headers["Cache-Control"] == "no-store"
    digest = hashlib.sha256(docx.data).hexdigest()
    assert docx.headers["X-Content-SHA256"] == digest
    # That version's document: its title is in the body.
    with zipfile.ZipFile(io.BytesIO(docx.data)) as z:
        assert cia["content"]["header"]["title"] in z.read("word/document.xml").decode()
    pdf = client.get(links["pdf"])
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert pdf.data.startswith(b"%PDF")

    # One audit entry per download, under the holder's name.
    review = ok(client.get(f"/api/v1/reviews/{requested['review_id']}", headers=ADMIN))
    assert [(d["reviewer"], d["version"], d["format"], d["sha256"])
            for d in review["document_downloads"]] == [
        ("reviewer-1", 1, "docx", digest),
        ("reviewer-1", 1, "pdf", hashlib.sha256(pdf.data).hexdigest())]
    # The render authoring audited names the reviewer, not a service account.
    trail = ok(authoring_app.test_client().get(f"/api/v1/cias/{cia['id']}/audit",
                                               headers=REVIEWER))["entries"]
    assert [e["actor"]["sub"] for e in trail if e["action"] == "document.rendered"][-2:] == [
        "reviewer-1", "reviewer-1"]

    # Altered links grant nothing: another version, another reviewer, another CIA.
    for changes in ({"v": 2}, {"s": "reviewer-2"}, {"c": "0" * 36}, {"f": "pdf"}):
        text = refused(client.get(retarget(links["docx"], **changes)))
        assert "altered" in text
    refused(client.get("/review/documents/not-a-link"))

    # Deciding spends the action link, and its document links with it.
    fields = form_fields(client.get(path_of(requested["action_links"]["reviewer-1"]))
                         .get_data(as_text=True))
    decided = client.post(path_of(requested["action_links"]["reviewer-1"]),
                          data={**fields, "decision": "approve", "comment": ""})
    assert decided.status_code == 200, decided.get_data(as_text=True)
    for link in links.values():
        assert "no longer works" in refused(client.get(link))
    # reviewer-2's own link still works: their links are theirs.
    other = document_links(client.get(path_of(requested["action_links"]["reviewer-2"]))
                           .get_data(as_text=True))
    assert client.get(other["docx"]).status_code == 200
    downloads = ok(client.get(f"/api/v1/reviews/{requested['review_id']}",
                              headers=ADMIN))["document_downloads"]
    assert len(downloads) == 3  # refused attempts are not downloads


def test_document_links_expire_sooner_than_the_action_link(authoring, review_factory):
    authoring_app, _url = authoring
    review_app = review_factory(DOCUMENT_LINK_TTL_MINUTES=0.05)  # 3 seconds
    _cia, requested = submitted_review(authoring_app, review_app)
    client = review_app.test_client()
    action = path_of(requested["action_links"]["reviewer-1"])
    issued = time.time()
    links = document_links(client.get(action).get_data(as_text=True))
    expires = claims_of(links["docx"])["x"]
    assert issued + 2 <= expires <= time.time() + 3
    wait_for(lambda: time.time() > expires + 0.1, 10, message="the document link's expiry")
    assert "expired" in refused(client.get(links["docx"]))
    assert not review_app.test_client().get(
        f"/api/v1/reviews/{requested['review_id']}", headers=ADMIN).get_json()["document_downloads"]
    # The action link itself still works, and its page has fresh document links.
    fresh = document_links(client.get(action).get_data(as_text=True))
    assert fresh["docx"] != links["docx"] and claims_of(fresh["docx"])["x"] > expires


def test_a_superseded_round_s_document_links_stop_working(authoring, review_factory):
    authoring_app, _url = authoring
    review_app = review_factory()
    cia, requested = submitted_review(authoring_app, review_app)
    client = review_app.test_client()
    links = document_links(client.get(path_of(requested["action_links"]["reviewer-1"]))
                           .get_data(as_text=True))
    # The planner withdraws the version: the round is cancelled, the links die with it.
    event = CloudEvent(type="cia.withdrawn", source="/cia-workflow/authoring", subject=cia["id"],
                       data={"cia_id": cia["id"], "version": 1, "reason": "operation cancelled"})
    handler = build_spec(dict(review_app.config)).handlers["cia.withdrawn"]
    assert handle_event(db(review_app), "review", handler, event, source="/cia-workflow/review",
                        topic="cia.review.events")
    assert "cancelled" in refused(client.get(links["docx"]))
