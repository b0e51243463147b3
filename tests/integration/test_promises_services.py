"""Promises of the README and the services that no other test held them to (issue 27,
point 7): ``CIA_AUTHORING_TOKEN`` when tokens come from a JWKS, the FOI requester
absent from every log record and span, no reminder for a superseded review, OTLP
export to a real receiver, and ``cia listen --secret`` checking signatures.
Each absence check has a positive control beside it."""
from __future__ import annotations

import gzip
import io
import json
import logging
import os
import socket
import subprocess
import sys
import uuid
import zipfile
from datetime import date, datetime, timedelta, timezone

import pytest
import requests
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from cia_authoring.foi_requests import jobs
from cia_common import tracing
from cia_common.events import CloudEvent, isoformat
from cia_common.web import db
from cia_review.app import create_app as create_review_app
from cia_review.reviews.service import send_due_notifications

from tests.integration.test_authoring_support import (FOI, PLANNER, bearer, content_for,
                                                      example, make_app, ok, outbox_events,
                                                      problem)
from tests.integration.test_foi_support import checked
from tests.integration.test_jwks import AUDIENCE, ISSUER, JwksServer, new_key, public_jwk, rs256
from tests.integration.test_review_document_links import document_links, path_of, serving
from tests.integration.test_review_reminders import emitted, open_review
from tests.integration.test_tracing import spans
from tests.leaks import found, norm
from tests.receiver import WebhookReceiver
from tests.review_events import deliver as deliver_to_review
from tests.review_events import submitted_event
from tests.support import signed_webhook_headers, wait_for

pytestmark = pytest.mark.integration
__all__ = ["spans"]  # a fixture, used by name

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


# -- CIA_AUTHORING_TOKEN with a JWKS ---------------------------------------------------

def test_the_review_service_fetches_documents_with_the_authoring_token_under_jwks(
        pg_databases, monkeypatch):
    key = new_key()

    def token(sub: str, *roles: str) -> dict:
        return {"Authorization": "Bearer " + rs256(key, "k1", roles=roles, sub=sub, name=sub)}

    planner = token("planner-9", "planner")
    service_token = rs256(key, "k1", roles=("reviewer",), sub="svc-review-documents",
                          name="Review service")
    with JwksServer() as idp:
        idp.keys = [public_jwk(key, "k1")]
        jwks = {"JWKS_URL": idp.url, "JWT_ISSUER": ISSUER, "JWT_AUDIENCE": AUDIENCE}
        authoring = make_app(pg_databases.new("authoring"), PDF_RENDER_AHEAD=False, **jwks)
        review = None
        try:
            with serving(authoring) as authoring_url:
                review = create_review_app({
                    "DATABASE_URL": pg_databases.new("review"), **jwks,
                    "ACTION_LINK_SECRET": "action-links-" + uuid.uuid4().hex,
                    "REVIEW_URL": "http://review.test", "AUTHORING_URL": authoring_url})
                client = authoring.test_client()
                op = ok(client.post("/api/v1/operations", json=example("operation.json"),
                                    headers=planner), 201)
                ok(client.post(f"/api/v1/operations/{op['id']}/authorisation",
                               json=example("authorisation.json"), headers=planner))
                cia = ok(client.post("/api/v1/cias", headers=planner, json={
                    "operation_id": op["id"], "content": content_for(op["reference"])}), 201)
                ok(client.post(f"/api/v1/cias/{cia['id']}/submit", headers=planner,
                               json={"requested_reviewers": ["reviewer-1"]}))
                [event] = outbox_events(authoring, "cia.submitted")
                assert deliver_to_review(db(review), review.config, CloudEvent(
                    type=event["type"], source=event["source"], subject=event["subject"],
                    data=event["data"], id=event["id"]))
                [requested] = [e["data"] for e in outbox_events(review, "review.requested")]
                page_url = path_of(requested["action_links"]["reviewer-1"])
                pages = review.test_client()

                # Control: with a JWKS and no CIA_AUTHORING_TOKEN the review service has
                # no way to read documents, so the page links the token-only API.
                monkeypatch.delenv("CIA_AUTHORING_TOKEN", raising=False)
                html = pages.get(page_url).get_data(as_text=True)
                assert document_links(html) == {}
                assert f"/api/v1/cias/{cia['id']}/versions/1/document" in html

                monkeypatch.setenv("CIA_AUTHORING_TOKEN", service_token)
                links = document_links(pages.get(page_url).get_data(as_text=True))
                assert set(links) == {"docx", "pdf"}
                docx = pages.get(links["docx"])
                assert docx.status_code == 200, docx.get_data(as_text=True)[:500]
                assert docx.mimetype == DOCX
                with zipfile.ZipFile(io.BytesIO(docx.data)) as z:
                    assert cia["content"]["header"]["title"] in z.read("word/document.xml").decode()
                # Authoring checked that very token against the JWKS: its render is
                # audited under the token's subject.
                trail = ok(client.get(f"/api/v1/cias/{cia['id']}/audit",
                                      headers=token("reviewer-7", "reviewer")))["entries"]
                assert [e["actor"]["sub"] for e in trail
                        if e["action"] == "document.rendered"][-1] == "svc-review-documents"
        finally:
            if review is not None:
                db(review).dispose()
            db(authoring).dispose()


# -- the FOI requester in no log record, span, metric or event ----------------------------

REQUESTER = {"name": "Philippa Ravensworth-Quill",
             "email": "p.ravensworth.quill@requester.example.net",
             "address": "9 Tamarisk Row, Leeds LS6 2QT", "phone": "0113 496 0731"}
REQUESTER_FORMS = (REQUESTER["name"], "Ravensworth-Quill", "Ravensworth", REQUESTER["email"],
                   "ravensworth.quill", "Philippa", "Tamarisk Row", "LS6 2QT", "0113 496 0731",
                   "01134960731")
FOI2 = bearer("foi-2", "Felix Second", "foi")
REFERENCE = "01.FOI.26.031415"


def record_text(record: logging.LogRecord) -> str:
    # The message as formatted, its arguments, any traceback and every extra field.
    trace = logging.Formatter().formatException(record.exc_info) if record.exc_info else ""
    return norm("\n".join([record.getMessage(), trace, json.dumps(vars(record), default=repr)]))


def span_text(span) -> str:
    parts = {"name": span.name, "attributes": dict(span.attributes or {}),
             "events": [(e.name, dict(e.attributes or {})) for e in span.events],
             "links": [dict(link.attributes or {}) for link in span.links],
             "status": span.status.description,
             "resource": dict(span.resource.attributes)}
    return norm(json.dumps(parts, default=repr))


def test_the_requester_is_in_no_log_record_span_metric_or_event(pg_databases, caplog, spans,
                                                                monkeypatch):
    from tests.integration.test_foi_support import at, public_log

    at(monkeypatch, "2026-11-03T09:00:00")
    app = make_app(pg_databases.new("authoring"), PDF_RENDER_AHEAD=False)
    caplog.set_level(logging.DEBUG)
    try:
        client = app.test_client()
        body = {"reference": REFERENCE, "received_on": "2026-10-01", "requester": REQUESTER,
                "questions": [{"number": 1, "text": "The CIAs of 2026. Reply to Philippa "
                                                    "Ravensworth-Quill, p.ravensworth.quill"
                                                    "@requester.example.net, 9 Tamarisk Row, "
                                                    "0113 496 0731."}]}
        # Refused forms first: an error path that quoted the request would log it.
        problem(client.post("/api/v1/foi-requests", headers=FOI, json={
            **body, "requester": {**REQUESTER, "email": "p.ravensworth.quill(at)requester"}}), 422)
        problem(client.post("/api/v1/foi-requests", headers=FOI, json={
            **body, "received_on": "2026-11-04"}), 422)
        req = ok(client.post("/api/v1/foi-requests", json=body, headers=FOI), 201)
        problem(client.post("/api/v1/foi-requests", json=body, headers=FOI), 409)
        url = f"/api/v1/foi-requests/{req['id']}"
        case = ok(client.get(url, headers=FOI))
        ok(client.get("/api/v1/foi-requests", headers=FOI))
        ok(client.put(f"{url}/questions/1/answer", headers=FOI, json={
            "kind": "published", "url": "https://www.whatdotheyknow.com/user/philippa_rq",
            "note": "As Philippa asked."}))
        letter = client.get(f"{url}/response", headers=FOI)
        assert letter.status_code == 200
        # The deadline notices of the worker, on days fixed by the receipt date.
        assert jobs.send_notices(db(app), dict(app.config), date(2026, 10, 23)) == 1
        assert jobs.send_notices(db(app), dict(app.config), date(2026, 11, 2)) == 1
        ok(client.post(f"{url}/submit-for-approval", headers=FOI))
        ok(client.get(f"{url}/redactions", headers=FOI2))
        ok(client.post(f"{url}/approve", headers=FOI2))
        checked(app)  # the worker reads the letter by sight before it is sent
        problem(client.post(f"{url}/send", headers=FOI2, json={"sent_on": "2026-11-02"}), 422)
        ok(client.post(f"{url}/send", headers=FOI2, json={"sent_on": "2026-11-03"}))
        metrics = client.get("/metrics").get_data(as_text=True)
        with public_log(app) as public:
            entry = ok(public.get(f"/public/disclosure-log/{REFERENCE}"))
            assert public.get(entry["links"]["letter"]).status_code == 200
            metrics += public.get("/metrics").get_data(as_text=True)
        events = outbox_events(app)
    finally:
        db(app).dispose()

    records = list(caplog.records)
    finished = spans.get_finished_spans()
    # Positive controls: the case holds the requester, the logs speak of this case, the
    # spans cover the requests that carried the requester, the metrics counted them and
    # the events are of this case.
    assert case["requester"] == REQUESTER
    assert any(found(REFERENCE, record_text(r)) for r in records)
    assert {"POST /api/v1/foi-requests", "GET /api/v1/foi-requests/<string:request_id>"} <= {
        s.name for s in finished}, sorted({s.name for s in finished})
    assert "foi-requests" in metrics and "cia_public_requests_total" in metrics
    assert {e["type"] for e in events} >= {"foi.request.received", "foi.request.due_soon",
                                           "foi.request.overdue", "foi.request.sent"}
    assert [(v, r.getMessage()[:200]) for r in records for v in REQUESTER_FORMS
            if found(v, record_text(r))] == []
    assert [(v, s.name) for s in finished for v in REQUESTER_FORMS
            if found(v, span_text(s))] == []
    assert [v for v in REQUESTER_FORMS if found(v, norm(metrics))] == []
    assert [(v, e["type"]) for e in events for v in REQUESTER_FORMS
            if found(v, norm(json.dumps(e)))] == []
    assert [v for v in REQUESTER_FORMS if found(v, norm(json.dumps(entry)))] == []


# -- no reminder for a superseded review -----------------------------------------------

def test_a_superseded_review_gets_no_more_reminders_or_escalations(pg_databases):
    app = create_review_app({"DATABASE_URL": pg_databases.new("review"),
                             "REVIEW_URL": "http://review.test"})
    try:
        now = datetime.now(timezone.utc)
        cia_id = str(uuid.uuid4())
        first = open_review(app, timedelta(hours=20), now, cia_id=cia_id)
        # A second CIA due at the same moment: the control that the passes below ran
        # when a reminder and an escalation were due.
        control = open_review(app, timedelta(hours=20), now)
        # The CIA is submitted again with other content: the first round is superseded;
        # its successor is due a month later.
        deliver_to_review(db(app), app.config, submitted_event(
            cia_id=cia_id, planned_start=isoformat(now + timedelta(days=30))))
        assert [d["review_id"] for d in emitted(app, "review.superseded")] == [first]

        for at in (now + timedelta(hours=8, minutes=1), now + timedelta(hours=20, minutes=1),
                   now + timedelta(days=2)):
            send_due_notifications(db(app), app.config, now=at)
        reminded = [d["review_id"] for d in emitted(app, "review.reminder")]
        escalated = [d["review_id"] for d in emitted(app, "review.overdue")]
        assert reminded == [control] and escalated == [control]
    finally:
        db(app).dispose()


# -- OTLP export to a real receiver ----------------------------------------------------

def test_spans_are_exported_over_otlp_http_to_the_configured_endpoint(pg_databases, monkeypatch):
    with WebhookReceiver() as rx:
        base = rx.url.rsplit("/", 1)[0]
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", base)
        monkeypatch.setenv("OTEL_SERVICE_NAME", "cia-authoring-otlp-test")
        # A provider of this test's own: configure() makes one once per process.
        monkeypatch.setattr(tracing, "_provider", None)
        app = make_app(pg_databases.new("authoring"))
        provider = tracing._provider
        try:
            assert provider is not None  # the setting turned export on
            client = app.test_client()
            ok(client.post("/api/v1/operations", json=example("operation.json"),
                           headers=PLANNER), 201)
            assert client.get("/healthz").status_code == 200
            provider.force_flush()
            posts = wait_for(rx.received, 30, message="an OTLP export")
        finally:
            provider.shutdown()
            db(app).dispose()

    assert {p.path for p in posts} == {"/v1/traces"}
    assert {p.headers["content-type"] for p in posts} == {"application/x-protobuf"}
    names, services = set(), set()
    for post in posts:
        body = gzip.decompress(post.body) if post.headers.get("content-encoding") == "gzip" \
            else post.body
        export = ExportTraceServiceRequest.FromString(body)
        for resource_spans in export.resource_spans:
            services |= {a.value.string_value for a in resource_spans.resource.attributes
                         if a.key == "service.name"}
            names |= {s.name for scope in resource_spans.scope_spans for s in scope.spans}
    assert {"POST /api/v1/operations", "GET /healthz"} <= names, names
    assert services == {"cia-authoring-otlp-test"}


# -- cia listen --secret ---------------------------------------------------------------

SECRET = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


def start_listener(out_path, attempts: int = 3) -> tuple[subprocess.Popen, int]:
    """``cia listen --secret`` on a free port (it takes no socket; should another process
    take the port first, it exits and is started again on another)."""
    cia = os.path.join(os.path.dirname(sys.executable), "cia")
    for _ in range(attempts):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        with open(out_path, "w") as out:
            listener = subprocess.Popen([cia, "listen", "--port", str(port), "--secret", SECRET],
                                        stdout=out, stderr=subprocess.STDOUT,
                                        env={**os.environ, "PYTHONUNBUFFERED": "1"})
        started = wait_for(lambda: listener.poll() is not None or "listening on" in
                           out_path.read_text(), 30, message="cia listen to start or fail")
        if started and listener.poll() is None:
            return listener, port
    raise AssertionError(out_path.read_text())


def test_cia_listen_verifies_standard_webhooks_signatures(tmp_path):
    out = tmp_path / "listen.out"
    listener, port = start_listener(out)
    try:
        def printed() -> str:
            return out.read_text()

        url = f"http://127.0.0.1:{port}/"
        body = json.dumps({"type": "review.requested", "id": "evt-1"})
        good = signed_webhook_headers(SECRET, "msg_good", body)
        forged = signed_webhook_headers("whsec_" + "b3RoZXItc2VjcmV0LW9mLTMyLWJ5dGVzISE=",
                                        "msg_forged", body)
        tampered = signed_webhook_headers(SECRET, "msg_tampered", body)
        for headers, data in ((good, body), (forged, body),
                              (tampered, body.replace("evt-1", "evt-2"))):
            resp = requests.post(url, data=data, timeout=10,
                                 headers={**headers, "Content-Type": "application/json"})
            assert resp.status_code == 204
        wait_for(lambda: "msg_tampered" in printed(), 30, message="the third webhook printed")
        lines = {line.split()[2]: line for line in printed().splitlines()
                 if line.startswith("--- webhook-id")}
    finally:
        listener.terminate()
        listener.wait(30)
    assert lines["msg_good"].endswith("signature valid"), lines
    assert "signature INVALID" in lines["msg_forged"], lines
    assert "signature INVALID" in lines["msg_tampered"], lines
