"""Asking to join, reading, accepting, refusing and withdrawing, over HTTP."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest


def _requests(org_id: str) -> str:
    return f"/organizations/{org_id}/membership-requests"


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_asking_to_join_stores_a_pending_request(api, world, make_user, item):
    # GIVEN a user who is not a member
    paul = make_user("paul", name="Paul Petit")
    # WHEN he asks to join with a motivation surrounded by blanks
    reply = api.post(_requests(world.org_id), paul, {"comment": "  I curate transport data.\r\nThanks  "})
    # THEN a pending request exists, answered and stored alike
    assert reply.status == 201
    body = reply.body
    assert body == {
        "id": body["id"],
        "organization_id": world.org_id,
        "user": {"id": "paul", "name": "Paul Petit"},
        "comment": "I curate transport data.\nThanks",
        "status": "pending",
        "role": None,
        "reason": None,
        "created_at": body["created_at"],
        "decided_at": None,
        "decided_by": None,
        "expires_at": body["expires_at"],
        "auto_accepted": False,
    }
    assert body["created_at"].endswith("Z")
    # AND it expires after the organization's default 30 days
    assert _instant(body["expires_at"]) - _instant(body["created_at"]) == timedelta(days=30)
    stored = item(f"ORG#{world.org_id}", f"REQ#{body['id']}")
    assert (stored["status"], stored["user_id"], stored["comment"]) == (
        "pending",
        "paul",
        "I curate transport data.\nThanks",
    )
    assert stored["GSI1PK"] == f"ORG#{world.org_id}#REQ#pending"
    assert item(f"ORG#{world.org_id}", "PENDING#paul")["request_id"] == body["id"]
    assert item("USER#paul", "PROFILE")["pending_count"] == "1"
    assert item(f"ORG#{world.org_id}", "ORG")["pending_count"] == "2"


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"comment": ""},
        {"comment": "   "},
        {"comment": "x" * 2001},
        {"comment": None},
        {"comment": 12},
        {"comment": "ok", "status": "accepted"},
        {"comment": "ok", "user_id": "alice"},
        {"comment": "ok", "role": "admin"},
        {"comment": "nul\x00byte"},
        {"comment": "bidi \u202e"},
    ],
)
def test_asking_with_an_invalid_body_is_refused_and_writes_nothing(api, world, body, items):
    before = items()
    reply = api.post(_requests(world.org_id), world.outsider, body)
    assert (reply.status, reply.body["code"]) == (400, "invalid_request")
    assert items() == before


def test_asking_to_join_an_unknown_organization_is_not_found(api, world, items):
    before = items()
    reply = api.post(_requests("f" * 32), world.outsider, {"comment": "Hello"})
    assert (reply.status, reply.body["code"]) == (404, "organization_not_found")
    assert items() == before


def test_members_cannot_ask_to_join_again(api, world, items):
    before = items()
    for member in (world.admin, world.editor):
        reply = api.post(_requests(world.org_id), member, {"comment": "again"})
        assert (reply.status, reply.body["code"]) == (409, "already_member")
    assert items() == before


def test_a_second_request_while_pending_is_refused(api, world, items):
    before = items()
    reply = api.post(_requests(world.org_id), world.requester, {"comment": "once more"})
    assert (reply.status, reply.body["code"]) == (409, "request_pending")
    assert items() == before


def test_a_user_holds_at_most_ten_pending_requests(api, flows, make_user, items):
    founders = [make_user(f"founder{index}") for index in range(11)]
    orgs = [flows.organization(founder, f"Org {index}") for index, founder in enumerate(founders)]
    paul = make_user("paul")
    for org_id in orgs[:10]:
        flows.ask(paul, org_id)
    before = items()
    reply = api.post(_requests(orgs[10]), paul, {"comment": "one too many"})
    assert (reply.status, reply.body["code"]) == (429, "too_many_pending_requests")
    # A slot frees when an admin decides or he withdraws: he is told to come back in an hour.
    assert reply.headers["Retry-After"] == "3600"
    assert items() == before


def test_admins_and_editors_list_pending_requests_oldest_first(api, world, flows, make_user):
    later = [flows.ask(make_user(f"late{index}"), world.org_id)["id"] for index in range(3)]
    for member in (world.admin, world.editor):
        reply = api.get(_requests(world.org_id), member)
        assert reply.status == 200
        assert [request["id"] for request in reply.body["items"]] == [world.request["id"], *later]
        assert reply.body["next_cursor"] is None
    # Paging walks the same order.
    first = api.get(_requests(world.org_id) + "?limit=2", world.admin).body
    second = api.get(_requests(world.org_id) + f"?limit=2&cursor={first['next_cursor']}", world.admin).body
    assert [r["id"] for r in first["items"] + second["items"]] == [world.request["id"], *later]


def test_requests_can_be_listed_by_status(api, world, flows):
    flows.refuse(world.admin, world.org_id, world.request["id"], "Not now")
    refused = api.get(_requests(world.org_id) + "?status=refused", world.editor).body["items"]
    assert [(r["id"], r["reason"]) for r in refused] == [(world.request["id"], "Not now")]
    assert api.get(_requests(world.org_id), world.editor).body["items"] == []
    reply = api.get(_requests(world.org_id) + "?status=lost", world.editor)
    assert (reply.status, reply.body["code"]) == (400, "invalid_request")


def test_non_members_cannot_list_an_organizations_requests(api, world):
    for caller in (world.requester, world.outsider, world.other_admin):
        reply = api.get(_requests(world.org_id), caller)
        assert (reply.status, reply.body["code"]) == (403, "forbidden")


def test_request_is_visible_to_its_requester_and_members_only(api, world):
    path = f"{_requests(world.org_id)}/{world.request['id']}"
    for caller in (world.requester, world.admin, world.editor):
        reply = api.get(path, caller)
        assert reply.status == 200
        assert reply.body == world.request
    for caller in (world.outsider, world.other_admin):
        hidden = api.get(path, caller)
        missing = api.get(f"{_requests(world.org_id)}/{'a' * 32}", caller)
        assert (hidden.status, hidden.body) == (missing.status, missing.body)
        assert hidden.body["code"] == "request_not_found"


def test_another_organizations_request_cannot_be_reached_through_this_path(api, world, items):
    before = items()
    foreign = world.other_request["id"]
    for verb in ("GET", "DELETE"):
        reply = api.call(verb, f"{_requests(world.org_id)}/{foreign}", world.admin)
        assert (reply.status, reply.body["code"]) == (404, "request_not_found"), verb
    reply = api.post(f"{_requests(world.org_id)}/{foreign}/accept", world.admin, {})
    assert (reply.status, reply.body["code"]) == (404, "request_not_found")
    assert items() == before


def test_admin_accepts_a_request_with_a_role(api, world, item):
    # WHEN the admin accepts Rita as an admin
    reply = api.post(
        f"{_requests(world.org_id)}/{world.request['id']}/accept", world.admin, {"role": "admin"}
    )
    # THEN the request is closed as history and Rita is a member, atomically
    assert reply.status == 200
    request, member = reply.body["request"], reply.body["member"]
    assert (request["status"], request["role"]) == ("accepted", "admin")
    assert request["decided_by"] == {"id": "alice", "name": "Alice Admin"}
    assert request["decided_at"].endswith("Z")
    assert member == {
        "user_id": "rita",
        "name": "Rita Requester",
        "role": "admin",
        "since": request["decided_at"],
    }
    stored = item(f"ORG#{world.org_id}", f"REQ#{world.request['id']}")
    assert (stored["status"], stored["role"], stored["decided_by_id"]) == ("accepted", "admin", "alice")
    assert stored["GSI1PK"] == f"ORG#{world.org_id}#REQ#accepted"
    assert item(f"ORG#{world.org_id}", "MEMBER#rita")["role"] == "admin"
    assert item(f"ORG#{world.org_id}", "PENDING#rita") is None
    org = item(f"ORG#{world.org_id}", "ORG")
    assert (org["members_count"], org["admins_count"], org["pending_count"]) == ("3", "2", "0")
    assert item("USER#rita", "PROFILE")["pending_count"] == "0"


def test_accept_defaults_to_editor(api, world):
    reply = api.post(f"{_requests(world.org_id)}/{world.request['id']}/accept", world.admin)
    assert (reply.status, reply.body["member"]["role"]) == (200, "editor")


def test_accept_refuses_unknown_roles_and_extra_fields(api, world, items):
    before = items()
    path = f"{_requests(world.org_id)}/{world.request['id']}/accept"
    for body in ({"role": "owner"}, {"role": "admin", "status": "accepted"}, {"user_id": "oscar"}):
        reply = api.post(path, world.admin, body)
        assert (reply.status, reply.body["code"]) == (400, "invalid_request"), body
    assert items() == before


def test_only_admins_of_this_organization_decide(api, world, items):
    before = items()
    base = f"{_requests(world.org_id)}/{world.request['id']}"
    for caller in (world.editor, world.requester, world.outsider, world.other_admin):
        for action in ("accept", "refuse"):
            reply = api.post(f"{base}/{action}", caller, {})
            assert (reply.status, reply.body["code"]) == (403, "forbidden"), (caller.sub, action)
    assert items() == before


def test_admin_refuses_with_a_reason(api, world, item):
    reply = api.post(
        f"{_requests(world.org_id)}/{world.request['id']}/refuse",
        world.admin,
        {"reason": "Please use your work address."},
    )
    assert reply.status == 200
    assert set(reply.body) == {"request"}
    request = reply.body["request"]
    assert (request["status"], request["reason"], request["role"]) == (
        "refused",
        "Please use your work address.",
        None,
    )
    stored = item(f"ORG#{world.org_id}", f"REQ#{world.request['id']}")
    assert (stored["status"], stored["reason"]) == ("refused", "Please use your work address.")
    assert item(f"ORG#{world.org_id}", "MEMBER#rita") is None
    assert item(f"ORG#{world.org_id}", "PENDING#rita") is None


def test_refusal_reason_is_optional_and_bounded(api, world, items):
    path = f"{_requests(world.org_id)}/{world.request['id']}/refuse"
    before = items()
    reply = api.post(path, world.admin, {"reason": "r" * 2001})
    assert (reply.status, reply.body["code"]) == (400, "invalid_request")
    assert items() == before
    reply = api.post(path, world.admin, {})
    assert (reply.status, reply.body["request"]["reason"]) == (200, None)


def test_a_decided_request_cannot_be_decided_or_withdrawn_again(api, world, flows, items):
    flows.refuse(world.admin, world.org_id, world.request["id"])
    before = items()
    base = f"{_requests(world.org_id)}/{world.request['id']}"
    for reply in (
        api.post(f"{base}/accept", world.admin, {}),
        api.post(f"{base}/refuse", world.admin, {}),
        api.delete(base, world.requester),
    ):
        assert (reply.status, reply.body["code"]) == (409, "request_not_pending")
    assert items() == before


def test_requester_withdraws_and_may_ask_again_after_a_pause(api, world, flows, item, clock):
    reply = api.delete(f"{_requests(world.org_id)}/{world.request['id']}", world.requester)
    assert reply.status == 200
    assert reply.body["request"]["status"] == "withdrawn"
    assert reply.body["request"]["decided_by"] is None
    assert item(f"ORG#{world.org_id}", f"REQ#{world.request['id']}")["status"] == "withdrawn"
    assert item(f"ORG#{world.org_id}", "PENDING#rita") is None
    # Asking again at once is refused, so a loop cannot flood the admins' mailboxes
    reply = api.post(
        f"/organizations/{world.org_id}/membership-requests", world.requester, {"comment": "Second try"}
    )
    assert (reply.status, reply.body["code"]) == (429, "request_cooldown")
    clock.advance(301)
    again = flows.ask(world.requester, world.org_id, "Second try")
    assert again["id"] != world.request["id"]


def test_refused_requester_may_ask_again_and_history_is_kept(api, world, flows, clock):
    flows.refuse(world.admin, world.org_id, world.request["id"], "No")
    clock.advance(301)
    again = flows.ask(world.requester, world.org_id, "Second try")
    mine = api.get("/me/membership-requests", world.requester).body["items"]
    assert [(r["id"], r["status"]) for r in mine] == [
        (again["id"], "pending"),
        (world.request["id"], "refused"),
    ]


def test_only_the_requester_withdraws(api, world, items):
    before = items()
    path = f"{_requests(world.org_id)}/{world.request['id']}"
    for caller in (world.admin, world.editor):
        reply = api.delete(path, caller)
        assert (reply.status, reply.body["code"]) == (403, "forbidden")
    for caller in (world.outsider, world.other_admin):
        reply = api.delete(path, caller)
        assert (reply.status, reply.body["code"]) == (404, "request_not_found")
    assert items() == before


def test_asking_again_too_soon_says_how_many_seconds_are_left(api, world, item, items, clock):
    # GIVEN a requester who withdrew her request, then waited 100 of the 300 seconds
    base = _requests(world.org_id)
    assert api.delete(f"{base}/{world.request['id']}", world.requester).status == 200
    asked_at = int(item(f"ORG#{world.org_id}", "ASKED#rita")["asked_at"])
    clock.advance(100)
    before = items()
    # WHEN she asks again
    sent = int(clock().timestamp())
    reply = api.post(base, world.requester, {"comment": "Second try"})
    answered = int(clock().timestamp())
    # THEN the pause has its own code (not API Gateway's throttling), the seconds left
    # of it, and nothing is written
    assert (reply.status, reply.body["code"]) == (429, "request_cooldown")
    left = int(reply.headers["Retry-After"])
    assert asked_at + 300 - answered <= left <= asked_at + 300 - sent
    assert 190 <= left <= 200
    assert items() == before
    # AND once that much time has passed, asking works
    clock.advance(left + 1)
    assert api.post(base, world.requester, {"comment": "Second try"}).status == 201


def test_a_new_request_is_answered_with_its_location(api, world, make_user, item):
    paul = make_user("paul")
    # WHEN he asks to join (through a client that names the host, as every client does)
    reply = api.post(_requests(world.org_id), paul, {"comment": "Hi"}, headers={"Host": "127.0.0.1:8000"})
    # THEN the answer says where the new request lives, and that address serves it
    assert reply.status == 201
    location = reply.headers["Location"]
    assert (
        location
        == f"http://127.0.0.1:8000/organizations/{world.org_id}/membership-requests/{reply.body['id']}"
    )
    assert api.get(location.removeprefix("http://127.0.0.1:8000"), paul).body == reply.body
    assert item(f"ORG#{world.org_id}", f"REQ#{reply.body['id']}")["user_id"] == "paul"
