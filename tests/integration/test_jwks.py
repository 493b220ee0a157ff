"""The JWKS cache against a real HTTP issuer on 127.0.0.1."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from chalicelib.errors import InvalidToken
from chalicelib.tokens import JwksKeys, TokenPolicy, verify_token
from devstack.issuer import AUDIENCE, ISSUER, Issuer

POLICY = TokenPolicy(ISSUER, (AUDIENCE,), "id", 30, max_lifetime_seconds=86400)


@pytest.fixture
def served_issuer():
    issuer = Issuer()
    url = issuer.start()
    yield issuer, url
    issuer.stop()


def test_keys_are_fetched_once_and_cached(served_issuer):
    issuer, url = served_issuer
    keys = JwksKeys(url)
    for _ in range(5):
        assert verify_token(issuer.token("alice"), keys, POLICY).user_id == "alice"
    assert issuer.jwks_requests == 1


def test_a_rotated_key_is_fetched_but_unknown_kids_cannot_flood_the_issuer(served_issuer):
    issuer, url = served_issuer
    keys = JwksKeys(url, cooldown_seconds=0)
    verify_token(issuer.token("alice"), keys, POLICY)
    issuer.keys["rotated"] = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    assert verify_token(issuer.token("alice", kid="rotated"), keys, POLICY).user_id == "alice"
    assert issuer.jwks_requests == 2

    throttled = JwksKeys(url, cooldown_seconds=300)
    verify_token(issuer.token("alice"), throttled, POLICY)
    before = issuer.jwks_requests
    for index in range(20):
        with pytest.raises(InvalidToken):
            throttled.key_for(f"forged-{index}")
    assert issuer.jwks_requests - before <= 1


def test_an_unreachable_issuer_fails_closed():
    keys = JwksKeys("http://127.0.0.1:9/.well-known/jwks.json")
    with pytest.raises(InvalidToken):
        keys.key_for("any")
