"""No default secret: outside development the services and ``cia token`` refuse to
start or mint without CIA_JWT_SECRET; development generates one per checkout."""
from __future__ import annotations

import stat

import jwt
import pytest
from click.testing import CliRunner

from cia_common.auth import mint_token
from cia_common.cli import main as cia
from cia_common.config import load_config
from cia_common.secret import TEST_SUITE_SECRET, SecretMissing, jwt_secret
from cia_review.app import create_app as review_app
from cia_review.settings import SettingsError, review_settings


@pytest.fixture
def production(monkeypatch, tmp_path):
    monkeypatch.setenv("CIA_ENV", "production")
    monkeypatch.delenv("CIA_JWT_SECRET", raising=False)
    monkeypatch.delenv("CIA_JWKS_URL", raising=False)
    monkeypatch.setenv("CIA_DEV_SECRET_FILE", str(tmp_path / "jwt-secret"))
    return tmp_path


def test_no_secret_outside_development_is_refused_naming_the_variable(production):
    with pytest.raises(SecretMissing, match="CIA_JWT_SECRET"):
        jwt_secret()
    for service in ("authoring", "review", "notifier"):
        with pytest.raises(SecretMissing, match="CIA_JWT_SECRET"):
            load_config(service, {"DATABASE_URL": "sqlite://"})
    assert not (production / "jwt-secret").exists()


def test_the_published_test_secret_is_refused_outside_development(production, monkeypatch):
    monkeypatch.setenv("CIA_JWT_SECRET", TEST_SUITE_SECRET)
    with pytest.raises(SecretMissing, match="published"):
        jwt_secret()
    monkeypatch.setenv("CIA_ENV", "development")
    assert jwt_secret() == TEST_SUITE_SECRET


def test_an_unknown_environment_is_refused(monkeypatch):
    monkeypatch.setenv("CIA_ENV", "staging")
    with pytest.raises(SecretMissing, match="CIA_ENV"):
        jwt_secret()


def test_development_generates_one_secret_per_checkout(production, monkeypatch):
    monkeypatch.setenv("CIA_ENV", "development")
    first = jwt_secret()
    assert len(first) >= 48 and first != TEST_SUITE_SECRET
    assert jwt_secret() == first
    path = production / "jwt-secret"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in production.iterdir()] == ["jwt-secret"]


def test_jwks_needs_no_hs256_secret_but_action_links_need_a_key(production, monkeypatch):
    monkeypatch.setenv("CIA_JWKS_URL", "https://idp.example/jwks")
    cfg = load_config("review", {"DATABASE_URL": "sqlite://"})
    assert cfg["JWT_SECRET"] is None
    with pytest.raises(SettingsError, match="ACTION_LINK_SECRET"):
        review_settings(cfg)
    assert review_settings({**cfg, "ACTION_LINK_SECRET": "k" * 32}).action_link_secret == b"k" * 32


def test_a_token_signed_with_the_old_constant_is_not_accepted(production, monkeypatch, tmp_path):
    monkeypatch.setenv("CIA_JWT_SECRET", "a-secret-of-this-deployment-" + "x" * 20)
    app = review_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'review.db'}", "REVIEWERS": ""})
    forged = mint_token(TEST_SUITE_SECRET, sub="admin-1", name="A", roles=["admin"])
    resp = app.test_client().get("/api/v1/reviews", headers={"Authorization": f"Bearer {forged}"})
    assert resp.status_code == 401


def test_cia_token_refuses_without_a_secret_and_reads_the_development_one(production,
                                                                          monkeypatch):
    runner = CliRunner()
    args = ["token", "--sub", "admin-1", "--name", "A", "--role", "admin"]
    refused = runner.invoke(cia, args)
    assert refused.exit_code != 0 and "CIA_JWT_SECRET" in refused.output
    monkeypatch.setenv("CIA_ENV", "development")
    minted = runner.invoke(cia, args)
    assert minted.exit_code == 0, minted.output
    claims = jwt.decode(minted.output.strip(), jwt_secret(), algorithms=["HS256"])
    assert claims["sub"] == "admin-1"
