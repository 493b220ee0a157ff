"""The authorization table."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from chalicelib import policy
from chalicelib.domain import Membership, MembershipRequest, RequestStatus, Role, UserRef
from chalicelib.errors import Forbidden

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def _member(role: Role | None) -> Membership | None:
    return None if role is None else Membership("org", "u1", "U", role, NOW, "Org")


@pytest.mark.parametrize(
    ("action", "admin", "editor", "stranger"),
    [
        (policy.Action.VIEW_REQUESTS, True, True, False),
        (policy.Action.DECIDE_REQUEST, True, False, False),
        (policy.Action.CHANGE_ROLE, True, False, False),
        (policy.Action.REMOVE_MEMBER, True, False, False),
        (policy.Action.VIEW_SETTINGS, True, True, False),
        (policy.Action.CHANGE_SETTINGS, True, False, False),
    ],
)
def test_each_action_is_allowed_to_exactly_its_roles(action, admin, editor, stranger):
    assert policy.can(_member(Role.ADMIN), action) is admin
    assert policy.can(_member(Role.EDITOR), action) is editor
    assert policy.can(_member(None), action) is stranger


def test_every_action_has_a_rule():
    assert set(policy.ALLOWED_ROLES) == set(policy.Action)


def test_require_raises_forbidden_for_strangers():
    with pytest.raises(Forbidden):
        policy.require(None, policy.Action.VIEW_REQUESTS)
    policy.require(_member(Role.EDITOR), policy.Action.VIEW_REQUESTS)


def test_requester_and_members_read_a_request_nobody_else():
    request = MembershipRequest("r", "org", UserRef("rita", "Rita"), "c", RequestStatus.PENDING, NOW)
    assert policy.can_read_request("rita", None, request)
    assert policy.can_read_request("u1", _member(Role.EDITOR), request)
    assert not policy.can_read_request("oscar", None, request)


def test_members_may_leave_and_admins_may_remove():
    assert policy.can_remove("u1", _member(Role.EDITOR), "u1")
    assert not policy.can_remove("u1", _member(Role.EDITOR), "u2")
    assert policy.can_remove("u1", _member(Role.ADMIN), "u2")
