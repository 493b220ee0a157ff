"""Use cases on membership requests: asking, reading, deciding, withdrawing."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from chalicelib import policy
from chalicelib.domain import (
    Caller,
    Inbox,
    InboxItem,
    Membership,
    MembershipRequest,
    Organization,
    Page,
    RequestSchedule,
    RequestStatus,
    Role,
    UserProfile,
    UserRef,
)
from chalicelib.errors import Forbidden, RequestNotFound, RequestNotPending, RequestsClosed, SettingsChanged
from chalicelib.services.organizations import profile_of
from chalicelib.services.ports import Clock, IdGenerator, MembershipRepository

# How many administered organizations and pending requests the inbox shows at once.
INBOX_ORGANIZATIONS = 100
INBOX_ITEMS = 50


class MembershipRequestService:
    """The life of a membership request, from asking to a decision.

    Emails are not sent here: the table's stream reacts to status transitions.
    """

    def __init__(
        self,
        repository: MembershipRepository,
        clock: Clock,
        new_id: IdGenerator,
        max_pending: int,
        cooldown_seconds: int,
    ) -> None:
        self._repository = repository
        self._clock = clock
        self._new_id = new_id
        self._max_pending = max_pending
        self._cooldown_seconds = cooldown_seconds

    def ask(self, caller: Caller, org_id: str, comment: str) -> MembershipRequest:
        """Refused with :class:`EmailNotVerified` before anything is written: admins see the
        requester's name and address, and the outcome is emailed to that address.

        The organization's settings decide what asking does (closed, accepted at once, or
        pending until its expiry); the transaction holds only if they are still those
        read, so a request never slips past a change of them. Read again once when they
        changed meanwhile, then :class:`SettingsChanged` (a conflict)."""
        requester = profile_of(caller)
        request_id, now = self._new_id(), self._clock()
        try:
            return self._ask_once(caller, requester, org_id, request_id, comment, now)
        except SettingsChanged:
            return self._ask_once(caller, requester, org_id, request_id, comment, now)

    def _ask_once(
        self,
        caller: Caller,
        requester: UserProfile,
        org_id: str,
        request_id: str,
        comment: str,
        now: datetime,
    ) -> MembershipRequest:
        organization = self._repository.get_organization(org_id, consistent=True)
        request, member = self._new_request(caller, organization, request_id, comment, now)
        self._repository.create_request(
            request,
            requester,
            self._max_pending,
            self._cooldown_seconds,
            settings_version=organization.settings_version,
            new_member=member,
        )
        return request

    @staticmethod
    def _new_request(
        caller: Caller, organization: Organization, request_id: str, comment: str, now: datetime
    ) -> tuple[MembershipRequest, Membership | None]:
        """The request the organization's settings make of asking, and the member it
        makes at once if any."""
        settings = organization.settings
        if not settings.requests_open:
            raise RequestsClosed()
        request = MembershipRequest(
            id=request_id,
            organization_id=organization.id,
            user=UserRef(caller.user_id, caller.name),
            comment=comment,
            status=RequestStatus.PENDING,
            created_at=now,
        )
        # The address is verified (profile_of); a subdomain is another domain.
        domain = caller.email.rpartition("@")[2].lower()
        if domain not in settings.auto_accept_domains:
            return replace(request, schedule=RequestSchedule.for_new_request(now, settings)), None
        role = settings.auto_accept_role
        accepted = replace(
            request, status=RequestStatus.ACCEPTED, role=role, decided_at=now, auto_accepted=True
        )
        member = Membership(organization.id, caller.user_id, caller.name, role, now, organization.name)
        return accepted, member

    def list_for_organization(
        self, caller: Caller, org_id: str, status: RequestStatus, limit: int, cursor: str | None
    ) -> Page[MembershipRequest]:
        policy.require(self._repository.find_membership(org_id, caller.user_id), policy.Action.VIEW_REQUESTS)
        return self._repository.list_organization_requests(org_id, status, limit, cursor)

    def get(self, caller: Caller, org_id: str, request_id: str) -> MembershipRequest:
        """The request, if the caller may see it; otherwise :class:`RequestNotFound`, as
        for a request that does not exist."""
        request, membership = self._repository.find_request_with_membership(
            org_id, request_id, caller.user_id
        )
        if request is None or not policy.can_read_request(caller.user_id, membership, request):
            raise RequestNotFound()
        return request

    def accept(
        self, caller: Caller, org_id: str, request_id: str, role: Role
    ) -> tuple[MembershipRequest, Membership]:
        # The organization is read with the request: the new member's item names it.
        request, membership, organization = self._repository.find_request_for_acceptance(
            org_id, request_id, caller.user_id
        )
        request = self._decidable(request, membership)
        if organization is None:
            # Cannot happen (organizations are never deleted, and the decider is a member).
            raise RequestNotFound()
        now = self._clock()
        accepted = replace(
            request,
            status=RequestStatus.ACCEPTED,
            role=role,
            decided_at=now,
            decided_by=UserRef(caller.user_id, caller.name),
        )
        member = Membership(org_id, request.user.id, request.user.name, role, now, organization.name)
        self._repository.close_request(request, accepted, new_member=member)
        return accepted, member

    def refuse(self, caller: Caller, org_id: str, request_id: str, reason: str | None) -> MembershipRequest:
        request = self._decidable(
            *self._repository.find_request_with_membership(org_id, request_id, caller.user_id)
        )
        refused = replace(
            request,
            status=RequestStatus.REFUSED,
            reason=reason or None,
            decided_at=self._clock(),
            decided_by=UserRef(caller.user_id, caller.name),
        )
        self._repository.close_request(request, refused)
        return refused

    def withdraw(self, caller: Caller, org_id: str, request_id: str) -> MembershipRequest:
        # Read as ``get`` reads it: those who may not see the request learn nothing more here.
        request = self.get(caller, org_id, request_id)
        if request.user.id != caller.user_id:
            raise Forbidden("Only the requester can withdraw a request.")
        if not request.is_pending:
            raise RequestNotPending()
        withdrawn = replace(request, status=RequestStatus.WITHDRAWN, decided_at=self._clock())
        self._repository.close_request(request, withdrawn)
        return withdrawn

    def mine(
        self, caller: Caller, status: RequestStatus | None, limit: int, cursor: str | None
    ) -> Page[MembershipRequest]:
        return self._repository.list_user_requests(caller.user_id, status, limit, cursor)

    def inbox(self, caller: Caller) -> Inbox:
        """Pending requests of the organizations the caller administers: the envelope."""
        org_ids = self._repository.admin_organization_ids(caller.user_id, INBOX_ORGANIZATIONS)
        organizations = self._repository.organizations(org_ids)
        items: list[InboxItem] = []
        for organization in sorted(organizations, key=lambda org: org.name):
            room = INBOX_ITEMS - len(items)
            if organization.pending_count <= 0 or room <= 0:
                continue
            page = self._repository.list_organization_requests(
                organization.id, RequestStatus.PENDING, min(room, organization.pending_count), None
            )
            items.extend(InboxItem(organization.id, organization.name, request) for request in page.items)
        count = sum(max(organization.pending_count, 0) for organization in organizations)
        return Inbox(count=count, items=items)

    @staticmethod
    def _decidable(request: MembershipRequest | None, membership: Membership | None) -> MembershipRequest:
        """The request, if the caller (of ``membership``) may decide it now."""
        # The caller's role is checked before the request is looked up, so that
        # non-admins learn nothing about which requests exist.
        policy.require(membership, policy.Action.DECIDE_REQUEST)
        if request is None:
            raise RequestNotFound()
        if not request.is_pending:
            raise RequestNotPending()
        return request
