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
        api.get("/me/organizations", world.editor),
        api.get(f"/organizations/{world.org_id}/membership-requests/{world.request['id']}", world.editor),
    ]
    for reply in responses:
        assert reply.status == 200
        assert "@example.org" not in str(reply.body)


def test_my_organizations_name_each_with_my_role_those_i_administer_first(api, world, flows, make_user):
    # GIVEN Erin is an editor of Etalab, founds "Cadastre", and is made admin of a third
    founder = make_user("fred")
    third = flows.organization(founder, "Adresses")
    flows.member(founder, world.editor, third, "admin")
    cadastre = flows.organization(world.editor, "Cadastre")

    # WHEN she lists her organizations, two at a time
    first = api.get("/me/organizations?limit=2", world.editor)
    rest = api.get(f"/me/organizations?limit=2&cursor={first.body['next_cursor']}", world.editor)

    # THEN she sees the three, each with its name, her role and since when, admin ones first
    assert (first.status, rest.status) == (200, 200)
    items = first.body["items"] + rest.body["items"]
    admin_first = sorted([third, cadastre])
    expected = [(admin_first[0], "admin"), (admin_first[1], "admin"), (world.org_id, "editor")]
    assert [(o["id"], o["role"]) for o in items] == expected
    names = {third: "Adresses", cadastre: "Cadastre", world.org_id: "Etalab"}
    assert [o["name"] for o in items] == [names[o["id"]] for o in items]
    assert all(set(o) == {"id", "name", "role", "since"} and o["since"].endswith("Z") for o in items)
    assert rest.body["next_cursor"] is None


def test_my_organizations_leave_out_those_i_only_asked_to_join_and_those_i_left(api, world):
    # GIVEN Rita's request to Etalab is pending, and Oscar's to the other organization too
    assert api.get("/me/organizations", world.requester).body == {"items": [], "next_cursor": None}

    # WHEN Erin leaves Etalab
    assert api.delete(f"/organizations/{world.org_id}/members/erin", world.editor).status == 204

    # THEN she belongs to no organization any more; Alice still to hers, as its admin
    assert api.get("/me/organizations", world.editor).body == {"items": [], "next_cursor": None}
    [alices] = api.get("/me/organizations", world.admin).body["items"]
    assert (alices["id"], alices["name"], alices["role"]) == (world.org_id, "Etalab", "admin")


def test_my_organizations_follow_a_role_change(api, world):
    api.put(f"/organizations/{world.org_id}/members/erin", world.admin, {"role": "admin"})
    [erins] = api.get("/me/organizations", world.editor).body["items"]
    assert (erins["name"], erins["role"]) == ("Etalab", "admin")


def test_my_organizations_refuse_bad_limits_and_cursors_of_other_listings(api, world, flows, make_user):
    flows.organization(world.editor, "Cadastre")
    requests = api.get("/me/membership-requests?limit=1", world.editor).body
    organizations = api.get("/me/organizations?limit=1", world.editor).body
    assert requests["next_cursor"] and organizations["next_cursor"]
    cases = {
        "?limit=0": "invalid_request",
        "?limit=101": "invalid_request",
        "?limit=x": "invalid_request",
        "?cursor=not-a-cursor": "invalid_cursor",
        # My requests share the index partition of my organizations: their cursor is refused.
        f"?cursor={requests['next_cursor']}": "invalid_cursor",
    }
    for query, code in cases.items():
        reply = api.get(f"/me/organizations{query}", world.editor)
        assert (reply.status, reply.body["code"]) == (400, code), query
    # ... and the other way round
    reply = api.get(f"/me/membership-requests?cursor={organizations['next_cursor']}", world.editor)
    assert (reply.status, reply.body["code"]) == (400, "invalid_cursor")
