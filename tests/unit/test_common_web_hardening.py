"""Hardening every service gets from cia_common.web: request size, secure headers,
per-client rate limits, proxy awareness. The apps run in-process on an
in-memory database that these requests never reach."""
from __future__ import annotations

import json
import re

import pytest

from cia_authoring.app import create_app as authoring_app
from cia_common.auth import mint_token
from cia_common.config import LOCAL_JWT_SECRET
from cia_notifier.app import create_app as notifier_app
from cia_review.app import create_app as review_app

NO_DB = {"DATABASE_URL": "sqlite:///:memory:", "RUN_MIGRATIONS": False, "TESTING": True}
PLANNER = {"Authorization": "Bearer " + mint_token(LOCAL_JWT_SECRET, sub="p", name="P",
                                                   roles=["planner"])}


def problem(resp, status: int) -> dict:
    assert resp.status_code == status, resp.get_data(as_text=True)[:500]
    assert resp.mimetype == "application/problem+json"
    body = resp.get_json()
    assert body["status"] == status
    return body


@pytest.fixture
def review():
    return review_app({**NO_DB, "RATE_LIMIT": "3/60"}).test_client()


# -------------------------------------------------------------- request size

def test_a_body_over_the_limit_is_refused_with_413_problem_json():
    client = authoring_app({**NO_DB, "MAX_CONTENT_LENGTH": 1024}).test_client()
    big = {"operation_id": "x", "content": {"header": {"title": "x" * 5000}}}
    body = problem(client.post("/api/v1/cias", json=big, headers=PLANNER), 413)
    assert body["title"] == "Request Entity Too Large"


def test_the_default_limit_is_two_mebibytes_and_configurable_by_env(monkeypatch):
    assert authoring_app(dict(NO_DB)).config["MAX_CONTENT_LENGTH"] == 2 * 1024 * 1024
    monkeypatch.setenv("CIA_MAX_CONTENT_LENGTH", "4096")
    assert notifier_app(dict(NO_DB)).config["MAX_CONTENT_LENGTH"] == 4096


def test_an_oversized_unsigned_inbound_decision_is_refused_before_anything_else():
    client = review_app(dict(NO_DB, MAX_CONTENT_LENGTH=2048)).test_client()
    resp = client.post("/api/v1/inbound/decisions", data="x" * 10_000,
                       content_type="application/json")
    problem(resp, 413)


# -------------------------------------------------------------- secure headers

def test_api_answers_carry_the_secure_headers():
    client = authoring_app(dict(NO_DB)).test_client()
    for resp in (client.get("/healthz"), client.get("/api/v1/cias")):  # 200 and 401
        assert resp.headers["X-Content-Type-Options"] == "nosniff"
        assert resp.headers["X-Frame-Options"] == "DENY"
        assert resp.headers["Referrer-Policy"] == "no-referrer"
        assert resp.headers["Cache-Control"] == "no-store"
        assert resp.headers["Content-Security-Policy"].startswith("default-src 'none'")
        assert "frame-ancestors 'none'" in resp.headers["Content-Security-Policy"]
        assert "Strict-Transport-Security" not in resp.headers  # plain HTTP, not behind TLS


def test_html_pages_get_a_script_free_policy(review):
    page = review.get("/review/actions/not-a-token")
    assert page.status_code == 400 and page.mimetype == "text/html"
    csp = page.headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "script-src" not in csp
    assert "form-action 'self'" in csp


@pytest.mark.parametrize("make", [authoring_app, review_app, notifier_app])
@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_the_docs_pages_load_only_what_the_service_serves(make, page):
    client = make(dict(NO_DB)).test_client()
    docs = client.get(page)
    assert docs.status_code == 200 and docs.mimetype == "text/html"
    csp = docs.headers["Content-Security-Policy"]
    assert "script-src 'self' 'unsafe-inline';" in csp  # no other origin
    assert "connect-src 'self'" in csp and "frame-ancestors 'none'" in csp
    html = docs.get_data(as_text=True)
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert assets and all(a.startswith("/docs-assets/") for a in assets), assets
    for asset in assets:
        served = client.get(asset)
        assert served.status_code == 200 and len(served.data) > 1000, asset
        # What the docs load names no host to fetch more from.
        assert not re.search(rb"""["'(]https?://[^"')]*\.(?:js|css|woff2?)["')]""", served.data), asset


def test_hsts_behind_tls_by_configuration():
    client = authoring_app({**NO_DB, "BEHIND_TLS": True, "HSTS_MAX_AGE": 600}).test_client()
    assert client.get("/healthz").headers["Strict-Transport-Security"] == \
        "max-age=600; includeSubDomains"


def test_hsts_when_a_trusted_proxy_says_https():
    client = authoring_app({**NO_DB, "TRUSTED_PROXIES": 1}).test_client()
    secure = client.get("/healthz", headers={"X-Forwarded-Proto": "https"})
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    assert "Strict-Transport-Security" not in client.get("/healthz").headers


def test_x_forwarded_headers_are_ignored_without_trusted_proxies():
    client = authoring_app(dict(NO_DB)).test_client()
    resp = client.get("/healthz", headers={"X-Forwarded-Proto": "https"})
    assert "Strict-Transport-Security" not in resp.headers


# -------------------------------------------------------------- rate limits

def test_action_links_are_rate_limited_per_client_with_retry_after(review):
    statuses = [review.get("/review/actions/guess-%d" % i).status_code for i in range(3)]
    assert statuses == [400, 400, 400]
    body = problem(review.get("/review/actions/guess-4"), 429)
    resp = review.get("/review/actions/guess-5")
    assert int(resp.headers["Retry-After"]) >= 1
    assert "try again" in body["detail"]
    # Another client has its own bucket.
    other = review.get("/review/actions/guess-6", environ_base={"REMOTE_ADDR": "10.9.8.7"})
    assert other.status_code == 400


def test_the_inbound_endpoint_has_its_own_bucket(review):
    for i in range(3):
        assert review.get(f"/review/actions/t{i}").status_code == 400
    assert review.get("/review/actions/t4").status_code == 429
    unsigned = [review.post("/api/v1/inbound/decisions", json={}).status_code for _ in range(4)]
    assert unsigned == [401, 401, 401, 429]


def test_bearer_endpoints_are_not_rate_limited(review):
    assert {review.get("/api/v1/reviews").status_code for _ in range(10)} == {401}


def test_rate_limits_can_be_switched_off():
    client = review_app({**NO_DB, "RATE_LIMIT": "0"}).test_client()
    assert {client.get(f"/review/actions/x{i}").status_code for i in range(100)} == {400}


def test_behind_a_trusted_proxy_the_forwarded_client_is_limited():
    client = review_app({**NO_DB, "RATE_LIMIT": "1/60", "TRUSTED_PROXIES": 1}).test_client()

    def from_(address):
        return client.get("/review/actions/a", headers={"X-Forwarded-For": address}).status_code

    assert [from_("203.0.113.1"), from_("203.0.113.1"), from_("203.0.113.2")] == [400, 429, 400]


def test_429_is_documented_on_the_limited_operations_only(review):
    spec = json.loads(review.get("/openapi.json").get_data())
    assert "429" in spec["paths"]["/review/actions/{token}"]["get"]["responses"]
    assert "429" in spec["paths"]["/review/actions/{token}"]["post"]["responses"]
    assert "429" in spec["paths"]["/api/v1/inbound/decisions"]["post"]["responses"]
    assert "429" not in spec["paths"]["/api/v1/reviews"]["get"]["responses"]


def test_a_bad_rate_setting_stops_the_service_at_start():
    with pytest.raises(ValueError):
        review_app({**NO_DB, "RATE_LIMIT": "lots"})
