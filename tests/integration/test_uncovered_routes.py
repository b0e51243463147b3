"""Routes no other test reached: ``cia token`` against all three services,
``GET /api/v1/disclosures/rules/{id}``, and ``/readyz`` of the review service and
the notifier when their database or the broker cannot be reached."""
from __future__ import annotations

import secrets
import socket

import jwt
import pytest
from click.testing import CliRunner

from cia_authoring.app import create_app as authoring_app
from cia_common.cli import main as cia
from cia_common.web import db
from cia_notifier.app import create_app as notifier_app
from cia_notifier.spec import build_spec as notifier_spec
from cia_review.app import create_app as review_app
from cia_review.spec import build_spec as review_spec

from tests.integration.test_authoring_support import (ADMIN, FOI, PLANNER, REVIEWER, app, client,
                                                      ok, problem)
from tests.integration.test_foi_support import FOI_OFFICER
from tests.support import running_worker, wait_for

pytestmark = pytest.mark.integration
__all__ = ["app", "client"]

RULES = "/api/v1/disclosures/rules"


def mint(*args: str) -> str:
    result = CliRunner().invoke(cia, ["token", *args])
    assert result.exit_code == 0, result.output
    return result.output.strip()


def bearer_of(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def refused_port() -> socket.socket:
    """A socket bound on 127.0.0.1 but not listening: connecting to its port is refused
    at once, and nothing else can take the port while it is open."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    return sock


# --- cia token -----------------------------------------------------------------------

def test_cia_token_mints_what_each_service_accepts_with_its_roles(monkeypatch, tmp_path):
    # Production mode with a secret of this deployment: the token must verify against
    # the services' own configuration, not against a constant both sides happen to share.
    secret = secrets.token_urlsafe(48)
    monkeypatch.setenv("CIA_ENV", "production")
    monkeypatch.setenv("CIA_JWT_SECRET", secret)
    monkeypatch.setenv("CIA_DEV_SECRET_FILE", str(tmp_path / "unused-dev-secret"))
    apps = {
        "authoring": authoring_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'a.db'}", "TESTING": True}),
        "review": review_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'r.db'}", "TESTING": True}),
        "notifier": notifier_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'n.db'}", "TESTING": True}),
    }
    try:
        planner = mint("--sub", "planner-9", "--name", "Pat Planner", "--role", "planner",
                       "--ttl", "600")
        claims = jwt.decode(planner, secret, algorithms=["HS256"])
        assert (claims["sub"], claims["name"], claims["roles"]) == \
            ("planner-9", "Pat Planner", ["planner"])
        assert claims["exp"] - claims["iat"] == 600
        reviewer = mint("--sub", "reviewer-9", "--name", "Rae Reviewer", "--role", "reviewer")
        admin = mint("--sub", "admin-9", "--name", "Ash Admin", "--role", "admin", "--role", "foi")
        assert jwt.decode(admin, secret, algorithms=["HS256"])["roles"] == ["admin", "foi"]

        authoring = apps["authoring"].test_client()
        review = apps["review"].test_client()
        notifier = apps["notifier"].test_client()
        assert authoring.get("/api/v1/operations", headers=bearer_of(planner)).status_code == 200
        assert review.get("/api/v1/reviews", headers=bearer_of(reviewer)).status_code == 200
        assert notifier.get("/api/v1/subscriptions", headers=bearer_of(admin)).status_code == 200
        # The roles minted are the roles honoured.
        assert review.get("/api/v1/reviews", headers=bearer_of(planner)).status_code == 403
        assert notifier.get("/api/v1/subscriptions", headers=bearer_of(reviewer)).status_code == 403
        # Control: the same claims under another secret are turned away.
        forged = mint("--sub", "planner-9", "--name", "Pat Planner", "--role", "planner",
                      "--secret", secrets.token_urlsafe(48))
        assert authoring.get("/api/v1/operations", headers=bearer_of(forged)).status_code == 401
    finally:
        for application in apps.values():
            db(application).dispose()


def test_cia_token_refuses_to_mint_without_a_secret_outside_development(monkeypatch, tmp_path):
    monkeypatch.setenv("CIA_ENV", "production")
    monkeypatch.delenv("CIA_JWT_SECRET", raising=False)
    monkeypatch.setenv("CIA_DEV_SECRET_FILE", str(tmp_path / "jwt-secret"))
    result = CliRunner().invoke(cia, ["token", "--sub", "a", "--name", "A", "--role", "admin"])
    assert result.exit_code == 1
    assert "CIA_JWT_SECRET is not set" in result.output
    assert "eyJ" not in result.output  # no token printed beside the error
    assert not (tmp_path / "jwt-secret").exists()  # and no development secret made up


# --- GET /api/v1/disclosures/rules/{id} -------------------------------------------------

def test_one_censor_rule_is_read_by_foi_and_admin_only(client):
    created = ok(client.post(RULES, headers=FOI_OFFICER, json={
        "kind": "literal", "pattern": "Whitgift Centre", "exemption": "s31",
        "reason": "Reveals where the cameras stand."}), 201)
    url = f"{RULES}/{created['id']}"
    for who in (FOI, ADMIN):
        rule = ok(client.get(url, headers=who))
        assert rule == {k: v for k, v in created.items() if k != "copies_to_rerender"}
        assert rule["pattern"] == "Whitgift Centre" and rule["scope"] == "global"
        assert rule["shown_as"] == "[Redacted — s.31(1)(a)(b)]"
        assert [h["action"] for h in rule["history"]] == ["created"]

    # The history as it grows: a withdrawn rule is still there to read.
    ok(client.delete(url, headers=FOI_OFFICER))
    rule = ok(client.get(url, headers=ADMIN))
    assert rule["active"] is False and [h["action"] for h in rule["history"]] == \
        ["created", "withdrawn"]

    missing = problem(client.get(f"{RULES}/00000000-0000-0000-0000-000000000000", headers=FOI), 404)
    assert "Censor rule" in missing["detail"]
    for who in (PLANNER, REVIEWER):
        problem(client.get(url, headers=who), 403)
    problem(client.get(url), 401)


# --- /readyz of review and notifier ---------------------------------------------------

@pytest.mark.parametrize("factory", [review_app, notifier_app], ids=["review", "notifier"])
def test_readyz_answers_503_when_the_database_or_the_broker_is_unreachable(
        factory, databases, kafka_bootstrap):
    def readyz(config: dict):
        application = factory({"TESTING": True, "READY_NEEDS_WORKER": False, **config})
        try:
            resp = application.test_client().get("/readyz")
            return resp.status_code, resp.get_json()
        finally:
            db(application).dispose()

    url = databases.new("service")
    # Control: both reachable, so the 503s below are about what was taken away.
    assert readyz({"DATABASE_URL": url, "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap}) == \
        (200, {"status": "ready", "checks": {"database": "ok", "kafka": "ok"}})

    with refused_port() as sock:
        port = sock.getsockname()[1]
        status, body = readyz({"DATABASE_URL": f"postgresql+psycopg://cia@127.0.0.1:{port}/gone",
                               "RUN_MIGRATIONS": False,
                               "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap})
        assert status == 503 and body["status"] == "not ready"
        assert body["checks"]["kafka"] == "ok"
        assert body["checks"]["database"].startswith("unavailable: ")

        status, body = readyz({"DATABASE_URL": url,
                               "KAFKA_BOOTSTRAP_SERVERS": f"127.0.0.1:{port}"})
        assert status == 503 and body == {"status": "not ready",
                                          "checks": {"database": "ok", "kafka": "unreachable"}}


@pytest.mark.parametrize("factory, spec", [(review_app, review_spec),
                                           (notifier_app, lambda _cfg: notifier_spec())],
                         ids=["review", "notifier"])
def test_readyz_waits_for_the_worker_to_consume_its_topics(factory, spec, databases,
                                                           kafka_bootstrap, topic_prefix):
    """Ready means the service's worker has joined its consumer group and holds every
    partition of its topics: until then, events sent to it would wait unread."""
    application = factory({"TESTING": True, "DATABASE_URL": databases.new("ready"),
                           "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
                           "TOPIC_PREFIX": topic_prefix})
    client = application.test_client()
    try:
        resp = client.get("/readyz")
        assert resp.status_code == 503
        assert resp.get_json()["checks"]["worker"].startswith("not consuming: ")
        cfg = dict(application.config)
        with running_worker(spec(cfg), cfg):
            ready = wait_for(lambda: (r := client.get("/readyz")).status_code == 200 and r, 60,
                             0.2, message="/readyz once the worker consumes")
            assert ready.get_json()["checks"] == {"database": "ok", "kafka": "ok", "worker": "ok"}
        # The worker gone (it left its group), the service is not ready again.
        wait_for(lambda: client.get("/readyz").status_code == 503, 30, 0.2,
                 message="/readyz without the worker")
    finally:
        db(application).dispose()
