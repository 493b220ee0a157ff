"""The one-click unsubscribe of admin emails: the headers every one carries, the link that
works once, for its organization only, and links that were forged or altered."""

from __future__ import annotations

import urllib.parse

import pytest

from tests.conftest import API


@pytest.fixture
def ses_requests(container):
    """Every SendEmail request as the SES v2 adapter sends it (moto keeps no headers)."""
    sent: list[dict] = []
    container.aws.sesv2.meta.events.register(
        "provide-client-params.sesv2.SendEmail", lambda params, **_: sent.append(params)
    )
    return sent


def _to(request: dict) -> str:
    return request["Destination"]["ToAddresses"][0]


def _headers(request: dict) -> dict[str, str]:
    return {header["Name"]: header["Value"] for header in request["Content"]["Simple"].get("Headers", [])}


def _token(list_unsubscribe: str) -> str:
    url = list_unsubscribe.removeprefix("<").removesuffix(">")
    assert url.startswith(f"{API}/unsubscribe?token=")
    return urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)["token"][0]


def _profile(item, sub):
    return item(f"USER#{sub}", "PROFILE")


def _post(api, token: str, body: str = "List-Unsubscribe=One-Click"):
    return api.call(
        "POST",
        "/unsubscribe?token=" + urllib.parse.quote(token, safe=""),
        raw=body,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )


def _link_of_new_request(
    api, flows, make_user, stream, ses_requests, org_id, admin_email="alice@example.org"
):
    """Someone asks to join ``org_id``; the token of the new-request email to the admin."""
    stream.deliver()
    ses_requests.clear()
    flows.ask(make_user(f"p{len(ses_requests)}{org_id[:4]}", name="Paul Petit"), org_id)
    stream.deliver()
    (request,) = [request for request in ses_requests if _to(request) == admin_email]
    return _token(_headers(request)["List-Unsubscribe"])


def test_every_new_request_email_carries_one_click_unsubscribe_headers(
    api, world, flows, make_user, stream, ses_requests
):
    stream.deliver()
    ses_requests.clear()
    # WHEN someone asks to join
    flows.ask(make_user("paul", name="Paul Petit"), world.org_id)
    stream.deliver()
    # THEN the admin's email names an HTTPS link to the API and says it takes a one-click POST
    (request,) = ses_requests
    headers = _headers(request)
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert headers["List-Unsubscribe"].startswith(f"<{API}/unsubscribe?token=")
    # AND the link is signed for the admin and the organization
    from chalicelib.bootstrap import container

    link = container().unsubscribe_links.verify(_token(headers["List-Unsubscribe"]))
    assert (link.user_id, link.organization_id) == ("alice", world.org_id)


def test_requesters_outcome_emails_carry_no_unsubscribe_headers(api, world, flows, stream, ses_requests):
    stream.deliver()
    ses_requests.clear()
    flows.accept(world.admin, world.org_id, world.request["id"])
    stream.deliver()
    (request,) = ses_requests
    assert _to(request) == "rita@example.org"
    assert _headers(request) == {}


def test_opening_the_link_shows_a_button_and_changes_nothing(
    api, world, flows, make_user, stream, ses_requests, items
):
    token = _link_of_new_request(api, flows, make_user, stream, ses_requests, world.org_id)
    before = items()
    # WHEN a browser (or a mail scanner) opens the link
    reply = api.call("GET", "/unsubscribe?token=" + urllib.parse.quote(token, safe=""), headers={})
    # THEN it gets a page in both languages whose form posts the link back, and nothing changed
    headers = {name.lower(): value for name, value in reply.headers.items()}
    assert reply.status == 200
    assert headers["content-type"].startswith("text/html")
    assert "default-src 'none'" in headers["content-security-policy"]
    assert "Se désabonner" in reply.body and "Unsubscribe" in reply.body
    assert '<form method="post" action="?token=' + urllib.parse.quote(token, safe="") in reply.body
    assert items() == before


def test_the_link_mutes_its_organization_once(api, world, flows, make_user, stream, ses_requests, item):
    token = _link_of_new_request(api, flows, make_user, stream, ses_requests, world.org_id)
    # WHEN the mail provider posts the one-click
    reply = _post(api, token)
    # THEN the organization is muted for the admin, and the answer says so
    assert (reply.status, reply.body) == (200, {"organization_id": world.org_id, "admin_emails": "off"})
    assert _profile(item, "alice")["muted_organizations"] == [world.org_id]
    assert api.get("/me/preferences", world.admin).body["muted_organizations"] == [
        {"id": world.org_id, "name": "Etalab"}
    ]
    # AND the link is recorded as used
    from chalicelib.bootstrap import container

    link = container().unsubscribe_links.verify(token)
    assert item(f"UNSUBSCRIBE#{link.link_id}", "USED") is not None
    # WHEN it is posted again (an empty body, as some clients send)
    profile = _profile(item, "alice")
    again = _post(api, token, body="")
    # THEN it is refused and nothing changed
    assert (again.status, again.body["code"]) == (409, "link_used")
    assert _profile(item, "alice") == profile


def test_the_link_mutes_its_organization_only(api, world, flows, make_user, stream, ses_requests, item):
    # GIVEN Alice administers a second organization too
    second = flows.organization(world.admin, "Second")
    token = _link_of_new_request(api, flows, make_user, stream, ses_requests, world.org_id)
    # WHEN she unsubscribes from the first one's emails
    assert _post(api, token).status == 200
    # THEN a new request to the first organization emails her no more
    stream.deliver()
    ses_requests.clear()
    flows.ask(make_user("quentin"), world.org_id)
    stream.deliver()
    assert [_to(request) for request in ses_requests] == []
    # AND one to the second organization still does
    flows.ask(make_user("quentin"), second)
    stream.deliver()
    assert [_to(request) for request in ses_requests] == ["alice@example.org"]
    assert _profile(item, "alice").get("admin_emails") is None


def test_a_link_for_every_organization_turns_admin_emails_off(api, world, item):
    from chalicelib.bootstrap import container

    token = container().unsubscribe_links.token("alice", None)
    reply = _post(api, token)
    assert (reply.status, reply.body) == (200, {"organization_id": None, "admin_emails": "off"})
    assert _profile(item, "alice")["admin_emails"] == "off"
    assert api.get("/me/preferences", world.admin).body["admin_emails"] == "off"


def _altered(token: str) -> str:
    """One character of the payload changed: another organization, say."""
    payload, signature = token.split(".")
    swapped = payload[:-3] + ("A" if payload[-3] != "A" else "B") + payload[-2:]
    return f"{swapped}.{signature}"


def _forged(world) -> str:
    """A token for Alice and the organization, signed with a key that is not ours."""
    from chalicelib.mail.unsubscribe import UnsubscribeLinks
    from tests.conftest import Clock

    return UnsubscribeLinks(lambda: b"guessed", API, Clock(), lambda: "f" * 32).token("alice", world.org_id)


@pytest.mark.parametrize("kind", ["altered", "forged", "truncated", "garbage", "missing", "expired"])
def test_a_forged_altered_or_expired_link_changes_nothing(
    api, world, flows, make_user, stream, ses_requests, items, clock, kind
):
    token = _link_of_new_request(api, flows, make_user, stream, ses_requests, world.org_id)
    bad = {
        "altered": _altered(token),
        "forged": _forged(world),
        "truncated": token[:-4],
        "garbage": "a.b.c",
        "missing": "",
        "expired": token,
    }[kind]
    if kind == "expired":
        clock.advance(91 * 86400)
    before = items()
    # WHEN the link is posted, or opened
    reply = _post(api, bad)
    page = api.call("GET", "/unsubscribe?token=" + urllib.parse.quote(bad, safe=""), headers={})
    # THEN both refuse it, and nothing changed
    assert (reply.status, reply.body["code"]) == (400, "invalid_link")
    assert page.status == 400 and "Invalid link" in page.body and "<form" not in page.body
    assert items() == before


def test_a_form_that_does_not_say_one_click_is_refused_and_changes_nothing(api, world, items):
    from chalicelib.bootstrap import container

    token = container().unsubscribe_links.token("alice", world.org_id)
    before = items()
    reply = _post(api, token, body="List-Unsubscribe=Maybe")
    assert (reply.status, reply.body["code"]) == (400, "invalid_request")
    assert items() == before
    # AND the link still works with the one-click
    assert _post(api, token).status == 200
