"""The requester's own view and the admins' envelope."""

from __future__ import annotations


def test_my_requests_are_newest_first_across_organizations(api, flows, make_user):
    paul = make_user("paul")
    orgs = [flows.organization(make_user(f"founder{index}"), f"Org {index}") for index in range(3)]
    ids = [flows.ask(paul, org_id)["id"] for org_id in orgs]
    reply = api.get("/me/membership-requests", paul)
    assert reply.status == 200
    assert [request["id"] for request in reply.body["items"]] == list(reversed(ids))
    assert reply.body["next_cursor"] is None
    first = api.get("/me/membership-requests?limit=2", paul).body
    rest = api.get(f"/me/membership-requests?limit=2&cursor={first['next_cursor']}", paul).body
    assert [r["id"] for r in first["items"] + rest["items"]] == list(reversed(ids))


def test_my_requests_filter_by_status(api, world, flows):
    flows.accept(world.admin, world.org_id, world.request["id"])
    accepted = api.get("/me/membership-requests?status=accepted", world.requester).body["items"]
    assert [(r["id"], r["status"]) for r in accepted] == [(world.request["id"], "accepted")]
    assert api.get("/me/membership-requests?status=pending", world.requester).body["items"] == []
    for query in ("?status=nope", "?status="):
        reply = api.get(f"/me/membership-requests{query}", world.requester)
        assert (reply.status, reply.body["code"]) == (400, "invalid_request"), query


def test_my_requests_show_only_mine(api, world):
    items = api.get("/me/membership-requests", world.outsider).body["items"]
    assert [r["id"] for r in items] == [world.other_request["id"]]
    # Erin is a member now: her membership shares the index but is not a request.
    erins = api.get("/me/membership-requests", world.editor).body["items"]
    assert [(r["organization_id"], r["status"]) for r in erins] == [(world.org_id, "accepted")]


def test_the_envelope_counts_pending_requests_of_administered_organizations(api, world, flows, make_user):
    # GIVEN Alice administers a second organization with two pending requests
    second = flows.organization(world.admin, "Another team")
    flows.ask(make_user("p1"), second)
    flows.ask(make_user("p2"), second)
    # WHEN she opens her notifications
    reply = api.get("/me/notifications", world.admin)
    # THEN she sees the three pending requests of her two organizations
    assert reply.status == 200
    assert reply.body["count"] == 3
    kinds = {item["kind"] for item in reply.body["items"]}
    assert kinds == {"membership_request"}
    by_org = {}
    for entry in reply.body["items"]:
        by_org.setdefault(entry["organization"]["name"], []).append(entry["request"]["user"]["id"])
    assert by_org == {"Another team": ["p1", "p2"], "Etalab": ["rita"]}
    assert all(entry["request"]["status"] == "pending" for entry in reply.body["items"])


def test_the_envelope_is_empty_for_editors_and_outsiders(api, world):
    for caller in (world.editor, world.requester):
        assert api.get("/me/notifications", caller).body == {"count": 0, "items": []}
    # Zoe administers the other organization, where Oscar is waiting.
    zoe = api.get("/me/notifications", world.other_admin).body
    assert zoe["count"] == 1
    assert zoe["items"][0]["organization"] == {"id": world.other_org_id, "name": "Other org"}


def test_the_envelope_empties_as_requests_are_decided(api, world, flows):
    flows.accept(world.admin, world.org_id, world.request["id"])
    assert api.get("/me/notifications", world.admin).body == {"count": 0, "items": []}


def test_no_response_reveals_another_users_email(api, world):
    responses = [
        api.get(f"/organizations/{world.org_id}", world.outsider),
        api.get(f"/organizations/{world.org_id}/members", world.outsider),
        api.get(f"/organizations/{world.org_id}/membership-requests", world.admin),
        api.get("/me/notifications", world.admin),
        api.get(f"/organizations/{world.org_id}/membership-requests/{world.request['id']}", world.editor),
    ]
    for reply in responses:
        assert reply.status == 200
        assert "@example.org" not in str(reply.body)
