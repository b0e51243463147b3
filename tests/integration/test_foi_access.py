"""An foi token against every route the authoring service serves (read from its
URL map, so a new endpoint is covered the day it is added): everything outside
disclosures and statistics answers 403, and nothing an foi token can reach —
in any format it can ask for, zips and DOCX parts included — carries a planted
s40/s31 value, a free-text e-mail or phone number, or censored text."""
from __future__ import annotations

import re

import pytest

from cia_common.web import db

from tests.integration.test_authoring_support import make_app, ok
from tests.integration.test_foi_statistics import SAMPLE, run_import
from tests.integration.test_foi_support import (CENSOR_NAME, FOI_OFFICER, approve, checked, drain,
                                                planted_content, readable_text)
from tests.leaks import found, readable

pytestmark = pytest.mark.integration

# Disclosure copies, statistics, legacy documents (brought in per operation) and
# FOI request cases are the FOI team's; the disclosure log is public.
FOI_AREAS = ("/api/v1/disclosures", "/api/v1/statistics", "/api/v1/documents",
             "/api/v1/foi-requests")
FOI_OPERATION_AREA = re.compile(r"^/api/v1/operations/[^/]+/documents$")
PUBLIC = ("/healthz", "/readyz", "/metrics", "/openapi.json", "/asyncapi.json", "/docs",
          "/redoc", "/static/")
VARIANTS = [{}, {"Accept": "application/pdf"}, {"Accept": "text/csv"}, {"Accept": "image/png"},
            {"Accept": "application/vnd.openxmlformats-officedocument.wordprocessingml.document"}]
QUERIES = [{}, {"format": "pdf"}, {"format": "csv"}, {"format": "png"}, {"format": "docx"},
           {"group_by": "borough"}, {"group_by": "year"}, {"include_inactive": "true"}]


def fill(rule: str, values: dict) -> str:
    return re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", lambda m: str(values[m.group(1)]), rule)


def test_an_foi_token_never_reaches_full_documents_or_unredacted_content(databases,
                                                                          kafka_bootstrap):
    # PDF_RENDER_AHEAD off: a PDF request converts the copy there and then, so the
    # sweep reads a real PDF rather than a 503 "not ready yet".
    # No worker runs beside this app: /readyz answers for the web process alone.
    app = make_app(databases.new("authoring"), KAFKA_BOOTSTRAP_SERVERS=kafka_bootstrap,
                   PDF_RENDER_AHEAD=False, READY_NEEDS_WORKER=False)
    try:
        client = app.test_client()
        content, tokens = planted_content("LFR-2026-0042")
        op, cia = approve(app, client, content)
        rule = ok(client.post("/api/v1/disclosures/rules", headers=FOI_OFFICER, json={
            "cia_id": cia["id"], "kind": "literal", "pattern": CENSOR_NAME, "exemption": "s40",
            "reason": "Name of an officer below Superintendent."}), 201)
        ok(client.post("/api/v1/disclosures/rules", headers=FOI_OFFICER, json={
            "kind": "regex", "pattern": r"ZQ-BADGE-\d{4}", "exemption": "s31",
            "reason": "Internal log numbers reveal tactics."}), 201)
        term = ok(client.post("/api/v1/disclosures/release-terms", headers=FOI_OFFICER, json={
            "term": "Greggs", "reason": "A bakery, not a person."}), 201)
        drain(app)
        checked(app)
        ok(client.post(f"/api/v1/disclosures/{cia['id']}/versions/1/release",
                       headers=FOI_OFFICER))
        assert run_import(app.config["DATABASE_URL"], SAMPLE).exit_code == 0
        secret = [t for where, forms in tokens.items() for t in forms]
        not_in_rules = [t for where, forms in tokens.items() if not where.startswith("censor")
                        for t in forms]
        vocabulary = readable(client.get("/openapi.json").data)
        assert not found("ZQS40LEAK", vocabulary) and not found("ZQ S40", vocabulary)
        case = ok(client.post("/api/v1/foi-requests", headers=FOI_OFFICER, json={
            "reference": "01.FOI.26.000001", "received_on": "2026-03-02",
            "requester": {"name": "A Requester", "email": "requester@example.org"},
            "questions": [{"number": 1, "text": "The CIAs of 2026."}]}), 201)
        values = {"cia_id": cia["id"], "number": 1, "operation_id": op["id"],
                  "rule_id": rule["id"], "term_id": term["id"], "filename": "app.js",
                  "request_id": case["id"],
                  "reference": case["reference"], "document_id": "no-such-document",
                  "kind": "cia", "page": 1}

        routes = sorted(((r.rule, m) for r in app.url_map.iter_rules()
                         for m in r.methods - {"HEAD", "OPTIONS"}),
                        key=lambda x: (x[1] == "DELETE", x))
        assert len(routes) >= 30
        reached, refused = [], []
        for rule_path, method in routes:
            path = fill(rule_path, values)
            foi_area = path.startswith(FOI_AREAS) or bool(FOI_OPERATION_AREA.match(path))
            public = path.startswith(PUBLIC)
            tries = [(h, {}) for h in VARIANTS] + [({}, q) for q in QUERIES[1:]] \
                if method == "GET" and foi_area else [({}, {})]
            for headers, query in tries:
                resp = client.open(path, method=method, query_string=query, json={},
                                   headers={**FOI_OFFICER, **headers, "If-Match": "*"})
                where = f"{method} {path} {headers} {query}: {resp.status_code}"
                if not (foi_area or public):
                    assert resp.status_code == 403, where
                    assert resp.mimetype == "application/problem+json", where
                    refused.append(path)
                    continue
                assert resp.status_code not in (401, 403) and resp.status_code < 500, where
                # Normalised and unescaped (a PNG: its text chunks), so a value
                # behind "&amp;", a line break or a no-break space is still seen.
                text = readable_text(resp.get_data())
                forbidden = not_in_rules if "/rules" in path else secret
                if public:  # the API's own vocabulary (enumerations) is documented there
                    forbidden = [t for t in forbidden if not found(t, vocabulary)]
                assert [t for t in forbidden if found(t, text)] == [], where
                if resp.status_code == 200:
                    reached.append((method, path, resp.mimetype))

        # The sweep did reach the documents and the bundle, and was refused the rest.
        mimetypes = {m for _, _, m in reached}
        assert {"application/zip", "text/csv", "image/png", "application/json", "application/pdf",
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document"} <= mimetypes
        assert f"/api/v1/cias/{cia['id']}/versions/1/document" in refused
        assert f"/api/v1/operations/{op['id']}" in refused and "/api/v1/cias" in refused
        assert f"/api/v1/cias/{cia['id']}/audit" in refused
    finally:
        db(app).dispose()
