"""Use cases on organizations and their members."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from chalicelib import policy
from chalicelib.domain import (
    AdminEmails,
    Caller,
    Membership,
    Organization,
    OrganizationSettings,
    OrganizationView,
    Page,
    Role,
    SettingsView,
    UserProfile,
)
from chalicelib.errors import EmailNotVerified, Forbidden, InvalidRequest, MemberNotFound, SettingsChanged
from chalicelib.services.ports import Clock, IdGenerator, MembershipRepository


def profile_of(caller: Caller) -> UserProfile:
    """What is stored of the caller so that the stream can email them later: only an
    address their identity provider verified (raises :class:`EmailNotVerified`)."""
    if not caller.email_verified or not caller.email:
        raise EmailNotVerified()
    return UserProfile(caller.user_id, caller.name, caller.email, caller.locale)


class OrganizationService:
    """Creates organizations and manages their members."""

    def __init__(
        self, repository: MembershipRepository, clock: Clock, new_id: IdGenerator, max_admin_emails: int = 25
    ) -> None:
        self._repository = repository
        self._clock = clock
        self._new_id = new_id
        # The notifier emails the earliest admins only: only they count as emailed.
        self._max_admin_emails = max_admin_emails

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

    # -- settings ---------------------------------------------------------------------

    def settings(self, caller: Caller, org_id: str) -> SettingsView:
        organization, membership = self._repository.get_organization_with_membership(org_id, caller.user_id)
        policy.require(membership, policy.Action.VIEW_SETTINGS)
        return self._view(organization)

    def change_settings(self, caller: Caller, org_id: str, changes: dict[str, Any]) -> SettingsView:
        """Apply ``changes`` (a validated subset of the settings) over the settings as they
        are; a change made meanwhile by another admin is read again once, so that each
        change applies over the other rather than erasing it."""
        try:
            organization = self._change_settings(caller, org_id, changes)
        except SettingsChanged:
            organization = self._change_settings(caller, org_id, changes)
        return self._view(organization)

    def _change_settings(self, caller: Caller, org_id: str, changes: dict[str, Any]) -> Organization:
        organization, membership = self._repository.get_organization_with_membership(org_id, caller.user_id)
        policy.require(membership, policy.Action.CHANGE_SETTINGS)
        settings = merged_settings(organization.settings, changes)
        self._repository.update_settings(caller.user_id, org_id, settings, organization.settings_version)
        return replace(organization, settings=settings, settings_version=organization.settings_version + 1)

    def _view(self, organization: Organization) -> SettingsView:
        admins = self._repository.admins(organization.id, self._max_admin_emails)
        profiles = self._repository.profiles(admin.user_id for admin in admins)
        # An admin without a profile cannot be emailed (none is ever missing in practice).
        emailed = sum(
            1
            for profile in profiles.values()
            if profile.preferences.admin_emails_for(organization.id) is not AdminEmails.OFF
        )
        return SettingsView(organization, emailed)


def merged_settings(settings: OrganizationSettings, changes: dict[str, Any]) -> OrganizationSettings:
    """``settings`` with ``changes`` applied (the contract has checked each field alone),
    or :class:`InvalidRequest` when the result breaks a rule between fields."""
    updates: dict[str, Any] = {}
    for name in ("requests_open", "request_guidance", "request_expiry_days"):
        if name in changes:
            updates[name] = changes[name]
    if "auto_accept_role" in changes:
        updates["auto_accept_role"] = Role(changes["auto_accept_role"])
    if "auto_accept_domains" in changes:
        updates["auto_accept_domains"] = tuple(
            sorted({domain.lower() for domain in changes["auto_accept_domains"]})
        )
    if "reminder_days" in changes:
        updates["reminder_days"] = tuple(sorted(changes["reminder_days"]))
    merged = replace(settings, **updates)
    late = [day for day in merged.reminder_days if day >= merged.request_expiry_days]
    if late:
        raise InvalidRequest(
            f"reminder_days must each be below request_expiry_days "
            f"({merged.request_expiry_days}): {late[0]} is not."
        )
    return merged
