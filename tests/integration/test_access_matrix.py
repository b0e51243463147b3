"""Who reaches what: every endpoint of the three services × every kind of caller
(no token, expired, bad signature, ``alg: none``, each role) against the status
the contract promises. The table must name every route the apps serve, so a new
endpoint cannot ship without a line here saying who may call it.

Allowed callers send a request the endpoint can answer without changing what the
other rows rely on (an empty body → 422, an unknown id → 404, real ids → 200),
so "allowed" is proved by getting past the 401/403 gate, and "refused" by the gate.
"""
from __future__ import annotations

import base64
import json
import re
import time

import jwt
import pytest

from cia_common.auth import mint_token
from cia_common.config import LOCAL_JWT_SECRET
from cia_common.web import db
from cia_notifier.app import create_app as notifier_app
from cia_review.app import create_app as review_app
from tests.integration.test_authoring_support import approved_cia, make_app
from tests.review_events import deliver as deliver_submission
from tests.review_events import submitted_event
from tests.leaks import found, readable
from tests.support import signed_webhook_headers

pytestmark = pytest.mark.integration

ROLES = ("planner", "reviewer", "foi", "admin")
READ = {"planner", "reviewer", "admin"}   # operations and CIAs: never foi
WRITE = {"planner"}
FOI_READ = {"foi", "admin"}
REVIEW_READ = {"reviewer", "admin"}
ADMIN = {"admin"}
PUBLIC = None                             # no bearer token involved at all

# (method, Flask rule, who may call it, status for them, extra request arguments)
# Path variables are filled from the seeded data by name; ``params`` overrides them.
AUTHORING = [
    ("GET", "/api/v1/operations", READ, 200, {}),
    ("POST", "/api/v1/operations", WRITE, 422, {"json": {}}),
    ("GET", "/api/v1/operations/<string:operation_id>", READ, 200, {}),
    ("POST", "/api/v1/operations/<string:operation_id>/authorisation", WRITE, 422, {"json": {}}),
    ("POST", "/api/v1/operations/<string:operation_id>/status", WRITE, 422, {"json": {}}),
    ("POST", "/api/v1/cias", WRITE, 422, {"json": {}}),
    ("GET", "/api/v1/cias", READ, 200, {}),
    ("GET", "/api/v1/cias/<string:cia_id>", READ, 200, {}),
    ("PATCH", "/api/v1/cias/<string:cia_id>", WRITE, 422,
     {"data": "{}", "content_type": "application/merge-patch+json"}),
    ("POST", "/api/v1/cias/<string:cia_id>/submit", WRITE, 409, {"json": {}}),
    ("POST", "/api/v1/cias/<string:cia_id>/amendments", WRITE, 422, {"json": {}}),
    ("POST", "/api/v1/cias/<string:cia_id>/revisions", WRITE, 422, {"json": {}}),
    ("GET", "/api/v1/cias/<string:cia_id>/versions", READ, 200, {}),
    ("GET", "/api/v1/cias/<string:cia_id>/versions/<int:number>", READ, 200, {}),
    ("GET", "/api/v1/cias/<string:cia_id>/versions/<int:number>/diff", READ, 200,
     {"query_string": {"against": 1}}),
    ("GET", "/api/v1/cias/<string:cia_id>/versions/<int:number>/document", READ, 200, {}),
    ("GET", "/api/v1/cias/<string:cia_id>/audit", READ, 200, {}),
    ("GET", "/api/v1/disclosures", FOI_READ, 200, {}),
    ("GET", "/api/v1/disclosures/<string:cia_id>/versions/<int:number>/document", FOI_READ, 200,
     {}),
    ("GET", "/api/v1/disclosures/<string:cia_id>/versions/<int:number>/redaction-log", FOI_READ,
     200, {}),
    ("GET", "/api/v1/disclosures/<string:cia_id>/versions/<int:number>", FOI_READ, 200, {}),
    ("POST", "/api/v1/disclosures/<string:cia_id>/versions/<int:number>/release", {"foi"}, 404,
     {"params": {"number": 9}}),
    ("GET", "/api/v1/disclosures/<string:cia_id>/versions/<int:number>/pages/<int:page>.png",
     FOI_READ, 404, {"params": {"number": 9, "page": 1}}),
    ("POST", "/api/v1/disclosures/<string:cia_id>/versions/<int:number>/pages/<int:page>/confirm",
     {"foi"}, 404, {"params": {"number": 9, "page": 1}}),
    ("GET", "/api/v1/disclosures/bundle", FOI_READ, 200, {}),
    ("POST", "/api/v1/disclosures/<string:cia_id>/versions/<int:number>/rerender", {"foi"}, 200,
     {"json": {}}),
    # A force's own templates: admins only.
    ("GET", "/api/v1/templates", ADMIN, 200, {}),
    ("GET", "/api/v1/templates/<string:kind>", ADMIN, 200, {"params": {"kind": "cia"}}),
    ("GET", "/api/v1/templates/<string:kind>/fields", ADMIN, 200, {"params": {"kind": "cia"}}),
    ("GET", "/api/v1/templates/<string:kind>/versions", ADMIN, 200, {"params": {"kind": "cia"}}),
    ("PUT", "/api/v1/templates/<string:kind>", ADMIN, 422, {"params": {"kind": "cia"}}),
    ("POST", "/api/v1/templates/<string:kind>/preview", ADMIN, 422, {"params": {"kind": "cia"}}),
    ("POST", "/api/v1/templates/<string:kind>/versions/<int:number>/activate", ADMIN, 404,
     {"params": {"kind": "cia", "number": 99}}),
    ("GET", "/api/v1/disclosures/rules", FOI_READ, 200, {}),
    ("POST", "/api/v1/disclosures/rules", {"foi"}, 422, {"json": {}}),
    ("GET", "/api/v1/disclosures/rules/<string:rule_id>", FOI_READ, 404,
     {"params": {"rule_id": "missing"}}),
    ("PATCH", "/api/v1/disclosures/rules/<string:rule_id>", {"foi"}, 404,
     {"json": {}, "params": {"rule_id": "missing"}}),
    ("DELETE", "/api/v1/disclosures/rules/<string:rule_id>", {"foi"}, 404,
     {"params": {"rule_id": "missing"}}),
    ("GET", "/api/v1/disclosures/release-terms", FOI_READ, 200, {}),
    ("POST", "/api/v1/disclosures/release-terms", {"foi"}, 422, {"json": {}}),
    ("GET", "/api/v1/disclosures/release-terms/<string:term_id>", FOI_READ, 404,
     {"params": {"term_id": "missing"}}),
    ("DELETE", "/api/v1/disclosures/release-terms/<string:term_id>", {"foi"}, 404,
     {"params": {"term_id": "missing"}}),
    ("GET", "/api/v1/statistics/alerts", FOI_READ, 200, {}),
    ("GET", "/api/v1/statistics/deployments", FOI_READ, 200, {}),
    ("GET", "/api/v1/statistics/foi-timeliness", FOI_READ, 200, {}),
    ("POST", "/api/v1/operations/<string:operation_id>/documents", FOI_READ, 422, {}),
    ("GET", "/api/v1/documents", FOI_READ, 200, {}),
    *((method, f"/api/v1/documents/<string:document_id>{tail}", who, status,
       {**extra, "params": {"document_id": "missing"}})
      for method, tail, who, status, extra in (
          ("GET", "", FOI_READ, 404, {}),
          ("GET", "/redactions", FOI_READ, 404, {}),
          ("POST", "/redactions", {"foi"}, 422, {"json": {}}),
          ("GET", "/disclosure", FOI_READ, 404, {}),
          ("GET", "/disclosure/pages/<int:number>.png", FOI_READ, 404, {}),
          ("POST", "/pages/<int:number>/confirm", {"foi"}, 404, {}),
          ("GET", "/redaction-log", FOI_READ, 404, {}),
          ("POST", "/release", {"foi"}, 404, {"json": {}}))),
    ("POST", "/api/v1/foi-requests", {"foi"}, 422, {"json": {}}),
    ("GET", "/api/v1/foi-requests", FOI_READ, 200, {}),
    *((method, f"/api/v1/foi-requests/<string:request_id>{tail}", who, status,
       {**extra, "params": {"request_id": "missing"}})
      for method, tail, who, status, extra in (
          ("GET", "", FOI_READ, 404, {}),
          ("GET", "/response", FOI_READ, 404, {}),
          ("GET", "/attachments", FOI_READ, 404, {}),
          ("PUT", "/questions/<int:number>/answer", {"foi"}, 422, {"json": {}}),
          ("POST", "/clarification-request", {"foi"}, 422, {"json": {}}),
          ("POST", "/clarification", {"foi"}, 422, {"json": {}}),
          ("POST", "/extension", {"foi"}, 422, {"json": {}}),
          ("POST", "/submit-for-approval", {"foi"}, 404, {}),
          ("POST", "/approve", {"foi"}, 404, {}),
          ("POST", "/send", {"foi"}, 404, {"json": {}}))),
    ("GET", "/api/v1/foi-requests/<string:request_id>/response/pages/<int:page>.png", FOI_READ,
     404, {"params": {"request_id": "missing", "page": 1}}),
    ("POST", "/api/v1/foi-requests/<string:request_id>/response/pages/<int:page>/confirm",
     {"foi"}, 404, {"params": {"request_id": "missing", "page": 1}}),
    ("GET", "/api/v1/foi-requests/<string:request_id>/redactions", FOI_READ, 404,
     {"params": {"request_id": "missing"}}),
]

# The public disclosure log, an app of its own (cia_authoring.public): sent responses
# only, never the requester, to anyone.
PUBLIC_LOG = [
    ("GET", "/public/disclosure-log", PUBLIC, 200, {}),
    *(("GET", f"/public/disclosure-log/<string:reference>{tail}", PUBLIC, 404,
       {"params": {"reference": "missing"}}) for tail in ("", "/letter", "/attachments")),
    ("GET", "/healthz", PUBLIC, 200, {}),
    ("GET", "/readyz", PUBLIC, 200, {}),
    ("GET", "/metrics", PUBLIC, 200, {}),
    ("GET", "/openapi.json", PUBLIC, 200, {}),
]

REVIEW = [
    ("GET", "/api/v1/reviews", REVIEW_READ, 200, {}),
    ("GET", "/api/v1/reviews/<review_id>", REVIEW_READ, 200, {}),
    ("POST", "/api/v1/reviews/<review_id>/decisions", {"reviewer"}, 422, {"json": {}}),
    ("POST", "/api/v1/reviews/<review_id>/reassign", {"reviewer", "admin"}, 422, {"json": {}}),
    # The link is the credential and the signature is the credential: a bearer
    # token neither opens them nor is needed.
    ("GET", "/review/actions/<token>", PUBLIC, 400, {}),
    ("POST", "/review/actions/<token>", PUBLIC, 400, {"data": {"decision": "approve"}}),
    # A document link from the action page: signed for one reviewer and version (HTML).
    ("GET", "/review/documents/<signed>", PUBLIC, 403, {}),
    ("POST", "/api/v1/inbound/decisions", PUBLIC, 401, {"json": {}}),
]

NOTIFIER = [
    ("POST", "/api/v1/subscriptions", ADMIN, 422, {"json": {}}),
    ("GET", "/api/v1/subscriptions", ADMIN, 200, {}),
    ("GET", "/api/v1/subscriptions/<sub_id>", ADMIN, 200, {}),
    ("PATCH", "/api/v1/subscriptions/<sub_id>", ADMIN, 200, {"json": {}}),
    ("DELETE", "/api/v1/subscriptions/<sub_id>", ADMIN, 404, {"params": {"sub_id": "missing"}}),
    ("GET", "/api/v1/subscriptions/<sub_id>/deliveries", ADMIN, 200, {}),
    ("POST", "/api/v1/deliveries/<delivery_id>/redeliver", ADMIN, 404, {}),
]

# Every service: health, readiness (503 when the broker is not reachable from
# here), metrics, the OpenAPI and its docs pages with their assets, the AsyncAPI
# of its events, and Flask's static route.
PLATFORM = [
    ("GET", "/healthz", PUBLIC, 200, {}),
    ("GET", "/readyz", PUBLIC, (200, 503), {}),
    ("GET", "/metrics", PUBLIC, 200, {}),
    ("GET", "/openapi.json", PUBLIC, 200, {}),
    ("GET", "/asyncapi.json", PUBLIC, 200, {}),
    ("GET", "/docs", PUBLIC, 200, {}),
    ("GET", "/redoc", PUBLIC, 200, {}),
    ("GET", "/docs-assets/<path:filename>", PUBLIC, 200,
     {"params": {"filename": "redoc/bundles/redoc.standalone.js"}}),
    ("GET", "/static/<path:filename>", PUBLIC, 404, {}),
]


# ------------------------------------------------------------------ callers

def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _claims(**extra) -> dict:
    now = int(time.time())
    return {"sub": "intruder", "name": "Intruder", "roles": list(ROLES), "iat": now,
            "exp": now + 600, **extra}


def callers() -> dict[str, dict]:
    """Authorization headers by caller; the forged ones claim every role."""
    def bearer(token):
        return {"Authorization": f"Bearer {token}"}

    out = {
        "no token": {},
        "not a JWT": bearer("not-a-jwt"),
        "expired": bearer(mint_token(LOCAL_JWT_SECRET, sub="x", name="X", roles=list(ROLES),
                                     ttl_seconds=-60)),
        "bad signature": bearer(jwt.encode(_claims(), "some-other-secret-of-32-bytes-or-more",
                                           algorithm="HS256")),
        "alg none": bearer(_b64({"alg": "none", "typ": "JWT"}) + "." + _b64(_claims()) + "."),
        "no roles": bearer(mint_token(LOCAL_JWT_SECRET, sub="x", name="X", roles=[])),
    }
    for role in ROLES:
        out[role] = bearer(mint_token(LOCAL_JWT_SECRET, sub=f"{role}-matrix", name=role.title(),
                                      roles=[role]))
    return out


UNAUTHENTICATED = {"no token", "not a JWT", "expired", "bad signature", "alg none"}


def expected_status(allowed, ok, caller: str):
    if allowed is PUBLIC:
        return ok
    if caller in UNAUTHENTICATED:
        return 401
    return ok if caller in allowed else 403


# ------------------------------------------------------------------ the check

def fill(rule: str, values: dict) -> str:
    return re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", lambda m: str(values[m.group(1)]), rule)


def routes(app) -> set[tuple[str, str]]:
    return {(method, rule.rule) for rule in app.url_map.iter_rules()
            for method in rule.methods - {"HEAD", "OPTIONS"}}


def check(app, table, values: dict, on_allowed=None, platform=PLATFORM) -> list[str]:
    """Run the table against ``app``; return every mismatch as a line of text."""
    table = table + platform
    missing = routes(app) - {(m, r) for m, r, *_ in table}
    assert not missing, f"routes without a line in the access table: {sorted(missing)}"
    client = app.test_client()
    problems = []
    for method, rule, allowed, ok, extra in table:
        extra = dict(extra)
        path = fill(rule, {**values, **extra.pop("params", {})})
        for caller, headers in callers().items():
            resp = client.open(path, method=method, headers=headers, **extra)
            want = expected_status(allowed, ok, caller)
            wanted = want if isinstance(want, tuple) else (want,)
            if resp.status_code not in wanted:
                problems.append(f"{caller:>13} {method} {path}: {resp.status_code}, expected "
                                f"{want} — {resp.get_data(as_text=True)[:200]}")
                continue
            if resp.status_code in (401, 403):
                # A public browser page (an action or document link) refuses in HTML.
                page = allowed is PUBLIC and resp.mimetype == "text/html"
                if resp.mimetype != "application/problem+json" and not page:
                    problems.append(f"{caller} {method} {path}: {resp.status_code} "
                                    "is not problem+json")
                if resp.status_code == 401 and allowed is not PUBLIC and \
                        "WWW-Authenticate" not in resp.headers:
                    problems.append(f"{caller} {method} {path}: 401 without WWW-Authenticate")
            if on_allowed and resp.status_code < 300:
                on_allowed(caller, method, path, resp)
    return problems


# ------------------------------------------------------------------ what foi may see

PLANTED = re.compile(r"[\w.@-]*s40[\w.@-]*|S31-[A-Z0-9-]+", re.IGNORECASE)


def planted_values(content: dict) -> set[str]:
    """The personal (s40) and law-enforcement (s31) markers planted in the example CIA."""
    return set(PLANTED.findall(json.dumps(content, ensure_ascii=False)))


def readable_text(resp) -> str:
    """Every part of the answer as a reader sees it (``tests.leaks``): a DOCX's parts
    and nested packages, a PDF's text, JSON with its escapes undone."""
    return readable(resp.get_data())


# ------------------------------------------------------------------ the tests

def test_authoring_access_matrix_and_foi_never_sees_unredacted_content(databases):
    app = make_app(databases.new("authoring"))
    try:
        client = app.test_client()
        op, cia = approved_cia(app, client)
        planted = planted_values(cia["content"])
        assert len(planted) >= 15  # the example plants both kinds of marker
        seen_by_foi: list[str] = []

        def foi_reads(caller, method, path, resp):
            if caller != "foi":
                return
            seen_by_foi.append(path)
            text = readable_text(resp)
            leaked = sorted(v for v in planted if found(v, text))
            assert not leaked, f"foi read {leaked} at {path}"

        problems = check(app, AUTHORING, {"operation_id": op["id"], "cia_id": cia["id"],
                                          "number": 1, "filename": "nothing.txt"}, foi_reads)
        assert problems == []
        # foi did reach the disclosure copy itself (so the scan above scanned something).
        assert any(p.endswith("/versions/1/document") for p in seen_by_foi)
        # Positive control: the same checker sees every planted value in the full document.
        full = client.get(f"/api/v1/cias/{cia['id']}/versions/1/document",
                          headers=callers()["planner"])
        assert sorted(v for v in planted if not found(v, readable_text(full))) == []
    finally:
        db(app).dispose()


def test_public_log_access_matrix(databases):
    from tests.integration.test_foi_support import public_log

    app = make_app(databases.new("authoring"))
    try:
        with public_log(app) as client:
            assert check(client.application, PUBLIC_LOG, {}, platform=[]) == []
    finally:
        db(app).dispose()


def test_review_access_matrix(databases):
    app = review_app({"DATABASE_URL": databases.new("review"), "TESTING": True})
    try:
        event = submitted_event()
        assert deliver_submission(db(app), app.config, event)
        review_id = app.test_client().get(
            "/api/v1/reviews", query_string={"cia_id": event.data["cia_id"]},
            headers=callers()["admin"]).get_json()[0]["id"]
        assert check(app, REVIEW, {"review_id": review_id, "token": "not-a-link",
                                   "signed": "not-a-link", "filename": "nothing.txt"}) == []
    finally:
        db(app).dispose()


def test_notifier_access_matrix(databases):
    app = notifier_app({"DATABASE_URL": databases.new("notifier"), "TESTING": True,
                        "WEBHOOK_ALLOWED_HOSTS": "127.0.0.1"})
    try:
        created = app.test_client().post(
            "/api/v1/subscriptions", headers=callers()["admin"],
            json={"url": "http://127.0.0.1:9/hook", "event_types": ["review.requested"]})
        assert created.status_code == 201
        sub = created.get_json()
        listed = app.test_client().get("/api/v1/subscriptions", headers=callers()["admin"])
        # The secret is shown once, at creation; never in a read.
        assert sub["secret"] not in listed.get_data(as_text=True)
        assert check(app, NOTIFIER, {"sub_id": sub["id"], "delivery_id": "missing",
                                     "filename": "nothing.txt"}) == []
    finally:
        db(app).dispose()


# ------------------------------------------------------------------ separation of duties

def test_the_author_and_the_last_editor_cannot_approve_their_own_version(databases):
    """Holding both roles does not let a planner review what they wrote or edited,
    whichever way the decision comes in."""
    secret = "whsec_" + base64.b64encode(b"k" * 32).decode()
    app = review_app({"DATABASE_URL": databases.new("review"), "TESTING": True,
                      "INBOUND_SECRETS": json.dumps({"tooling": secret})})
    try:
        event = submitted_event(author={"sub": "dual-author", "name": "Dual Author"},
                                last_editor={"sub": "dual-editor", "name": "Dual Editor"},
                                requested_reviewers=[])
        assert deliver_submission(db(app), app.config, event)
        client = app.test_client()

        def token(sub):
            return {"Authorization": "Bearer " + mint_token(
                LOCAL_JWT_SECRET, sub=sub, name=sub, roles=["planner", "reviewer"])}

        review = client.get("/api/v1/reviews", query_string={"cia_id": event.data["cia_id"]},
                            headers=token("someone")).get_json()[0]
        for sub, word in (("dual-author", "author"), ("dual-editor", "edited")):
            resp = client.post(f"/api/v1/reviews/{review['id']}/decisions", headers=token(sub),
                               json={"decision": "approve", "comment": ""})
            assert resp.status_code == 403 and resp.mimetype == "application/problem+json"
            assert word in resp.get_json()["detail"]

        # The same refusal through a signed decision from an integration.
        body = json.dumps({"review_id": review["id"], "decision": "approve",
                           "reviewer": {"sub": "dual-author", "name": "Dual Author"}})
        headers = {**signed_webhook_headers(secret, "msg_sod_1", body),
                   "content-type": "application/json"}
        inbound = client.post("/api/v1/inbound/decisions", data=body, headers=headers)
        assert inbound.status_code == 403

        # Nobody was approved by those attempts; an independent reviewer still can.
        assert client.get(f"/api/v1/reviews/{review['id']}",
                          headers=token("x")).get_json()["state"] == "open"
        ok = client.post(f"/api/v1/reviews/{review['id']}/decisions",
                         headers=token("independent"), json={"decision": "approve"})
        assert ok.status_code == 201 and ok.get_json()["state"] == "approved"
    finally:
        db(app).dispose()


# ------------------------------------------------------------------ only reviewers decide

# The reviewer register (admin only); its lines join the review table above.
REVIEW.extend([
    ("GET", "/api/v1/reviewers", ADMIN, 200, {}),
    ("POST", "/api/v1/reviewers", ADMIN, 422, {"json": {}}),
    ("GET", "/api/v1/reviewers/<sub>", ADMIN, 404, {"params": {"sub": "missing"}}),
    ("PATCH", "/api/v1/reviewers/<sub>", ADMIN, 422,
     {"json": {"active": "perhaps"}, "params": {"sub": "missing"}}),
])


def test_a_planner_gains_no_decision_by_reassignment_or_integration(databases):
    """A reviewer cannot hand a review to a planner, so no link reaches one; an
    integration's signature does not vouch for someone outside the register."""
    secret = "whsec_" + base64.b64encode(b"k" * 32).decode()
    app = review_app({"DATABASE_URL": databases.new("review"), "TESTING": True,
                      "REVIEWERS": "reviewer-1", "INBOUND_SECRETS": json.dumps({"tooling": secret})})
    try:
        event = submitted_event(requested_reviewers=[])  # open to any reviewer
        assert deliver_submission(db(app), app.config, event)
        client = app.test_client()

        def token(sub, *roles):
            return {"Authorization": "Bearer " + mint_token(
                LOCAL_JWT_SECRET, sub=sub, name=sub, roles=list(roles))}

        review = client.get("/api/v1/reviews", query_string={"cia_id": event.data["cia_id"]},
                            headers=token("reviewer-1", "reviewer")).get_json()[0]
        moved = client.post(f"/api/v1/reviews/{review['id']}/reassign",
                            headers=token("reviewer-1", "reviewer"),
                            json={"reviewers": ["planner-7"], "reason": "over to you"})
        assert moved.status_code == 422 and "planner-7" in moved.get_json()["detail"]

        body = json.dumps({"review_id": review["id"], "decision": "approve",
                           "reviewer": {"sub": "planner-7", "name": "Planner Seven"}})
        headers = {**signed_webhook_headers(secret, "msg_planner_1", body),
                   "content-type": "application/json"}
        inbound = client.post("/api/v1/inbound/decisions", data=body, headers=headers)
        assert inbound.status_code == 403 and "register" in inbound.get_json()["detail"]

        assert client.get(f"/api/v1/reviews/{review['id']}",
                          headers=token("admin-1", "admin")).get_json()["state"] == "open"
    finally:
        db(app).dispose()


# ------------------------------------------------------------------ channels hold no decision

def test_a_channel_subscription_carries_no_power_to_decide(databases):
    """A review request from the real review service, delivered by the real notifier:
    the subscription bound to reviewer-1 gets reviewer-1's working link and nobody
    else's; a channel (Teams card or CloudEvent) gets no action link at all, and what
    it does link to needs a reviewer's own token."""
    import sqlalchemy as sa

    from cia_common.consumer import handle_event
    from cia_common.events import CloudEvent
    from cia_common.tables import outbox
    from cia_notifier.deliveries.consumers import fan_out
    from cia_notifier.deliveries.loop import DeliveryLoop
    from tests.receiver import WebhookReceiver

    review = review_app({"DATABASE_URL": databases.new("review"), "TESTING": True,
                         "REVIEWERS": "reviewer-1,reviewer-2"})
    notifier = notifier_app({"DATABASE_URL": databases.new("notifier"), "TESTING": True,
                             "WEBHOOK_ALLOWED_HOSTS": "127.0.0.1"})
    loop = DeliveryLoop()
    try:
        assert deliver_submission(db(review), review.config, submitted_event(
            requested_reviewers=["reviewer-1", "reviewer-2"]))
        with db(review).engine.connect() as conn:
            (raw,) = conn.execute(sa.select(outbox.c.payload).where(
                outbox.c.event_type == "review.requested")).scalars().all()
        event = CloudEvent.from_json(raw)
        action_links = event.data["action_links"]
        assert set(action_links) == {"reviewer-1", "reviewer-2"}

        admin = callers()["admin"]
        with WebhookReceiver() as card, WebhookReceiver() as plain, WebhookReceiver() as own:
            for url, extra in ((card.url, {"format": "teams"}), (plain.url, {}),
                               (own.url, {"reviewer_sub": "reviewer-1"})):
                resp = notifier.test_client().post(
                    "/api/v1/subscriptions", headers=admin,
                    json={"url": url, "event_types": ["review.requested"], **extra})
                assert resp.status_code == 201, resp.get_json()
            assert handle_event(db(notifier), "notifier", fan_out, event,
                                source="/cia-workflow/notifier", topic="cia.notifier.events")
            assert loop.drain(db(notifier), notifier.config) == ["succeeded"] * 3
            (card_body,), (plain_body,), (own_body,) = (
                [r.body.decode() for r in rx.received()] for rx in (card, plain, own))

        reviewer_site = review.test_client()
        for body in (card_body, plain_body):
            assert "/review/actions/" not in body
            assert not any(link in body for link in action_links.values())
            # What a channel member can open is the review itself, behind a token.
            urls = re.findall(r'https?://[^"\s]+/api/v1/reviews/[^"\s]+', body)
            assert urls
            for url in urls:
                assert reviewer_site.get(url[url.index("/api/"):]).status_code == 401

        own_links = json.loads(own_body)["data"]["action_links"]
        assert own_links == {"reviewer-1": action_links["reviewer-1"]}
        assert action_links["reviewer-2"] not in own_body
        link = own_links["reviewer-1"]
        assert reviewer_site.get(link[link.index("/review/"):]).status_code == 200
    finally:
        loop.close()
        db(review).dispose()
        db(notifier).dispose()
