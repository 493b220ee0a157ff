"""Token verification, one row per way a token can be wrong (RFC 8725)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

import jwt
import pytest
from cryptography.hazmat.primitives import serialization

from chalicelib.errors import InvalidToken
from chalicelib.tokens import TokenPolicy, verify_token
from devstack.issuer import AUDIENCE, ISSUER, KID, Issuer

LEEWAY = 30
MAX_LIFETIME = 86400
POLICY = TokenPolicy(
    issuer=ISSUER,
    audiences=(AUDIENCE,),
    token_use="id",
    leeway_seconds=LEEWAY,
    max_lifetime_seconds=MAX_LIFETIME,
)


class StaticKeys:
    def __init__(self, issuer: Issuer) -> None:
        self._keys = {kid: key.public_key() for kid, key in issuer.keys.items()}

    def key_for(self, kid):
        if kid not in self._keys:
            raise InvalidToken("unknown signing key")
        return self._keys[kid]


@pytest.fixture(scope="module")
def issuer() -> Issuer:
    return Issuer()


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def _unsigned(issuer: Issuer) -> str:
    return f"{_b64({'alg': 'none', 'kid': KID})}.{_b64(issuer.claims('alice'))}."


def _hs256_with_public_key(issuer: Issuer) -> str:
    pem = issuer.private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    header = {"alg": "HS256", "kid": KID, "typ": "JWT"}
    signing_input = f"{_b64(header)}.{_b64(issuer.claims('alice'))}".encode()
    signature = hmac.new(pem, signing_input, hashlib.sha256).digest()
    return signing_input.decode() + "." + base64.urlsafe_b64encode(signature).decode().rstrip("=")


def _tampered(issuer: Issuer) -> str:
    header, _, signature = issuer.token("alice").split(".")
    return f"{header}.{_b64(issuer.claims('mallory'))}.{signature}"


def _stripped(issuer: Issuer) -> str:
    header, payload, _ = issuer.token("alice").split(".")
    return f"{header}.{payload}."


def _without(claim: str):
    return lambda issuer: issuer.token("alice", **{claim: None})


def _expired_since(issuer: Issuer, seconds: int) -> str:
    """An hour-long token that expired ``seconds`` ago."""
    exp = int(time.time()) - seconds
    return issuer.token("alice", iat=exp - 3600, exp=exp)


def _lasting(seconds: float, **claims):
    """A token issued now that claims to last ``seconds`` (``exp - iat``)."""

    def make(issuer: Issuer) -> str:
        now = int(time.time())
        return issuer.token("alice", iat=now, exp=now + seconds, **claims)

    return make


REFUSED = {
    "expired beyond leeway": lambda i: _expired_since(i, LEEWAY + 5),
    "not yet valid beyond leeway": lambda i: i.token("alice", nbf=int(time.time()) + LEEWAY + 30),
    "wrong issuer": lambda i: i.token("alice", iss="https://evil.example"),
    "wrong audience": lambda i: i.token("alice", aud="someone-else"),
    "no audience nor client_id": _without("aud"),
    "access token where id is required": lambda i: i.token("alice", token_use="access"),
    "alg none": _unsigned,
    "HS256 signed with the public key": _hs256_with_public_key,
    "unknown kid": lambda i: i.token("alice", kid="rotated-away"),
    "tampered payload": _tampered,
    "stripped signature": _stripped,
    "missing exp": _without("exp"),
    "missing iat": _without("iat"),
    "subject with a key separator": lambda i: i.token("alice#ORG"),
    "oversized": lambda i: i.token("alice", padding="x" * 9000),
    "garbage": lambda i: "not.a.jwt",
    "empty": lambda i: "",
    "kid not a string": lambda i: _b64({"alg": "RS256", "kid": 7}) + "." + i.token("alice").split(".", 1)[1],
    "lasting ten years": _lasting(10 * 365 * 86400),
    "lasting a second longer than the issuer grants": _lasting(MAX_LIFETIME + 1),
    "lasting a fraction of a second too long": _lasting(MAX_LIFETIME + 0.5),
    "expiring when issued": _lasting(0),
    "expiring before issued": lambda i: i.token("alice", iat=int(time.time()), exp=int(time.time()) - 1),
    "iat as a string": lambda i: i.token("alice", iat=str(int(time.time()))),
    "exp as a string": lambda i: i.token("alice", exp=str(int(time.time()) + 3600)),
    "iat as a boolean": lambda i: i.token("alice", iat=True),
}


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_refuses(issuer, case):
    token = REFUSED[case](issuer)
    with pytest.raises(InvalidToken):
        verify_token(token, StaticKeys(issuer), POLICY)


ACCEPTED = {
    "valid": lambda i: i.token("alice"),
    "expired within leeway": lambda i: _expired_since(i, LEEWAY - 5),
    "not before within leeway": lambda i: i.token("alice", nbf=int(time.time()) + LEEWAY - 5),
    "audience list containing ours": lambda i: i.token("alice", aud=["other", AUDIENCE]),
    "Cognito client_id instead of aud": lambda i: i.token("alice", aud=None, client_id=AUDIENCE),
    "lasting exactly what the issuer grants": _lasting(MAX_LIFETIME),
    "lasting an hour, as Cognito's ID tokens do": _lasting(3600),
}


@pytest.mark.parametrize("case", sorted(ACCEPTED))
def test_accepts(issuer, case):
    caller = verify_token(ACCEPTED[case](issuer), StaticKeys(issuer), POLICY)
    assert caller.user_id == "alice"


def test_caller_identity_comes_from_the_claims(issuer):
    token = issuer.token("0f1e-uuid", name="Élise Durand", email="elise@example.org", locale="en-GB")
    caller = verify_token(token, StaticKeys(issuer), POLICY)
    assert (caller.user_id, caller.name, caller.email, caller.locale) == (
        "0f1e-uuid",
        "Élise Durand",
        "elise@example.org",
        "en",
    )


def test_language_defaults_to_french_and_names_fall_back(issuer):
    token = issuer.token("bob", name=None, given_name="Bob", family_name="Martin", locale=None)
    caller = verify_token(token, StaticKeys(issuer), POLICY)
    assert (caller.name, caller.locale) == ("Bob Martin", "fr")


def test_control_characters_and_bad_emails_never_leave_the_token(issuer):
    token = issuer.token("bob", name="Bob\r\nBcc: x@evil\u202e", email="bob@x\r\nBcc: y@evil")
    caller = verify_token(token, StaticKeys(issuer), POLICY)
    assert caller.name == "BobBcc: x@evil"
    assert caller.email == ""


def test_signature_is_checked_with_rs256_only(issuer):
    token = jwt.encode(issuer.claims("alice"), issuer.private_key, algorithm="RS512", headers={"kid": KID})
    with pytest.raises(InvalidToken):
        verify_token(token, StaticKeys(issuer), POLICY)


@pytest.mark.parametrize(
    ("claim", "verified"),
    [
        (True, True),
        ("true", True),  # what Cognito (and the emulator's Cognito) puts in its ID tokens
        (False, False),
        ("false", False),
        ("True", False),
        ("TRUE", False),
        (1, False),
        ("1", False),
        ("yes", False),
        ([True], False),
        ({"value": True}, False),
        (None, False),  # no claim at all
    ],
)
def test_only_a_true_email_verified_claim_vouches_for_the_address(issuer, claim, verified):
    # GIVEN a token whose email_verified claim is ``claim``
    token = issuer.token("alice", email_verified=claim)
    # WHEN it is verified
    caller = verify_token(token, StaticKeys(issuer), POLICY)
    # THEN the caller's address counts as verified only for the JSON true or the string "true"
    assert (caller.email, caller.email_verified) == ("alice@example.org", verified)


def test_an_address_that_had_to_be_cleaned_is_not_the_verified_one(issuer):
    # GIVEN a verified address with a bidi mark inside: not the address the caller would see
    token = issuer.token("alice", email="al\u200eice@example.org", email_verified=True)
    # WHEN it is verified
    caller = verify_token(token, StaticKeys(issuer), POLICY)
    # THEN the cleaned address is kept for display but not vouched for
    assert (caller.email, caller.email_verified) == ("alice@example.org", False)


def test_a_verified_claim_without_a_usable_address_vouches_for_nothing(issuer):
    for email in (None, "", "not-an-address"):
        caller = verify_token(
            issuer.token("alice", email=email, email_verified=True), StaticKeys(issuer), POLICY
        )
        assert (caller.email, caller.email_verified) == ("", False)
