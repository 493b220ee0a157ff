"""The local stack signs the unsubscribe links of admin emails with the key its emulator
holds, the outbox shows them, and the one-click works against the local API."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

from tests.e2e.test_seed_flow import call, emails_to, user


def _post_one_click(url: str) -> tuple[int, dict]:
    request = urllib.request.Request(  # noqa: S310 (the local stack, 127.0.0.1)
        url,
        method="POST",
        data=b"List-Unsubscribe=One-Click",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_an_admin_email_in_the_outbox_unsubscribes_with_one_click_against_the_local_api(stack):
    # GIVEN an admin emailed about a new request
    admin = user(stack, "Ulla Unsub", "en")
    requester = user(stack, "Rémi Requérant", "fr")
    _, org = call(stack, "POST", "/organizations", admin["token"], {"name": "Désabonnement"})
    call(
        stack,
        "POST",
        f"/organizations/{org['id']}/membership-requests",
        requester["token"],
        {"comment": "Hi"},
    )
    [email] = emails_to(stack, admin["email"])
    # THEN the .eml carries RFC 8058's headers, pointing at the local API
    assert email["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    url = "".join(str(email["List-Unsubscribe"]).split()).removeprefix("<").removesuffix(">")
    assert url.startswith(f"{stack.api_url}/unsubscribe?token=")
    # WHEN the mail reader posts the one-click, twice
    first, again = _post_one_click(url), _post_one_click(url)
    # THEN the organization is muted once, and the admin's preferences say so
    assert first == (200, {"organization_id": org["id"], "admin_emails": "off"})
    assert (again[0], again[1]["code"]) == (409, "link_used")
    status, preferences = call(stack, "GET", "/me/preferences", admin["token"])
    assert (status, preferences["muted_organizations"]) == (200, [{"id": org["id"], "name": "Désabonnement"}])
