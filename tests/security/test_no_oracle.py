"""Whoever may not see an object learns nothing about whether it exists."""

from __future__ import annotations

import pytest

REQUEST_ROUTES = [("GET", ""), ("DELETE", ""), ("POST", "/accept"), ("POST", "/refuse")]


@pytest.mark.parametrize(("method", "suffix"), REQUEST_ROUTES)
@pytest.mark.parametrize("caller", ["outsider", "other_admin"])
def test_a_hidden_request_answers_like_a_missing_one(api, world, method, suffix, caller):
    who = getattr(world, caller)
    base = f"/organizations/{world.org_id}/membership-requests"
    body = {} if method == "POST" else None
    hidden = api.call(method, f"{base}/{world.request['id']}{suffix}", who, body=body)
    missing = api.call(method, f"{base}/{'b' * 32}{suffix}", who, body=body)
    assert (hidden.status, hidden.body) == (missing.status, missing.body)


@pytest.mark.parametrize("caller", ["editor", "outsider", "requester"])
@pytest.mark.parametrize("method", ["PUT", "DELETE"])
def test_a_member_answers_like_a_stranger_to_non_admins(api, world, caller, method):
    who = getattr(world, caller)
    body = {"role": "admin"} if method == "PUT" else None
    # Erin is a member, "ghost" is not: a non-admin cannot tell them apart...
    existing = api.call(method, f"/organizations/{world.org_id}/members/alice", who, body=body)
    absent = api.call(method, f"/organizations/{world.org_id}/members/ghost", who, body=body)
    assert (existing.status, existing.body) == (absent.status, absent.body)
    assert existing.body["code"] == "forbidden"


def test_another_organizations_request_answers_like_a_missing_one_even_to_admins(api, world):
    base = f"/organizations/{world.org_id}/membership-requests"
    foreign = api.get(f"{base}/{world.other_request['id']}", world.admin)
    missing = api.get(f"{base}/{'c' * 32}", world.admin)
    assert (
        (foreign.status, foreign.body)
        == (missing.status, missing.body)
        == (404, {"code": "request_not_found", "message": "No such membership request."})
    )


def test_a_users_pending_request_is_shown_to_that_user_only(api, world):
    mine = api.get(f"/organizations/{world.org_id}", world.requester).body["my_pending_request"]
    theirs = api.get(f"/organizations/{world.org_id}", world.outsider).body["my_pending_request"]
    assert mine["id"] == world.request["id"]
    assert theirs is None
