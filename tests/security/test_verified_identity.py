"""Only addresses the identity provider verified are trusted: an unverified one is never
shown to an admin, stored, or emailed (issue 11, defect 2)."""

from __future__ import annotations

import pytest

# What a self-registered user who never confirmed the address looks like, in the ways an
# issuer may say it (Cognito writes strings, OIDC issuers booleans), and in the ways a
# careless check would misread it.
NOT_VERIFIED = {
    "false (JSON)": False,
    "false (Cognito's string)": "false",
    "no claim": None,
    "True (not the claim's spelling)": "True",
    "1": 1,
    "yes": "yes",
}
MAYOR = "maire-lyon@lyon.fr"


def _impostor(make_user, email_verified):
    return make_user("mallory", name="Maire de Lyon (official)", email=MAYOR, email_verified=email_verified)


def _refused(reply) -> None:
    assert (reply.status, reply.body["code"]) == (403, "email_not_verified"), reply
    assert reply.body["message"]


@pytest.mark.parametrize("claim", sorted(NOT_VERIFIED))
def test_asking_to_join_with_an_unverified_address_is_refused_and_writes_nothing(
    api, world, make_user, items, stream, aws, claim
):
    # GIVEN a user whose token does not say the address was verified
    impostor = _impostor(make_user, NOT_VERIFIED[claim])
    stream.deliver()
    before, sent = items(), len(aws.emails())
    # WHEN they ask to join an organization
    reply = api.post(
        f"/organizations/{world.org_id}/membership-requests", impostor, {"comment": "Mairie de Lyon"}
    )
    # THEN it is refused, nothing is stored (no request, no profile holding the address)
    _refused(reply)
    assert items() == before
    # AND no admin hears of them, and nothing is ever sent to the address
    stream.deliver()
    assert aws.emails()[sent:] == []


@pytest.mark.parametrize("claim", sorted(NOT_VERIFIED))
def test_creating_an_organization_with_an_unverified_address_is_refused_and_writes_nothing(
    api, make_user, items, claim
):
    impostor = _impostor(make_user, NOT_VERIFIED[claim])
    reply = api.post("/organizations", impostor, {"name": "Ville de Lyon"})
    _refused(reply)
    assert items() == []


@pytest.mark.parametrize("claim", [True, "true"])
def test_a_verified_address_is_trusted_whichever_way_the_issuer_says_it(api, world, make_user, item, claim):
    # GIVEN a user whose token says the address was verified, as a boolean or as Cognito's string
    nora = make_user("nora", email="nora@example.org", email_verified=claim)
    # WHEN she asks to join, and creates an organization
    asked = api.post(f"/organizations/{world.org_id}/membership-requests", nora, {"comment": "Hi"})
    created = api.post("/organizations", nora, {"name": "Nora's"})
    # THEN both are done, and the address kept for her emails is the verified one
    assert (asked.status, asked.body["status"]) == (201, "pending")
    assert (created.status, created.body["my_role"]) == (201, "admin")
    assert item("USER#nora", "PROFILE")["email"] == "nora@example.org"


def test_an_unverified_new_address_never_replaces_the_verified_one(
    api, world, flows, make_user, item, stream, aws
):
    # GIVEN Rita's pending request, made with her verified address; an issuer then vouches
    # for a new address no more (changed, not yet confirmed)
    stream.deliver()
    changed = make_user("rita", name="Rita Requester", email="rita.new@example.org", email_verified=False)
    # WHEN she tries to create an organization with it
    _refused(api.post("/organizations", changed, {"name": "Rita's"}))
    # THEN her stored address is still the verified one
    assert item("USER#rita", "PROFILE")["email"] == "rita@example.org"
    # AND the outcome of her request goes there
    sent = len(aws.emails())
    flows.accept(world.admin, world.org_id, world.request["id"])
    stream.deliver()
    assert [m.destinations["ToAddresses"] for m in aws.emails()[sent:]] == [["rita@example.org"]]


def test_an_unverified_user_may_still_read(api, world, make_user):
    # GIVEN a user who never confirmed the address
    impostor = _impostor(make_user, False)
    # WHEN they read what any signed-in user may read
    organization = api.get(f"/organizations/{world.org_id}", impostor)
    mine = api.get("/me/membership-requests", impostor)
    # THEN they are answered: only what stores or emails the address needs it verified
    assert (organization.status, organization.body["my_role"]) == (200, None)
    assert (mine.status, mine.body["items"]) == (200, [])


def test_the_contract_names_the_refusal_on_both_operations():
    import json

    from chalicelib.api.validation import OPENAPI_PATH

    paths = json.loads(OPENAPI_PATH.read_text())["paths"]
    for path in ("/organizations", "/organizations/{org_id}/membership-requests"):
        description = paths[path]["post"]["responses"]["403"]["description"]
        # Asking also names requests_closed among its 403 codes.
        codes = description.rpartition("(code: ")[2].rstrip(")").split(", ")
        assert "email_not_verified" in codes
