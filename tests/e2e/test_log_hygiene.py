"""Secrets and personal data never reach the logs.

Runs the loop with everything that carries a secret (bearer tokens, good and
forged; webhook secrets, created and rotated; one-time action links, opened
and used; a signed inbound decision and a forged one) and personal data (the
planted CIA content's s40 values, an edit adding more, an invalid edit quoting them),
at DEBUG level, then searches every log line of every process.
"""
from __future__ import annotations

import base64
import json
import re

import pytest
import requests

from cia_common.auth import mint_token
from cia_common.config import LOCAL_JWT_SECRET
from tests.e2e.helpers import ADMIN, FOI, PLANNER, REVIEWER, subscribe
from tests.e2e.system import token
from tests.faults.loop import Loop
from tests.leaks import found, readable
from tests.receiver import WebhookReceiver
from tests.support import planted_content, signed_webhook_headers, wait_for

pytestmark = pytest.mark.e2e

INBOUND_SECRET = "whsec_" + base64.b64encode(b"inbound-tooling-secret-32-bytes!").decode()
UK_PHONE = re.compile(r"\b0\d{3,4} ?\d{3} ?\d{3,4}\b")
NEW_S40 = "Quentin-Zebedee-S40"


def s40_values(content) -> set[str]:
    """The personal values planted in the test content: tokens marked s40, phone numbers."""
    text = json.dumps(content, ensure_ascii=False)
    marked = re.findall(r"[\w.@-]*s40[\w.@-]*", text, re.IGNORECASE)
    return set(marked) | set(UK_PHONE.findall(text))


def bearer_of(headers: dict) -> str:
    return headers["Authorization"].split(" ", 1)[1]


def form_fields(html: str) -> dict[str, str]:
    return dict(re.findall(r'name="(nonce|csrf)" value="([^"]+)"', html))


def test_no_secret_or_personal_value_in_any_log(make_system, pg_databases):
    with WebhookReceiver() as rx:
        system = make_system(pg_databases, extra_env={
            "CIA_LOG_LEVEL": "DEBUG", "CIA_PDF_RENDER_AHEAD": "false",
            "CIA_INBOUND_SECRETS": json.dumps({"tooling": INBOUND_SECRET})})
        secrets: dict[str, str] = {f"{n} token": bearer_of(h) for n, h in
                                   (("planner", PLANNER), ("reviewer", REVIEWER), ("foi", FOI),
                                    ("admin", ADMIN))}
        forged = mint_token("not-the-secret-" * 3, sub="mallory", name="M", roles=["admin"])
        expired = mint_token(LOCAL_JWT_SECRET, sub="x", name="X", roles=["admin"], ttl_seconds=-5)
        secrets.update({"forged token": forged, "expired token": expired,
                        "inbound secret": INBOUND_SECRET})

        # One endpoint per reviewer: only a subscription bound to a reviewer
        # carries that reviewer's one-time links.
        created = subscribe(system, rx.url, ["review.requested", "cia.approved"],
                            reviewer_sub="reviewer-1")
        second = subscribe(system, rx.url, ["review.requested"], reviewer_sub="reviewer-2")
        secrets["subscription secret"] = created["secret"]
        secrets["second subscription secret"] = second["secret"]
        rotated = requests.patch(system.url("notifier") + f"/api/v1/subscriptions/{created['id']}",
                                 headers=ADMIN, json={"rotate_secret": True}, timeout=10)
        assert rotated.status_code == 200
        secrets["rotated secret"] = rotated.json()["secret"]
        for bad in (forged, expired, "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0."):
            assert requests.get(system.url("authoring") + "/api/v1/cias", timeout=10,
                                headers={"Authorization": f"Bearer {bad}"}).status_code == 401

        loop = Loop(system, year=2035)
        by_link, by_inbound = loop.drafts(2)
        authoring = system.url("authoring") + f"/api/v1/cias/{by_link}"
        etag = requests.get(authoring, headers=PLANNER, timeout=10).headers["ETag"]
        edit = {"content": {"communications": {"plan": f"Leaflets; press queries to {NEW_S40}."}}}
        patched = requests.patch(authoring, timeout=10, data=json.dumps(edit),
                                 headers={**PLANNER, "If-Match": etag,
                                          "Content-Type": "application/merge-patch+json"})
        assert patched.status_code == 200, patched.text[:300]
        invalid = {"content": {"sign_off": {"author": {"email": f"{NEW_S40} at nowhere"}}}}
        refused = requests.patch(authoring, timeout=10, data=json.dumps(invalid),
                                 headers={**PLANNER, "If-Match": patched.headers["ETag"],
                                          "Content-Type": "application/merge-patch+json"})
        assert refused.status_code == 422

        for cia_id in (by_link, by_inbound):
            submitted = requests.post(system.url("authoring") + f"/api/v1/cias/{cia_id}/submit",
                                      headers=PLANNER, timeout=10,
                                      json={"requested_reviewers": ["reviewer-1", "reviewer-2"]})
            assert submitted.status_code == 200, submitted.text[:300]
        hooks = wait_for(lambda: (lambda h: h if len(h) == 4 else None)(
            rx.of_type("review.requested")), 90, message="review.requested at both endpoints")
        links = {}
        for hook in hooks:
            data = hook.json()["data"]
            merged = links.setdefault(data["cia_id"], {**data, "action_links": {}})
            merged["action_links"].update(data["action_links"])
            for sub, url in data["action_links"].items():
                secrets[f"action link of {sub} for {data['cia_id'][:8]}"] = url.rsplit("/", 1)[1]
        assert len([k for k in secrets if k.startswith("action link")]) == 4

        # Decide the first through reviewer-1's link, as a browser would.
        link = links[by_link]["action_links"]["reviewer-1"]
        link = system.url("review") + link[link.index("/review/actions/"):]
        page = requests.get(link, timeout=10)
        assert page.status_code == 200
        fields = form_fields(page.text)
        secrets["csrf token"] = fields["csrf"]
        decided = requests.post(link, data={**fields, "decision": "approve", "comment": "Fine."},
                                timeout=10)
        assert decided.status_code == 200, decided.text[:300]
        assert requests.get(link, timeout=10).status_code == 410  # spent

        # Decide the second through a signed inbound webhook; a forged one first.
        body = json.dumps({"review_id": links[by_inbound]["review_id"], "decision": "approve",
                           "reviewer": {"sub": "reviewer-2", "name": "Second Reviewer"}})
        forged = signed_webhook_headers("whsec_" + base64.b64encode(b"x" * 32).decode(),
                                        "msg_forged", body)
        inbound = system.url("review") + "/api/v1/inbound/decisions"
        assert requests.post(inbound, data=body, timeout=10, headers={
            **forged, "Content-Type": "application/json"}).status_code == 401
        real = signed_webhook_headers(INBOUND_SECRET, "msg_real", body)
        secrets["inbound signature"] = real["webhook-signature"].split(",", 1)[1]
        assert requests.post(inbound, data=body, timeout=10, headers={
            **real, "Content-Type": "application/json"}).status_code == 201

        wait_for(lambda: len(rx.of_type("cia.approved")) == 2, 90, message="both approvals")
        disclosure = requests.get(system.url("authoring") +
                                  f"/api/v1/disclosures/{by_link}/versions/1/document",
                                  headers=FOI, timeout=60)
        assert disclosure.status_code == 200
        # Both hook signatures the notifier computed with the subscription secrets.
        for hook in rx.received():
            for entry in hook.headers["webhook-signature"].split():
                secrets[f"webhook signature {entry[-8:]}"] = entry.split(",", 1)[1]

        system.stop()  # every process flushed and gone before the logs are read
        logs = {p.name: p.read_text(errors="replace") for p in sorted(system.log_dir.glob("*.log"))}

    assert set(logs) == {f"{s}-{k}.log" for s in ("authoring", "review", "notifier")
                         for k in ("web", "worker")}
    everything = "\n".join(logs.values())
    # The logs did record the traffic (so finding nothing below means something).
    assert "/review/actions/[secret]" in everything
    assert '"POST /api/v1/inbound/decisions" 201' in everything
    assert "opened review" in everything and "delivery" in everything

    personal = s40_values(planted_content()) | {NEW_S40}
    assert len(personal) > 10
    leaks = [(what, name) for what, value in secrets.items() for name, text in logs.items()
             if value in text or (len(value) > 40 and value[-24:] in text)]
    # Personal values as a reader of the logs sees them (tests/leaks.py): JSON escapes
    # undone, accents, case and separators folded, so "\u00e9" or a "-" cannot hide one.
    shown = {name: readable(text) for name, text in logs.items()}
    assert found("opened review", "\n".join(shown.values()))  # positive control: read, and seen
    leaks += [(value, name) for value in personal for name, text in shown.items()
              if found(value, text)]
    assert leaks == []
