"""Bearer token verification (RFC 8725 profile): RS256 only, issuer, audience or
Cognito ``client_id``, expiry, not-before, a lifetime the issuer could have granted and
``token_use``, against the issuer's JWKS."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Protocol

import jwt

from chalicelib.domain import Caller, language_of
from chalicelib.errors import InvalidToken

# Tokens this large are not ID tokens; refusing them early bounds the work done.
MAX_TOKEN_LENGTH = 8192
# The subject becomes part of DynamoDB keys: keep it to characters that cannot be
# mistaken for a key separator.
_SUBJECT = re.compile(r"^[A-Za-z0-9._:@|+-]{1,128}$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,255}$")


class SigningKeys(Protocol):
    def key_for(self, kid: str) -> Any:
        """The public key published under ``kid``; raises InvalidToken when unknown."""


@dataclass(frozen=True)
class TokenPolicy:
    issuer: str
    audiences: tuple[str, ...]
    token_use: str
    leeway_seconds: int
    #: the longest ``exp - iat`` the issuer grants (Cognito: one day for ID tokens); a
    #: longer-lived token was not issued by it as configured, or outlives any revocation
    max_lifetime_seconds: int


class JwksKeys:
    """The issuer's JWKS, fetched and cached by PyJWT.

    An unknown ``kid`` refetches the set (keys rotate), but PyJWT's cooldown allows
    that at most once per ``cooldown_seconds``, so forged kids cannot turn the
    authorizer into a request amplifier against the issuer.
    """

    def __init__(self, url: str, cooldown_seconds: float = 60.0) -> None:
        self._client = jwt.PyJWKClient(
            url, cache_jwk_set=True, lifespan=3600, timeout=5, cooldown_duration=cooldown_seconds
        )

    def key_for(self, kid: str) -> Any:
        try:
            return self._client.get_signing_key(kid).key
        except jwt.PyJWKClientError as e:
            raise InvalidToken("unknown signing key or keys unavailable") from e


def _clean(value: Any, limit: int = 200) -> str:
    if not isinstance(value, str):
        return ""
    return _CONTROL.sub("", value).strip()[:limit]


def verify_token(token: str, keys: SigningKeys, token_policy: TokenPolicy) -> Caller:
    """Return who the token speaks for, or raise :class:`InvalidToken`."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        raise InvalidToken("missing or oversized token")
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as e:
        raise InvalidToken("malformed token") from e
    if header.get("alg") != "RS256" or not isinstance(header.get("kid"), str):
        raise InvalidToken("unexpected algorithm or key id")
    key = keys.key_for(header["kid"])
    try:
        claims = jwt.decode(
            token,
            key=key,
            algorithms=["RS256"],
            issuer=token_policy.issuer,
            leeway=token_policy.leeway_seconds,
            options={"require": ["exp", "iat", "iss", "sub"], "verify_aud": False},
        )
    except jwt.PyJWTError as e:
        raise InvalidToken(str(e)) from e
    _check_lifetime(claims, token_policy.max_lifetime_seconds)
    _check_audience(claims, token_policy.audiences)
    if token_policy.token_use and claims.get("token_use") != token_policy.token_use:
        raise InvalidToken("wrong token_use")
    subject = claims["sub"]
    if not isinstance(subject, str) or not _SUBJECT.match(subject):
        raise InvalidToken("unusable subject")
    return _caller(claims)


def _check_lifetime(claims: dict[str, Any], max_lifetime_seconds: int) -> None:
    # PyJWT accepts anything int() takes ("123", true); NumericDate is a JSON number.
    exp, iat = claims["exp"], claims["iat"]
    if not all(isinstance(value, int | float) and not isinstance(value, bool) for value in (exp, iat)):
        raise InvalidToken("exp and iat must be numbers")
    # No leeway here: the issuer sets both claims, so clock skew does not enter.
    if not 0 < exp - iat <= max_lifetime_seconds:
        raise InvalidToken("lifetime longer than the issuer grants, or not positive")


def _check_audience(claims: dict[str, Any], audiences: tuple[str, ...]) -> None:
    # Cognito ID tokens carry ``aud``, its access tokens ``client_id``; OIDC issuers use ``aud``.
    audience = claims.get("aud", claims.get("client_id"))
    presented = audience if isinstance(audience, list) else [audience]
    if not audiences or not any(isinstance(a, str) and a in audiences for a in presented):
        raise InvalidToken("wrong audience")


def _caller(claims: dict[str, Any]) -> Caller:
    name = (
        _clean(claims.get("name"))
        or " ".join(
            part for part in (_clean(claims.get("given_name")), _clean(claims.get("family_name"))) if part
        )
        or _clean(claims.get("preferred_username"))
        or _clean(claims.get("cognito:username"))
    )
    raw_email = claims.get("email")
    email = _clean(raw_email, limit=320)
    if not _EMAIL.match(email):
        email = ""
    # What the issuer verified is the claim as it stands: an address that cleaning had
    # to change is another address, and vouched for by nobody.
    verified = bool(email) and email == raw_email and _is_true(claims.get("email_verified"))
    return Caller(
        user_id=claims["sub"],
        name=name or claims["sub"],
        email=email,
        locale=language_of(_clean(claims.get("locale"))),
        email_verified=verified,
    )


def _is_true(value: Any) -> bool:
    """OIDC's ``email_verified`` is a JSON boolean; Cognito's ID tokens (and the emulator's)
    carry the string "true". Anything else, 1 and "True" included, is not a yes."""
    return value is True or value == "true"
