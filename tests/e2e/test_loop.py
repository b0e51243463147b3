"""The whole CIA loop, the way its users drive it: planner → review → webhook →
approval → documents → FOI disclosure."""
from __future__ import annotations

import io
import json
import re

import docx
import pytest
import requests
from standardwebhooks import Webhook

from tests.e2e.helpers import (ADMIN, FOI, PLANNER, create_authorised_operation, create_cia, decide,
                               ok, submit, subscribe, wait_review, wait_status)
from tests.asyncapi_events import problems
from tests.leaks import docx_texts, found
from tests.receiver import WebhookReceiver
from tests.support import planted_content, wait_for

pytestmark = pytest.mark.e2e

UK_PHONE = re.compile(r"\b0\d{3,4} ?\d{3} ?\d{3,4}\b")


S40_TOKEN = re.compile(r"[\w.@-]*s40[\w.@-]*", re.IGNORECASE)


def planted_s40_values() -> list[str]:
    """Every value planted in tests/fixtures/planted-cia-content.json as personal
    data, token by token (so half a scrubbed sentence still counts): the tokens
    marked ``s40`` and every phone number."""
    text = json.dumps(planted_content(), ensure_ascii=False)
    return sorted(set(S40_TOKEN.findall(text)) | set(UK_PHONE.findall(text)))


@pytest.fixture
def every_event():
    """A second endpoint, subscribed to every event type."""
    with WebhookReceiver() as r:
        yield r


@pytest.mark.backends("sqlite", "postgresql")  # the whole loop on each backend
def test_the_loop_end_to_end(make_system, databases, receiver, every_event):
    system = make_system(databases)
    sub = subscribe(system, receiver.url, ["review.requested", "cia.approved"])
    subscribe(system, every_event.url, ["*"])
    assert sub["secret"].startswith("whsec_")

    op = create_authorised_operation(system)
    cia = create_cia(system, op)
    assert (cia["operation_id"], cia["version"], cia["status"]) == (op["id"], 1, "draft")

    submitted = submit(system, cia["id"])
    assert submitted["status"] == "submitted"

    review = wait_review(system, cia["id"])
    assert (review["cia_id"], review["version"], review["state"]) == (cia["id"], 1, "open")

    hooks = wait_for(lambda: receiver.of_type("review.requested"), 60,
                     message="the review.requested webhook")
    hook = hooks[0]
    # Raises if the signature, the id or the timestamp do not verify.
    Webhook(sub["secret"]).verify(hook.body, hook.headers)
    event = json.loads(hook.body)
    assert hook.headers["webhook-id"] == event["id"]
    assert event["data"]["cia_id"] == cia["id"] and event["data"]["review_id"] == review["id"]

    ok(decide(system, review["id"], "approve"), 200, 201)
    approved = wait_status(system, cia["id"], "approved")
    assert approved["version"] == 1

    doc_resp = requests.get(system.url("authoring") + f"/api/v1/cias/{cia['id']}/versions/1/document",
                            headers=PLANNER, timeout=30)
    assert doc_resp.status_code == 200, doc_resp.text[:500]
    document = docx.Document(io.BytesIO(doc_resp.content))
    body_text = "\n".join(p.text for p in document.paragraphs)
    body_text += "\n".join(c.text for t in document.tables for r in t.rows for c in r.cells)
    assert op["name"] in body_text

    listing = ok(requests.get(system.url("authoring") + "/api/v1/disclosures", headers=FOI,
                              timeout=10))
    items = listing["items"] if isinstance(listing, dict) else listing
    assert [(d["cia_id"], d["version"]) for d in items] == [(cia["id"], 1)]

    disclosure = requests.get(
        system.url("authoring") + f"/api/v1/disclosures/{cia['id']}/versions/1/document",
        headers=FOI, timeout=30)
    assert disclosure.status_code == 200, disclosure.text[:500]
    parts = docx_texts(disclosure.content)
    planted = planted_s40_values()
    assert len(planted) >= 10
    leaks = [(value, name) for value in planted for name, text in parts.items()
             if found(value, text)]
    assert leaks == []
    everything = "\n".join(parts.values())
    assert "[redacted - s.40(2)]" in everything
    # The authorising officer is a Chief Superintendent: the rank rule releases the name.
    assert found(planted_content()["sign_off"]["authorising_officer"]["name"], everything)

    # The FOI role never reaches the full document.
    full = requests.get(system.url("authoring") + f"/api/v1/cias/{cia['id']}/versions/1/document",
                        headers=FOI, timeout=10)
    assert full.status_code == 403
    assert full.headers["Content-Type"].startswith("application/problem+json")

    # cia.approved reached the subscriber too, once.
    wait_for(lambda: receiver.of_type("cia.approved"), 60, message="cia.approved webhook")
    assert len(receiver.of_type("review.requested")) == 1

    # Every event of the loop is a message of docs/asyncapi.json, data and envelope.
    wait_for(lambda: every_event.of_type("cia.approved"), 60, message="cia.approved, to all")
    events = [hook.json() for hook in every_event.requests]
    assert {"cia.created", "cia.submitted", "review.requested", "review.completed",
            "cia.approved"} <= {e["type"] for e in events}
    assert [p for e in events for p in problems(e)] == []


def test_services_expose_health_metrics_and_openapi(make_system, databases):
    system = make_system(databases)
    for service in ("authoring", "review", "notifier"):
        base = system.url(service)
        assert requests.get(base + "/healthz", timeout=5).json()["status"] == "ok"
        ready = requests.get(base + "/readyz", timeout=10)
        assert ready.status_code == 200, ready.text
        # Ready includes the worker: it consumes its topics (cia_common.web).
        assert ready.json()["checks"] == {"database": "ok", "kafka": "ok", "worker": "ok"}
        assert "http_requests_total" in requests.get(base + "/metrics", timeout=5).text
        events = requests.get(base + "/asyncapi.json", timeout=5).json()
        assert events["asyncapi"] == "3.0.0" and events["channels"]
        spec = requests.get(base + "/openapi.json", timeout=5).json()
        assert spec["openapi"].startswith("3.")
        assert any(p.startswith("/api/v1/") for p in spec["paths"])
        assert requests.get(base + "/docs", timeout=5).status_code == 200
        anonymous = requests.get(base + next(p for p in spec["paths"] if p.startswith("/api/v1/")
                                             and "{" not in p), timeout=5)
        assert anonymous.status_code == 401
        assert anonymous.headers["Content-Type"].startswith("application/problem+json")
