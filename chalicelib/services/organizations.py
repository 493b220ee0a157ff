"""Use cases on organizations and their members."""

from __future__ import annotations

from chalicelib import policy
from chalicelib.domain import (
    Caller,
    Membership,
    Organization,
    OrganizationView,
    Page,
    Role,
    UserProfile,
)
from chalicelib.errors import EmailNotVerified, Forbidden, MemberNotFound
from chalicelib.services.ports import Clock, IdGenerator, MembershipRepository


def profile_of(caller: Caller) -> UserProfile:
    """What is stored of the caller so that the stream can email them later: only an
    address their identity provider verified (raises :class:`EmailNotVerified`)."""
    if not caller.email_verified or not caller.email:
        raise EmailNotVerified()
    return UserProfile(caller.user_id, caller.name, caller.email, caller.locale)


class OrganizationService:
    """Creates organizations and manages their members."""

    def __init__(self, repository: MembershipRepository, clock: Clock, new_id: IdGenerator) -> None:
        self._repository = repository
        self._clock = clock
        self._new_id = new_id

    def create(self, caller: Caller, name: str, description: str) -> OrganizationView:
        """Refused with :class:`EmailNotVerified` before anything is written: the new admin
        will be emailed about every request to join."""
        creator = profile_of(caller)
        now = self._clock()
        organization = Organization(
            id=self._new_id(),
            name=name,
            description=description,
            created_at=now,
            members_count=1,
            admins_count=1,
            pending_count=0,
        )
        admin = Membership(organization.id, caller.user_id, caller.name, Role.ADMIN, now, organization.name)
        self._repository.create_organization(organization, creator, admin)
        return OrganizationView(organization, admin, None)

    def view(self, caller: Caller, org_id: str) -> OrganizationView:
        organization, membership, pending = self._repository.get_organization_with_caller(
            org_id, caller.user_id
        )
        return OrganizationView(organization, membership, pending)

    def mine(self, caller: Caller, limit: int, cursor: str | None) -> Page[Membership]:
        """The caller's organizations, as memberships naming them: administered first."""
        return self._repository.list_user_organizations(caller.user_id, limit, cursor)

    def members(self, org_id: str, limit: int, cursor: str | None) -> Page[Membership]:
        page = self._repository.list_members(org_id, limit, cursor)
        if not page.items and cursor is None:
            # Every organization keeps at least one admin, so an empty first page
            # means there is no organization; only then is it worth a read.
            self._repository.get_organization(org_id)
        return page

    def change_role(self, caller: Caller, org_id: str, user_id: str, role: Role) -> Membership:
        mine, member = self._repository.find_two_memberships(org_id, caller.user_id, user_id)
        policy.require(mine, policy.Action.CHANGE_ROLE)
        if member is None:
            raise MemberNotFound()
        if member.role is role:
            return member
        return self._repository.change_role(caller.user_id, member, role)

    def remove_member(self, caller: Caller, org_id: str, user_id: str) -> None:
        mine, member = self._repository.find_two_memberships(org_id, caller.user_id, user_id)
        if not policy.can_remove(caller.user_id, mine, user_id):
            raise Forbidden()
        if member is None:
            raise MemberNotFound()
        self._repository.remove_member(caller.user_id, member)
