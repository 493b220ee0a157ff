"""GET/PUT /me/preferences: what each user may choose, stored on their profile, and bad
input refused with nothing written."""

from __future__ import annotations

import pytest


def _profile(item, user):
    return item(f"USER#{user.sub}", "PROFILE")


def test_a_user_who_never_chose_reads_the_defaults_and_nothing_is_written(api, make_user, items):
    # GIVEN a signed-in user the service never heard of
    newcomer = make_user("nina")
    before = items()
    # WHEN they read their preferences
    reply = api.get("/me/preferences", newcomer)
    # THEN they get the defaults, and reading wrote nothing
    assert (reply.status, reply.body) == (
        200,
        {"admin_emails": "immediate", "language": None, "muted_organizations": []},
    )
    assert items() == before


def test_an_admin_chooses_a_digest_a_language_and_mutes_an_organization_they_administer(api, world, item):
    # WHEN the admin changes all three preferences
    reply = api.put(
        "/me/preferences",
        world.admin,
        {"admin_emails": "daily_digest", "language": "fr", "muted_organizations": [world.org_id]},
    )
    # THEN the answer and a later read say what was chosen, the organization named
    expected = {
        "admin_emails": "daily_digest",
        "language": "fr",
        "muted_organizations": [{"id": world.org_id, "name": "Etalab"}],
    }
    assert (reply.status, reply.body) == (200, expected)
    assert api.get("/me/preferences", world.admin).body == expected
    # AND the profile holds them beside what the token says of the admin
    stored = _profile(item, world.admin)
    assert stored["admin_emails"] == "daily_digest"
    assert stored["language"] == "fr"
    assert stored["muted_organizations"] == [world.org_id]
    assert (stored["name"], stored["email"], stored["locale"]) == ("Alice Admin", "alice@example.org", "en")


def test_a_partial_update_is_a_merge_and_a_null_language_goes_back_to_the_token(api, world, item):
    # GIVEN an admin who chose a digest in French and muted their organization
    api.put(
        "/me/preferences",
        world.admin,
        {"admin_emails": "daily_digest", "language": "fr", "muted_organizations": [world.org_id]},
    )
    # WHEN they only reset the language
    reply = api.put("/me/preferences", world.admin, {"language": None})
    # THEN the other choices stay, and the stored language is gone
    assert reply.body == {
        "admin_emails": "daily_digest",
        "language": None,
        "muted_organizations": [{"id": world.org_id, "name": "Etalab"}],
    }
    stored = _profile(item, world.admin)
    assert "language" not in stored and stored["admin_emails"] == "daily_digest"
    # AND unmuting everything removes the set
    assert (
        api.put("/me/preferences", world.admin, {"muted_organizations": []}).body["muted_organizations"] == []
    )
    assert "muted_organizations" not in _profile(item, world.admin)


def test_the_first_write_creates_the_profile_from_the_token(api, make_user, item):
    # GIVEN a user without profile
    newcomer = make_user("nina", locale="en", name="Nina New")
    # WHEN they choose English
    reply = api.put("/me/preferences", newcomer, {"language": "en"})
    # THEN their profile exists with the token's name, address and locale
    assert reply.status == 200
    stored = _profile(item, newcomer)
    assert (stored["name"], stored["email"], stored["locale"], stored["language"]) == (
        "Nina New",
        "nina@example.org",
        "en",
        "en",
    )


def _bad_bodies(world):
    return [
        ({"admin_emails": "weekly"}, "admin_emails must be one of"),
        ({"language": "de"}, "language must be one of"),
        ({"admin_emails": None}, "admin_emails must be a string"),
        ({"muted_organizations": world.org_id}, "muted_organizations must be a list"),
        ({"muted_organizations": ["not-an-id"]}, "muted_organizations[0] contains characters"),
        ({"muted_organizations": [world.other_org_id]}, f"you do not administer {world.other_org_id}"),
        ({"muted_organizations": ["0" * 32]}, "you do not administer"),
        ({"pace": "daily"}, "Unknown field: pace"),
        ([], "The body must be a JSON object"),
    ]


@pytest.mark.parametrize("case", range(9))
def test_bad_input_is_refused_with_invalid_request_and_writes_nothing(api, world, items, case):
    # GIVEN one bad body among the kinds a client could send
    body, message = _bad_bodies(world)[case]
    api.put("/me/preferences", world.admin, {"admin_emails": "off"})
    before = items()
    # WHEN the admin sends it
    reply = api.put("/me/preferences", world.admin, body)
    # THEN it is refused, saying why, and nothing changed
    assert reply.status == 400
    assert reply.body["code"] == "invalid_request"
    assert message in reply.body["message"]
    assert items() == before


def test_an_editor_may_not_mute_an_organization_they_only_edit(api, world, items):
    before = items()
    reply = api.put("/me/preferences", world.editor, {"muted_organizations": [world.org_id]})
    assert (reply.status, reply.body["code"]) == (400, "invalid_request")
    assert items() == before


def test_an_organization_muted_before_a_demotion_may_stay_muted(api, world, flows, make_user, item):
    # GIVEN a second admin who muted the organization, then was made an editor
    bea = make_user("bea", name="Bea Admin")
    flows.member(world.admin, bea, world.org_id, "admin")
    assert api.put("/me/preferences", bea, {"muted_organizations": [world.org_id]}).status == 200
    assert (
        api.put(f"/organizations/{world.org_id}/members/bea", world.admin, {"role": "editor"}).status == 200
    )
    # WHEN the console sends the list back as it got it, with another choice
    reply = api.put("/me/preferences", bea, {"admin_emails": "off", "muted_organizations": [world.org_id]})
    # THEN it is accepted
    assert reply.status == 200
    assert _profile(item, bea)["muted_organizations"] == [world.org_id]


def test_a_caller_without_a_verified_address_may_not_store_preferences(api, make_user, items):
    unverified = make_user("uma", email_verified=False)
    before = items()
    reply = api.put("/me/preferences", unverified, {"admin_emails": "off"})
    assert (reply.status, reply.body["code"]) == (403, "email_not_verified")
    assert items() == before
