"""One-click unsubscribe links (RFC 8058): the headers every admin email carries, and the
check of a link when someone follows it.

A link names what it turns off: one organization's admin emails for one user, or, for
an email that lists several organizations (a digest, a reminder), all of that user's
admin emails. It needs no sign-in, so it is signed: ``<payload>.<signature>``, both
base64url without padding, the payload ``<link_id>.<user>.<org>.<expiry>`` (``<org>``
empty for all organizations, ``<expiry>`` in Unix seconds), the signature its
HMAC-SHA256 under a key kept in Secrets Manager. ``link_id`` is fresh for each email,
so that the table can remember a link was used (``UsedLinkModel``) and refuse it again.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

from chalicelib.errors import InvalidLink

#: How long a link works. Mail readers keep messages for months; a link that no longer
#: works sends its reader to the console's preferences, which always do.
LINK_VALIDITY = timedelta(days=90)
#: Far above any token this module signs (user ids are at most 128 characters).
MAX_TOKEN_LENGTH = 1024
_ID = re.compile(r"[0-9a-f]{32}")
_USER_ID = re.compile(r"[A-Za-z0-9._:@|+-]{1,128}")


@dataclass(frozen=True)
class UnsubscribeLink:
    """What a verified link says: whose admin emails to turn off, for which organization
    (None: all of them), until when the link works."""

    link_id: str
    user_id: str
    organization_id: str | None
    expires_at: datetime


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    if not re.fullmatch(r"[A-Za-z0-9_-]*", text):
        raise InvalidLink()
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as e:
        raise InvalidLink() from e


class UnsubscribeLinks:
    """Signs and checks unsubscribe links.

    ``key`` gives the signing key on first use (a Secrets Manager read, cached by
    :class:`~chalicelib.aws.AwsClients`); ``api_base_url`` is where ``/unsubscribe`` is
    served; ``clock`` and ``new_id`` as the services take them."""

    def __init__(
        self,
        key: Callable[[], bytes],
        api_base_url: str,
        clock: Callable[[], datetime],
        new_id: Callable[[], str],
    ) -> None:
        self._key = key
        self._api_base_url = api_base_url
        self._clock = clock
        self._new_id = new_id

    def _signature(self, payload: str) -> bytes:
        return hmac.new(self._key(), payload.encode("ascii"), hashlib.sha256).digest()

    def token(self, user_id: str, organization_id: str | None) -> str:
        expires = int((self._clock() + LINK_VALIDITY).timestamp())
        raw = f"{self._new_id()}.{user_id}.{organization_id or ''}.{expires}"
        payload = _b64(raw.encode("utf-8"))
        return f"{payload}.{_b64(self._signature(payload))}"

    def url(self, user_id: str, organization_id: str | None) -> str:
        return f"{self._api_base_url}/unsubscribe?token={quote(self.token(user_id, organization_id))}"

    def headers(self, user_id: str, organization_id: str | None) -> tuple[tuple[str, str], ...]:
        """``List-Unsubscribe`` and ``List-Unsubscribe-Post`` of an admin email to
        ``user_id`` about ``organization_id`` (None: an email about several)."""
        return (
            ("List-Unsubscribe", f"<{self.url(user_id, organization_id)}>"),
            ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"),
        )

    def verify(self, token: str | None) -> UnsubscribeLink:
        """The link ``token`` stands for; :class:`InvalidLink` unless this module signed
        it as it is and it has not expired."""
        if not token or len(token) > MAX_TOKEN_LENGTH or token.count(".") != 1:
            raise InvalidLink()
        payload, signature = token.split(".")
        if not hmac.compare_digest(_unb64(signature), self._signature(payload)):
            raise InvalidLink()
        try:
            raw = _unb64(payload).decode("utf-8")
        except UnicodeDecodeError as e:
            raise InvalidLink() from e
        link_id, _, rest = raw.partition(".")
        # The user id may hold dots; the organization id and the expiry never do.
        user_id, organization_id, expires = [*rest.rsplit(".", 2), "", "", ""][:3]
        if not (
            _ID.fullmatch(link_id)
            and _USER_ID.fullmatch(user_id)
            and (organization_id == "" or _ID.fullmatch(organization_id))
            and expires.isascii()
            and expires.isdigit()
        ):
            raise InvalidLink()
        expires_at = datetime.fromtimestamp(int(expires), UTC)
        if expires_at <= self._clock():
            raise InvalidLink()
        return UnsubscribeLink(link_id, user_id, organization_id or None, expires_at)
