"""Organizations and members over HTTP."""

from __future__ import annotations


def test_creating_an_organization_makes_the_caller_its_admin(api, make_user, item):
    # GIVEN a signed-in user
    alice = make_user("alice")
    # WHEN she creates an organization
    reply = api.post("/organizations", alice, {"name": "  Etalab  ", "description": "Open data"})
    # THEN it is created, trimmed, with her as its only member and admin
    assert reply.status == 201
    org_id = reply.body["id"]
    assert reply.body == {
        "id": org_id,
        "name": "Etalab",
        "description": "Open data",
        "created_at": reply.body["created_at"],
        "members_count": 1,
        "my_role": "admin",
        "my_pending_request": None,
        # Requests open, with no guidance, until its admins say otherwise.
        "requests_open": True,
        "request_guidance": "",
    }
    stored = item(f"ORG#{org_id}", "ORG")
    assert stored["name"] == "Etalab"
    assert (stored["members_count"], stored["admins_count"], stored["pending_count"]) == ("1", "1", "0")
    membership = item(f"ORG#{org_id}", "MEMBER#alice")
    assert membership["role"] == "admin"
    assert membership["GSI1PK"] == f"ORG#{org_id}#ROLE#admin"
    profile = item("USER#alice", "PROFILE")
    assert (profile["email"], profile["locale"]) == ("alice@example.org", "fr")


def test_a_new_organization_is_answered_with_its_location(api, make_user, item):
    alice = make_user("alice")
    # WHEN she creates an organization through a client that sends no Host header
    reply = api.post("/organizations", alice, {"name": "Etalab"})
    # THEN its Location is relative to the API's root, and serves what was created
    assert reply.status == 201
    assert reply.headers["Location"] == f"/organizations/{reply.body['id']}"
    assert api.get(reply.headers["Location"], alice).body == reply.body
    assert item(f"ORG#{reply.body['id']}", "ORG")["name"] == "Etalab"


def test_creating_an_organization_refuses_invalid_bodies_and_writes_nothing(api, make_user, items):
    alice = make_user("alice")
    for body in (
        {},
        {"name": ""},
        {"name": "   "},
        {"name": "x" * 121},
        {"name": 42},
        {"name": "ok", "description": "d" * 2001},
        {"name": "ok", "members_count": 9},
        {"name": "line\nbreak"},
        {"name": "bell\x07"},
        [],
        "text",
    ):
        reply = api.post("/organizations", alice, body)
        assert reply.status == 400, body
        assert reply.body["code"] == "invalid_request", body
        assert reply.body["message"], body
    for raw in ("{not json", "\xff", ""):
        reply = api.post("/organizations", alice, raw=raw)
        assert (reply.status, reply.body["code"]) == (400, "invalid_request"), raw
    assert items() == []


def test_organization_shows_the_callers_role_and_pending_request(api, world):
    as_admin = api.get(f"/organizations/{world.org_id}", world.admin).body
    as_editor = api.get(f"/organizations/{world.org_id}", world.editor).body
    as_requester = api.get(f"/organizations/{world.org_id}", world.requester).body
    as_outsider = api.get(f"/organizations/{world.org_id}", world.outsider).body

    assert (as_admin["my_role"], as_admin["my_pending_request"]) == ("admin", None)
    assert as_admin["members_count"] == 2
    assert as_editor["my_role"] == "editor"
    assert as_requester["my_role"] is None
    assert as_requester["my_pending_request"]["id"] == world.request["id"]
    assert as_requester["my_pending_request"]["status"] == "pending"
    assert (as_outsider["my_role"], as_outsider["my_pending_request"]) == (None, None)


def test_unknown_organization_is_not_found(api, make_user):
    alice = make_user("alice")
    for org_id in ("0" * 32, "not-an-id", "x" * 500):
        reply = api.get(f"/organizations/{org_id}", alice)
        assert reply.status == 404
        assert reply.body == {"code": "organization_not_found", "message": "No such organization."}
        assert api.get(f"/organizations/{org_id}/members", alice).body["code"] == "organization_not_found"


def test_members_are_listed_page_by_page_to_any_user(api, world, flows, make_user):
    for index in range(3):
        flows.member(world.admin, make_user(f"member{index}"), world.org_id)
    seen, cursor = [], None
    while True:
        query = f"?limit=2&cursor={cursor}" if cursor else "?limit=2"
        reply = api.get(f"/organizations/{world.org_id}/members{query}", world.outsider)
        assert reply.status == 200
        assert len(reply.body["items"]) <= 2
        seen.extend(reply.body["items"])
        cursor = reply.body["next_cursor"]
        if not cursor:
            break
    assert sorted(member["user_id"] for member in seen) == ["alice", "erin", "member0", "member1", "member2"]
    alice = next(member for member in seen if member["user_id"] == "alice")
    assert set(alice) == {"user_id", "name", "role", "since"}
    assert (alice["name"], alice["role"]) == ("Alice Admin", "admin")


def test_member_listing_refuses_bad_limits_and_forged_cursors(api, world, flows, make_user):
    base = f"/organizations/{world.org_id}/members"
    for query in ("?limit=0", "?limit=101", "?limit=abc", "?limit=-1"):
        reply = api.get(base + query, world.admin)
        assert (reply.status, reply.body["code"]) == (400, "invalid_request"), query
    for cursor in ("garbage", "eyJmb28iOiAxfQ", "%%%", "x" * 3000):
        reply = api.get(f"{base}?cursor={cursor}", world.admin)
        assert (reply.status, reply.body["code"]) == (400, "invalid_cursor"), cursor
    # GIVEN a real cursor issued for another organization's listing
    flows.member(world.other_admin, make_user("olga"), world.other_org_id)
    other = api.get(f"/organizations/{world.other_org_id}/members?limit=1", world.admin).body
    assert other["next_cursor"]
    # THEN it cannot be replayed against this organization
    reply = api.get(f"{base}?cursor={other['next_cursor']}", world.admin)
    assert (reply.status, reply.body["code"]) == (400, "invalid_cursor")


def test_admin_promotes_and_demotes_a_member(api, world, item):
    path = f"/organizations/{world.org_id}/members/erin"
    promoted = api.put(path, world.admin, {"role": "admin"})
    assert promoted.status == 200
    assert promoted.body == {
        "user_id": "erin",
        "name": "Erin Editor",
        "role": "admin",
        "since": promoted.body["since"],
    }
    assert item(f"ORG#{world.org_id}", "ORG")["admins_count"] == "2"
    assert item(f"ORG#{world.org_id}", "MEMBER#erin")["GSI1PK"] == f"ORG#{world.org_id}#ROLE#admin"

    demoted = api.put(path, world.admin, {"role": "editor"})
    assert demoted.body["role"] == "editor"
    assert item(f"ORG#{world.org_id}", "ORG")["admins_count"] == "1"


def test_only_admins_change_roles(api, world, item):
    for caller in (world.editor, world.requester, world.outsider, world.other_admin):
        reply = api.put(f"/organizations/{world.org_id}/members/erin", caller, {"role": "admin"})
        assert (reply.status, reply.body["code"]) == (403, "forbidden")
    assert item(f"ORG#{world.org_id}", "MEMBER#erin")["role"] == "editor"


def test_role_change_of_unknown_member_or_bad_role_is_refused(api, world):
    reply = api.put(f"/organizations/{world.org_id}/members/nobody", world.admin, {"role": "admin"})
    assert (reply.status, reply.body["code"]) == (404, "member_not_found")
    for body in ({"role": "owner"}, {}, {"role": "admin", "since": "2020"}):
        reply = api.put(f"/organizations/{world.org_id}/members/erin", world.admin, body)
        assert (reply.status, reply.body["code"]) == (400, "invalid_request"), body


def test_the_last_admin_can_be_neither_demoted_nor_removed(api, world, item):
    demote = api.put(f"/organizations/{world.org_id}/members/alice", world.admin, {"role": "editor"})
    assert (demote.status, demote.body["code"]) == (409, "last_admin")
    leave = api.delete(f"/organizations/{world.org_id}/members/alice", world.admin)
    assert (leave.status, leave.body["code"]) == (409, "last_admin")
    assert item(f"ORG#{world.org_id}", "MEMBER#alice")["role"] == "admin"
    assert item(f"ORG#{world.org_id}", "ORG")["admins_count"] == "1"


def test_admin_removes_a_member_and_a_member_may_leave(api, world, flows, make_user, item, clock):
    # GIVEN a second editor
    mia = make_user("mia")
    flows.member(world.admin, mia, world.org_id)
    # WHEN the admin removes Erin and Mia leaves by herself
    assert api.delete(f"/organizations/{world.org_id}/members/erin", world.admin).status == 204
    assert api.delete(f"/organizations/{world.org_id}/members/mia", mia).status == 204
    # THEN both memberships are gone and the counter follows
    assert item(f"ORG#{world.org_id}", "MEMBER#erin") is None
    assert item(f"ORG#{world.org_id}", "MEMBER#mia") is None
    assert item(f"ORG#{world.org_id}", "ORG")["members_count"] == "1"
    # AND a removed member may ask to join again
    clock.advance(301)
    flows.ask(world.editor, world.org_id)


def test_members_cannot_remove_others_and_removing_a_stranger_is_not_found(api, world, item):
    reply = api.delete(f"/organizations/{world.org_id}/members/alice", world.editor)
    assert (reply.status, reply.body["code"]) == (403, "forbidden")
    reply = api.delete(f"/organizations/{world.org_id}/members/erin", world.outsider)
    assert (reply.status, reply.body["code"]) == (403, "forbidden")
    reply = api.delete(f"/organizations/{world.org_id}/members/oscar", world.admin)
    assert (reply.status, reply.body["code"]) == (404, "member_not_found")
    assert item(f"ORG#{world.org_id}", "MEMBER#erin") is not None


def test_a_second_admin_may_leave_once_another_admin_remains(api, world, item):
    api.put(f"/organizations/{world.org_id}/members/erin", world.admin, {"role": "admin"})
    assert api.delete(f"/organizations/{world.org_id}/members/alice", world.admin).status == 204
    org = item(f"ORG#{world.org_id}", "ORG")
    assert (org["admins_count"], org["members_count"]) == ("1", "1")
