"""A genuinely signed bearer token with odd claims (roles that are not a list of
strings, a sub that is not a usable identifier, a name or a time that is not what
it says) gets 401 problem+json on every service: never a 500, never a caller, and
nothing it asked for is written. Well-formed tokens, edge cases included, pass."""
from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import time

import jwt
import pytest
import sqlalchemy as sa

from cia_common.config import LOCAL_JWT_SECRET
from cia_common.web import db
from tests.integration.test_authoring_support import example
from tests.integration.test_hostile_input import FACTORIES, apps  # noqa: F401 (fixture)
from tests.integration.test_jwks import (AUDIENCE, ISSUER, bearer, client, idp,  # noqa: F401
                                         new_key, public_jwk)

pytestmark = pytest.mark.integration

ALL_ROLES = ["planner", "reviewer", "foi", "admin"]
MISSING = object()
_serial = itertools.count(1)


class Raw:
    """A claim value given as JSON text, for numbers Python would not write (1e400, NaN)."""

    def __init__(self, text: str):
        self.text = text

    def __repr__(self):
        return self.text[:12]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def token(**changes) -> str:
    """An HS256 token the services' secret signs, over well-formed claims with ``changes``."""
    now = int(time.time())
    claims = {"sub": f"caller-{next(_serial)}", "name": "Odd Caller", "roles": ALL_ROLES,
              "iat": now, "exp": now + 600}
    for key, value in changes.items():
        if value is MISSING:
            claims.pop(key, None)
        else:
            claims[key] = value
    payload = "{" + ", ".join(
        f"{json.dumps(k)}: {v.text if isinstance(v, Raw) else json.dumps(v)}"
        for k, v in claims.items()) + "}"
    signing_input = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode()) + "." + \
        _b64(payload.encode())
    signature = hmac.new(LOCAL_JWT_SECRET.encode(), signing_input.encode(), hashlib.sha256)
    return signing_input + "." + _b64(signature.digest())


ODD = {
    "roles 1": {"roles": 1},
    "roles true": {"roles": True},
    "roles an object": {"roles": {role: 1 for role in ALL_ROLES}},
    "roles [1]": {"roles": [1]},
    "roles with a number": {"roles": [*ALL_ROLES, 2]},
    "roles null": {"roles": None},
    "roles nested": {"roles": [ALL_ROLES]},
    "sub empty": {"sub": ""},
    "sub blank": {"sub": "   "},
    "sub 5": {"sub": 5},
    "sub null": {"sub": None},
    "sub missing": {"sub": MISSING},
    "sub a list": {"sub": ["admin"]},
    "sub of 201 characters": {"sub": "s" * 201},
    "sub with NUL": {"sub": "caller\u0000x"},
    "sub with a lone surrogate": {"sub": "caller-\ud800"},
    "name 5": {"name": 5},
    "name an object": {"name": {}},
    "name null": {"name": None},
    "name a list": {"name": ["Odd"]},
    "name of 201 characters": {"name": "n" * 201},
    "name with a control character": {"name": "Odd\u0007Caller"},
    **{f"{claim} {label}": {claim: value}
       for claim in ("exp", "iat", "nbf")
       for label, value in (("'x'", "x"), ("true", True), ("[]", []), ("{}", {}), ("null", None),
                            ("1e400", Raw("1e400")), ("-1e400", Raw("-1e400")),
                            ("NaN", Raw("NaN")), ("of 5,000 digits", Raw("9" * 5000)))},
}

# What each service writes on behalf of the caller: the request, the role it needs,
# the table that records it and the status of success.
NEEDS = {"authoring": "planner", "review": "reviewer", "notifier": "admin"}
TABLES = {"authoring": "operations", "review": "reviewers", "notifier": "subscriptions"}
CREATED = {"authoring": 201, "review": 200, "notifier": 201}


def act(service: str, app, headers: dict):
    client = app.test_client()
    if service == "authoring":
        body = {**example("operation.json"), "reference": f"LFR-2026-{next(_serial):04d}"}
        return client.post("/api/v1/operations", json=body, headers=headers)
    if service == "review":  # a reviewer token's first use enrols its holder
        return client.get("/api/v1/reviews", headers=headers)
    return client.post("/api/v1/subscriptions", headers=headers,
                       json={"url": "http://127.0.0.1:9/hook", "event_types": ["review.requested"]})


def rows(service: str, app) -> int:
    with db(app).engine.connect() as conn:
        return conn.execute(sa.text(f"SELECT count(*) FROM {TABLES[service]}")).scalar_one()


@pytest.mark.parametrize("service", sorted(FACTORIES))
@pytest.mark.parametrize("case", sorted(ODD))
def test_an_odd_claim_is_401_and_nothing_is_written(apps, service, case):
    app = apps[service]
    before = rows(service, app)
    resp = act(service, app, {"Authorization": "Bearer " + token(**ODD[case])})
    assert resp.status_code == 401, resp.get_data(as_text=True)[:300]
    assert resp.mimetype == "application/problem+json"
    assert "WWW-Authenticate" in resp.headers
    assert "token" in resp.get_json()["detail"].lower()
    assert rows(service, app) == before


def _good(service: str) -> dict:
    now = int(time.time())
    return {
        "well-formed": {},
        "one role as a string": {"roles": NEEDS[service]},
        "roles this system does not know, ignored": {"roles": [NEEDS[service], "superuser", ""]},
        "sub of 200 characters": {"sub": f"{next(_serial):06d}".ljust(200, "s")},
        "name of 200 characters": {"name": "n" * 200},
        "no name": {"name": MISSING},
        "empty name": {"name": ""},
        "no roles claim, then no roles": {"roles": MISSING},
        "fractional times": {"exp": now + 600.5, "iat": now - 0.5, "nbf": now - 1.5},
        "a name from beyond Latin": {"name": "Zoë Ó Súilleabháin 王"},
    }


@pytest.mark.parametrize("service", sorted(FACTORIES))
def test_well_formed_tokens_get_through_and_are_recorded(apps, service):
    """The positive control: the same request with a usable token is done, once."""
    app = apps[service]
    for label, changes in _good(service).items():
        before = rows(service, app)
        resp = act(service, app, {"Authorization": "Bearer " + token(**changes)})
        if label == "no roles claim, then no roles":
            assert resp.status_code == 403, resp.get_data(as_text=True)[:300]
            assert rows(service, app) == before
            continue
        assert resp.status_code == CREATED[service], (label, resp.get_data(as_text=True)[:300])
        assert rows(service, app) == before + 1, label


@pytest.mark.parametrize("case", ["roles 1", "roles an object", "sub empty", "iat true",
                                  "name 5"])
def test_tokens_from_an_identity_provider_are_held_to_the_same_shape(idp, client, case):
    key = new_key()
    idp.keys = [public_jwk(key, "k1")]

    def rs256(**changes) -> dict:
        now = int(time.time())
        claims = {"sub": "planner-9", "name": "Idp Planner", "roles": ["planner"], "iat": now,
                  "exp": now + 600, "iss": ISSUER, "aud": AUDIENCE, **changes}
        return bearer(jwt.encode(claims, key, algorithm="RS256", headers={"kid": "k1"}))

    assert client.get("/api/v1/operations", headers=rs256()).status_code == 200
    resp = client.get("/api/v1/operations", headers=rs256(**ODD[case]))
    assert resp.status_code == 401, resp.get_data(as_text=True)[:300]
    assert resp.mimetype == "application/problem+json"
