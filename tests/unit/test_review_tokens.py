"""Action-link tokens, the page's CSRF token, inbound signatures and settings."""
from __future__ import annotations

import base64
import json
import time

import pytest

from cia_review.actions import tokens
from cia_review.inbound.service import SignatureRejected, verify
from cia_review.settings import SettingsError, derive_action_link_secret, review_settings
from tests.support import signed_webhook_headers

SECRET = b"k" * 32
NOW = 1_800_000_000.0


def claims(**kw):
    base = dict(review_id="rev-1", reviewer_sub="alice", version=2, round=1, ttl_hours=72, now=NOW)
    base.update(kw)
    return tokens.new_claims(**base)


def test_token_round_trip_binds_reviewer_review_and_version():
    c = claims()
    token = tokens.sign(SECRET, c)
    read = tokens.read(SECRET, token, now=NOW + 60)
    assert read == c
    assert (read.reviewer_sub, read.review_id, read.version, read.round) == ("alice", "rev-1", 2, 1)
    assert read.expires_at == int(NOW + 72 * 3600)


def test_token_expires_after_its_ttl():
    token = tokens.sign(SECRET, claims(ttl_hours=1))
    tokens.read(SECRET, token, now=NOW + 3599)
    with pytest.raises(tokens.TokenError) as err:
        tokens.read(SECRET, token, now=NOW + 3600)
    assert err.value.reason == "expired"


def test_tampered_claims_are_refused():
    token = tokens.sign(SECRET, claims())
    body, mac = token.split(".")
    doc = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    doc["s"] = "mallory"
    forged = base64.urlsafe_b64encode(json.dumps(doc).encode()).rstrip(b"=").decode()
    for bad in (f"{forged}.{mac}", token[:-2], "garbage", "", f"{body}.", token + ".x"):
        with pytest.raises(tokens.TokenError) as err:
            tokens.read(SECRET, bad, now=NOW)
        assert err.value.reason == "malformed"


def test_another_secret_does_not_verify():
    token = tokens.sign(SECRET, claims())
    with pytest.raises(tokens.TokenError):
        tokens.read(b"other" * 8, token, now=NOW)


def test_tokens_are_unique_and_stored_as_a_hash():
    a, b = tokens.sign(SECRET, claims()), tokens.sign(SECRET, claims())
    assert a != b
    assert tokens.digest(a) != tokens.digest(b)
    assert len(tokens.digest(a)) == 64 and a not in tokens.digest(a)


def test_csrf_is_bound_to_the_link_and_the_page():
    token = tokens.sign(SECRET, claims())
    nonce = tokens.new_nonce(now=NOW)
    csrf = tokens.csrf_token(SECRET, token, nonce)
    assert tokens.check_csrf(SECRET, token, nonce, csrf, now=NOW + 10)
    other = tokens.sign(SECRET, claims())
    assert not tokens.check_csrf(SECRET, other, nonce, csrf, now=NOW + 10)
    assert not tokens.check_csrf(SECRET, token, tokens.new_nonce(now=NOW), csrf, now=NOW + 10)
    assert not tokens.check_csrf(SECRET, token, nonce, csrf, now=NOW + 7200)
    assert not tokens.check_csrf(SECRET, token, nonce, None, now=NOW)
    assert not tokens.check_csrf(SECRET, token, "x.y", csrf, now=NOW)


# --- inbound signatures ------------------------------------------------------

WHSEC = "whsec_" + base64.b64encode(b"s" * 32).decode()
OTHER = "whsec_" + base64.b64encode(b"o" * 32).decode()


def signed_headers(secret: str, body: str, msg_id: str = "msg_1", at: float | None = None):
    return signed_webhook_headers(secret, msg_id, body, at)


def test_inbound_signature_names_the_integration():
    body = '{"a": 1}'
    headers = signed_headers(WHSEC, body)
    assert verify({"other": OTHER, "tooling": WHSEC}, body.encode(), headers) == "tooling"


def test_inbound_signature_accepts_a_rotated_pair():
    body = "{}"
    at = time.time()  # one reading: both signatures must cover the header's timestamp
    good = signed_headers(WHSEC, body, at=at)["webhook-signature"]
    old = signed_headers(OTHER, body, at=at)["webhook-signature"]
    headers = {**signed_headers(WHSEC, body, at=at), "webhook-signature": f"{old} {good}"}
    assert verify({"tooling": WHSEC}, body.encode(), headers) == "tooling"


@pytest.mark.parametrize("mutate", [
    lambda h, b: (h, b + b" "),                                          # body changed
    lambda h, b: ({**h, "webhook-id": "msg_2"}, b),                        # id changed
    lambda h, b: ({**h, "webhook-signature": "v1,AAAA"}, b),               # wrong signature
    lambda h, b: ({**h, "webhook-signature": "nonsense"}, b),              # malformed entry
    lambda h, b: ({k: v for k, v in h.items() if k != "webhook-id"}, b),  # header missing
])
def test_inbound_signature_refusals(mutate):
    body = b'{"decision": "approve"}'
    headers, body = mutate(signed_headers(WHSEC, body.decode()), body)
    with pytest.raises(SignatureRejected):
        verify({"tooling": WHSEC}, body, headers)


def test_inbound_stale_timestamp_is_refused():
    body = "{}"
    headers = signed_headers(WHSEC, body, at=time.time() - 600)
    with pytest.raises(SignatureRejected) as err:
        verify({"tooling": WHSEC}, body.encode(), headers)
    assert "window" in str(err.value)


# --- settings ----------------------------------------------------------------

def test_settings_defaults_and_overrides():
    s = review_settings({"JWT_SECRET": "jwt"})
    assert s.approvals_required == 1 and s.lead_hours == 24 and s.min_hours == 2
    assert s.reminder_hours == 12 and s.action_link_ttl_hours == 72 and s.reviewer_pool == ()
    assert s.action_link_secret == derive_action_link_secret("jwt") != b"jwt"
    s = review_settings({"JWT_SECRET": "jwt", "REVIEWER_POOL": " a, b,,a ", "APPROVALS_REQUIRED": "2",
                         "INBOUND_SECRETS": json.dumps({"tool": WHSEC})})
    assert s.reviewer_pool == ("a", "b") and s.approvals_required == 2
    assert s.inbound_secrets == {"tool": WHSEC}


@pytest.mark.parametrize("bad", [
    {"APPROVALS_REQUIRED": 0}, {"APPROVALS_REQUIRED": "many"},
    {"INBOUND_SECRETS": "not json"}, {"INBOUND_SECRETS": '{"tool": "plain"}'},
])
def test_settings_refuse_bad_values(bad):
    with pytest.raises(SettingsError):
        review_settings({"JWT_SECRET": "jwt", **bad})


def document_claims(**kw):
    base = dict(token_id="tok-1", review_id="rev-1", reviewer_sub="alice", cia_id="cia-1",
                version=2, format="docx", expires_at=int(NOW) + 600)
    base.update(kw)
    return tokens.DocumentClaims(**base)


def test_document_link_round_trip_and_expiry():
    c = document_claims()
    signed = tokens.sign_document(SECRET, c)
    assert tokens.read_document(SECRET, signed, now=NOW + 599) == c
    with pytest.raises(tokens.TokenError) as exc:
        tokens.read_document(SECRET, signed, now=NOW + 600)
    assert exc.value.reason == "expired"


@pytest.mark.parametrize("changes", [{"v": 3}, {"s": "bob"}, {"c": "cia-2"}, {"f": "pdf"},
                                     {"x": int(NOW) + 10**6}, {"j": "tok-2"}])
def test_a_document_link_with_any_claim_changed_is_refused(changes):
    body, mac = tokens.sign_document(SECRET, document_claims()).split(".")
    doc = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    doc.update(changes)
    forged = base64.urlsafe_b64encode(json.dumps(doc).encode()).rstrip(b"=").decode()
    with pytest.raises(tokens.TokenError) as exc:
        tokens.read_document(SECRET, f"{forged}.{mac}", now=NOW)
    assert exc.value.reason == "malformed"


def test_document_and_action_link_keys_do_not_cross():
    """An action link is not a document link, nor the other way round."""
    c = claims()
    action = tokens.sign(SECRET, c)
    with pytest.raises(tokens.TokenError):
        tokens.read_document(SECRET, action, now=NOW)
    document = tokens.sign_document(SECRET, document_claims())
    with pytest.raises(tokens.TokenError):
        tokens.read(SECRET, document, now=NOW)
    with pytest.raises(tokens.TokenError):
        tokens.read_document(b"x" * 32, document, now=NOW)
