"""Verified bearer tokens are kept, by hash, until they expire: a cached read does not
check the same signature again, and nothing that would fail verification is let in."""
from __future__ import annotations

import time

import jwt
import pytest

from cia_common import auth
from cia_common.auth import VerifiedTokens, decode_token, mint_token

CFG = {"JWT_SECRET": "s" * 32}


@pytest.fixture(autouse=True)
def fresh_cache(monkeypatch):
    monkeypatch.setattr(auth, "VERIFIED", VerifiedTokens())


@pytest.fixture
def verifications(monkeypatch):
    calls = []
    real = auth._verify

    def counting(token, cfg):
        calls.append(token)
        return real(token, cfg)

    monkeypatch.setattr(auth, "_verify", counting)
    return calls


def test_a_token_is_verified_once_and_then_served_from_the_cache(verifications):
    token = mint_token(CFG["JWT_SECRET"], sub="planner-1", name="Pat", roles=["planner"])
    first = decode_token(token, CFG)
    assert decode_token(token, CFG) == first
    assert verifications == [token]
    other = mint_token(CFG["JWT_SECRET"], sub="planner-2", name="Lee", roles=["planner"])
    assert decode_token(other, CFG).sub == "planner-2"
    assert verifications == [token, other]


def test_a_token_differing_from_a_cached_one_is_verified_and_refused(verifications):
    token = mint_token(CFG["JWT_SECRET"], sub="planner-1", name="Pat", roles=["planner"])
    assert decode_token(token, CFG).sub == "planner-1"  # positive control: cached
    head, body, signature = token.split(".")
    forged = ".".join((head, body, ("A" if signature[0] != "A" else "B") + signature[1:]))
    with pytest.raises(jwt.InvalidSignatureError):
        decode_token(forged, CFG)
    promoted = jwt.encode({**jwt.decode(token, options={"verify_signature": False}),
                           "roles": ["admin"]}, "another secret of thirty-two bytes!",
                          algorithm="HS256")
    with pytest.raises(jwt.InvalidSignatureError):
        decode_token(promoted, CFG)


def test_other_settings_verify_afresh(verifications):
    token = mint_token(CFG["JWT_SECRET"], sub="planner-1", name="Pat", roles=["planner"])
    decode_token(token, CFG)
    with pytest.raises(jwt.InvalidSignatureError):
        decode_token(token, {"JWT_SECRET": "t" * 32})  # a rotated secret
    with pytest.raises(jwt.InvalidTokenError):  # no aud claim, now that one is asked for
        decode_token(token, {**CFG, "JWT_AUDIENCE": "cia"})
    assert len(verifications) == 3


def test_a_token_leaves_the_cache_when_it_expires(monkeypatch, verifications):
    token = mint_token(CFG["JWT_SECRET"], sub="planner-1", name="Pat", roles=["planner"],
                       ttl_seconds=60)
    decode_token(token, CFG)
    decode_token(token, CFG)
    assert len(verifications) == 1
    now = time.time()
    # The cache's clock past exp (PyJWT keeps its own): verified again, not served.
    monkeypatch.setattr(auth.time, "time", lambda: now + 61)
    decode_token(token, CFG)
    assert len(verifications) == 2


def test_an_expired_token_is_refused_and_not_kept(verifications):
    token = mint_token(CFG["JWT_SECRET"], sub="planner-1", name="Pat", roles=["planner"],
                       ttl_seconds=-10)
    for _ in range(2):
        with pytest.raises(jwt.ExpiredSignatureError):
            decode_token(token, CFG)
    assert len(verifications) == 2


def test_no_token_is_kept_longer_than_the_key_set(monkeypatch, verifications):
    token = mint_token(CFG["JWT_SECRET"], sub="planner-1", name="Pat", roles=["planner"],
                       ttl_seconds=8 * 3600)
    decode_token(token, CFG)
    now = time.time()
    monkeypatch.setattr(auth.time, "time", lambda: now + auth.VERIFIED_FOR_S + 1)
    decode_token(token, CFG)  # still valid: verified again, not served from the cache
    assert len(verifications) == 2


def test_an_exp_too_large_for_a_float_is_no_error():
    token = jwt.encode({"sub": "planner-1", "roles": ["planner"], "exp": 10 ** 400},
                       CFG["JWT_SECRET"], algorithm="HS256")
    try:
        principal = decode_token(token, CFG)
    except jwt.PyJWTError:
        return  # refused as a token is fine; an OverflowError (a 500) is not
    assert principal.sub == "planner-1"


def test_the_cache_is_bounded():
    cache = VerifiedTokens(size=2)
    p = auth.Principal("s", "n", ())
    for i in range(3):
        cache.put((i,), p, time.time() + 60)
    assert cache.get((0,)) is None and cache.get((1,)) == p and cache.get((2,)) == p
