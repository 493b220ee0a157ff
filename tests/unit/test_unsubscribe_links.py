"""Unsubscribe links: signed for one user and organization, refused once changed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.errors import InvalidLink
from chalicelib.mail.unsubscribe import LINK_VALIDITY, UnsubscribeLinks

NOW = datetime(2027, 1, 5, 10, 0, tzinfo=UTC)
ORG = "0123456789abcdef0123456789abcdef"


def _links(key=b"k" * 32, now=NOW):
    return UnsubscribeLinks(lambda: key, "https://api.example.org/api", lambda: now, lambda: "f" * 32)


def test_a_link_names_its_user_and_organization_and_expires_after_its_validity():
    link = _links().verify(_links().token("google-oauth2|1.2@x", ORG))
    assert (link.link_id, link.user_id, link.organization_id) == ("f" * 32, "google-oauth2|1.2@x", ORG)
    assert link.expires_at == NOW + LINK_VALIDITY


def test_a_link_for_every_organization_names_none():
    assert _links().verify(_links().token("alice", None)).organization_id is None


def test_the_headers_are_rfc_8058s_pair_with_the_api_url():
    (name, value), post = _links().headers("alice", ORG)
    assert name == "List-Unsubscribe"
    assert value.startswith("<https://api.example.org/api/unsubscribe?token=") and value.endswith(">")
    assert post == ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click")


@pytest.mark.parametrize(
    "change",
    [
        lambda token: token[:-1] + ("A" if token[-1] != "A" else "B"),
        lambda token: ("A" if token[0] != "A" else "B") + token[1:],
        lambda token: token.replace(".", ""),
        lambda token: token + ".x",
        lambda token: "",
        lambda token: "é." + token,
        lambda token: token.split(".")[0] + "." + "A" * 43,
    ],
)
def test_a_changed_token_is_refused(change):
    with pytest.raises(InvalidLink):
        _links().verify(change(_links().token("alice", ORG)))


def test_a_token_signed_with_another_key_is_refused():
    with pytest.raises(InvalidLink):
        _links().verify(_links(key=b"other").token("alice", ORG))


def test_a_token_past_its_expiry_is_refused():
    token = _links().token("alice", ORG)
    with pytest.raises(InvalidLink):
        _links(now=NOW + LINK_VALIDITY + timedelta(seconds=1)).verify(token)
