"""The public disclosure log's OpenAPI document (/openapi.json): it names every
route the log serves, with the answers each can give, and nothing it does not serve.
(That a served entry matches its schema is checked where one is published:
tests/integration/test_foi_requests.py.)"""
from __future__ import annotations

import re

import pytest

from cia_authoring.public.app import PREFIX, create_app


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('public') / 'snapshots.db'}"
    return create_app({"PUBLIC_DATABASE_URL": url, "PUBLIC_RATE_LIMIT": "0"})


@pytest.fixture(scope="module")
def document(app) -> dict:
    resp = app.test_client().get("/openapi.json")
    assert resp.status_code == 200 and resp.mimetype == "application/json"
    return resp.get_json()


def test_every_route_of_the_log_is_described_and_no_other(app, document):
    served = {re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
              for rule in app.url_map.iter_rules() if rule.rule.startswith(PREFIX)}
    assert len(served) == 4  # positive control: the routes were found
    assert set(document["paths"]) == served
    assert all(set(ops) == {"get"} for ops in document["paths"].values())


def test_each_answer_a_route_gives_is_described(app, document):
    """Answers the log gives without a published response: 404 and 422 as problems."""
    client = app.test_client()
    for path, status in ((f"{PREFIX}/nothing-sent", 404), (f"{PREFIX}/nothing-sent/letter", 404),
                         (f"{PREFIX}/x/letter?format=odt", 422), (f"{PREFIX}?page=0", 422),
                         (f"{PREFIX}/nothing-sent/attachments", 404), (PREFIX, 200)):
        resp = client.get(path)
        assert resp.status_code == status, path
        template = next(p for p in document["paths"]
                        if re.fullmatch(re.sub(r"\{\w+\}", "[^/]+", p), path.split("?")[0]))
        responses = document["paths"][template]["get"]["responses"]
        assert str(status) in responses, (path, status)
        if status >= 400:
            assert resp.mimetype == "application/problem+json"
            assert set(document["components"]["schemas"]["Problem"]["required"]) <= set(
                resp.get_json())
