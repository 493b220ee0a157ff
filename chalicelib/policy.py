"""Who may do what inside an organization: the one table of authorization rules.

The repository re-checks the admin rules inside the transactions that act on them,
so a decision taken on a stale role is refused by DynamoDB itself.
"""

from __future__ import annotations

from enum import StrEnum

from chalicelib.domain import Membership, MembershipRequest, Role
from chalicelib.errors import Forbidden


class Action(StrEnum):
    VIEW_REQUESTS = "view_requests"
    DECIDE_REQUEST = "decide_request"
    CHANGE_ROLE = "change_role"
    REMOVE_MEMBER = "remove_member"
    VIEW_SETTINGS = "view_settings"
    CHANGE_SETTINGS = "change_settings"


ALLOWED_ROLES: dict[Action, frozenset[Role]] = {
    Action.VIEW_REQUESTS: frozenset({Role.ADMIN, Role.EDITOR}),
    Action.DECIDE_REQUEST: frozenset({Role.ADMIN}),
    Action.CHANGE_ROLE: frozenset({Role.ADMIN}),
    Action.REMOVE_MEMBER: frozenset({Role.ADMIN}),
    Action.VIEW_SETTINGS: frozenset({Role.ADMIN, Role.EDITOR}),
    Action.CHANGE_SETTINGS: frozenset({Role.ADMIN}),
}


def can(membership: Membership | None, action: Action) -> bool:
    return membership is not None and membership.role in ALLOWED_ROLES[action]


def require(membership: Membership | None, action: Action) -> None:
    if not can(membership, action):
        raise Forbidden()


def can_read_request(user_id: str, membership: Membership | None, request: MembershipRequest) -> bool:
    """The requester and the organization's members see a request; nobody else
    learns that it exists."""
    return request.user.id == user_id or can(membership, Action.VIEW_REQUESTS)


def can_remove(user_id: str, membership: Membership | None, member_id: str) -> bool:
    """Admins remove anyone; every member may leave."""
    return user_id == member_id or can(membership, Action.REMOVE_MEMBER)
