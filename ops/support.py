"""The support tasks operators do from a terminal, as plain use cases over the project's
own repository and notifier (no boto3, no argparse here)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime

from chalicelib.domain import (
    Membership,
    MembershipRequest,
    Organization,
    RequestStatus,
    Role,
    Transition,
    UserProfile,
    UserRef,
)
from chalicelib.errors import InvalidRequest, MemberNotFound, RequestNotFound

_PAGE = 100

# The transition whose emails a request in each status calls for.
_TRANSITION_OF_STATUS = {
    RequestStatus.PENDING: Transition.REQUESTED,
    RequestStatus.ACCEPTED: Transition.ACCEPTED,
    RequestStatus.REFUSED: Transition.REFUSED,
}


@dataclass(frozen=True)
class Overview:
    organization: Organization
    members: list[Membership]
    pending: list[MembershipRequest]
    profiles: dict[str, UserProfile]

    @property
    def admins(self) -> list[Membership]:
        return [member for member in self.members if member.role is Role.ADMIN]


@dataclass(frozen=True)
class AdminChange:
    """What ``grant_admin`` or ``revoke_admin`` did: ``promoted``, ``accepted`` (a pending
    request accepted with the admin role), ``demoted`` or ``unchanged``."""

    action: str
    member: Membership


class SupportService:
    """Operator use cases. ``repository`` is the operators' membership repository
    (:class:`~chalicelib.persistence.membership.OperatorMembershipRepository`), ``notifier`` the
    stream function's notifier, ``clock`` returns an aware UTC datetime, ``operator``
    names who acts (recorded as the decider of requests they accept)."""

    def __init__(self, repository, notifier, clock: Callable[[], datetime], operator: str) -> None:
        self._repository = repository
        self._notifier = notifier
        self._clock = clock
        self._operator = UserRef(f"operator:{operator}", f"{operator} (support)")

    def overview(self, org_id: str) -> Overview:
        """The organization, all its members and all its pending requests."""
        organization = self._repository.get_organization(org_id)
        members = self._all(lambda cursor: self._repository.list_members(org_id, _PAGE, cursor))
        pending = self._all(
            lambda cursor: self._repository.list_organization_requests(
                org_id, RequestStatus.PENDING, _PAGE, cursor
            )
        )
        profiles = self._repository.profiles(
            [member.user_id for member in members] + [request.user.id for request in pending]
        )
        return Overview(organization, members, pending, profiles)

    def grant_admin(self, org_id: str, user_id: str) -> AdminChange:
        """Make ``user_id`` an admin: a member is promoted; a user with a pending request
        has it accepted with the admin role (and is emailed as usual)."""
        self._repository.get_organization(org_id)
        _, member, pending = self._repository.get_organization_with_caller(org_id, user_id)
        if member is not None and member.role is Role.ADMIN:
            return AdminChange("unchanged", member)
        if member is not None:
            return AdminChange("promoted", self._repository.change_role_by_operator(member, Role.ADMIN))
        if pending is None:
            raise MemberNotFound(
                f"{user_id} is neither a member of {org_id} nor has a pending "
                "request there; ask them to request to join first."
            )
        now = self._clock()
        accepted = replace(
            pending, status=RequestStatus.ACCEPTED, role=Role.ADMIN, decided_at=now, decided_by=self._operator
        )
        new_member = Membership(org_id, pending.user.id, pending.user.name, Role.ADMIN, now)
        self._repository.close_request_by_operator(pending, accepted, new_member)
        return AdminChange("accepted", new_member)

    def revoke_admin(self, org_id: str, user_id: str) -> AdminChange:
        """Make an admin an editor; refused (``last_admin``) if no other admin remains."""
        self._repository.get_organization(org_id)
        member = self._repository.find_membership(org_id, user_id)
        if member is None:
            raise MemberNotFound()
        if member.role is not Role.ADMIN:
            return AdminChange("unchanged", member)
        return AdminChange("demoted", self._repository.change_role_by_operator(member, Role.EDITOR))

    def resend(
        self,
        org_id: str,
        request_id: str,
        transition: Transition | None = None,
        *,
        again: bool = False,
        force: bool = False,
    ):
        """Send the emails of a request's transition that the ledger does not show as
        sent (``again``: every one of them). The transition defaults to the one the
        request's status calls for. Refused while the stream may still be sending them,
        unless ``force``."""
        self._repository.get_organization(org_id)
        request = self._repository.find_request(org_id, request_id)
        if request is None:
            raise RequestNotFound()
        expected = _TRANSITION_OF_STATUS.get(request.status)
        transition = transition or expected
        if transition is None or transition is not expected:
            what = f"{transition.value} " if transition else ""
            raise InvalidRequest(f"A {request.status.value} request has no {what}email to send.")
        return transition, self._notifier.resend(request, transition, again=again, force=force)

    @staticmethod
    def _all(page_of):
        items, cursor = [], None
        while True:
            page = page_of(cursor)
            items.extend(page.items)
            cursor = page.next_cursor
            if not cursor:
                return items
