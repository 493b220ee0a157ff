"""The ports the services depend on, as ``typing.Protocol``s: what a service may ask of
storage, time and ids, and nothing more.

``PynamoMembershipRepository`` implements both repository ports on DynamoDB;
``devstack/fakes.py`` implements them in memory, held to the same contract tests
(``tests/contract``). The mail ports are :class:`~chalicelib.mail.port.Mailer` and
:class:`~chalicelib.mail.ledger.EmailLedger`; metrics are
:class:`~chalicelib.services.delivery.Metrics`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol

from chalicelib.domain import (
    Membership,
    MembershipRequest,
    NoticeKind,
    Organization,
    OrganizationSettings,
    Page,
    RequestStatus,
    Role,
    UserProfile,
)


class Clock(Protocol):
    def __call__(self) -> datetime:
        """Now, as an aware UTC datetime."""
        ...


class IdGenerator(Protocol):
    def __call__(self) -> str:
        """A fresh, unguessable id (32 hexadecimal characters)."""
        ...


class Directory(Protocol):
    """What the notifier reads: an organization, its admins, people's addresses, and
    whether a request is still pending."""

    def get_organization(self, org_id: str, consistent: bool = False) -> Organization:
        """Raises :class:`~chalicelib.errors.OrganizationNotFound`."""
        ...

    def admins(self, org_id: str, limit: int) -> list[Membership]:
        """The organization's admins, earliest first, at most ``limit``."""
        ...

    def profiles(self, user_ids: Iterable[str]) -> dict[str, UserProfile]:
        """The profiles that exist among ``user_ids``, by user id."""
        ...

    def request_status_and_profiles(
        self, org_id: str, request_id: str, user_ids: Iterable[str]
    ) -> tuple[RequestStatus | None, dict[str, UserProfile]]:
        """The request's status as it is now (None when there is no such request) and the
        profiles that exist among ``user_ids``, read together: both reflect every write
        acknowledged before the call."""
        ...

    def request_statuses(self, requests: Iterable[tuple[str, str]]) -> dict[tuple[str, str], RequestStatus]:
        """The status now of each request ``(org_id, request_id)`` that exists (strongly
        consistent): what a notice still lists when it is emailed."""
        ...


class MembershipRepository(Protocol):
    """What the organization and membership-request services ask of storage.

    Every change is atomic: it applies whole, or raises the domain error of its first
    failed condition (in the order each method names them) and changes nothing. Reads
    reflect every change acknowledged before them.
    """

    # -- organizations ----------------------------------------------------------------

    def create_organization(
        self, organization: Organization, creator: UserProfile, admin: Membership
    ) -> None:
        """The organization, its founding admin and the creator's profile. Raises
        :class:`~chalicelib.errors.Conflict` when the id is taken."""
        ...

    def get_organization(self, org_id: str, consistent: bool = False) -> Organization:
        """Raises :class:`~chalicelib.errors.OrganizationNotFound`. ``consistent``: as of
        every write acknowledged before the call (otherwise possibly a moment older)."""
        ...

    def get_organization_with_membership(
        self, org_id: str, user_id: str
    ) -> tuple[Organization, Membership | None]:
        """The organization and the user's membership, read together. Raises
        :class:`~chalicelib.errors.OrganizationNotFound`."""
        ...

    def update_settings(
        self, acting_admin_id: str, org_id: str, settings: OrganizationSettings, version: int
    ) -> None:
        """Replace the organization's settings, if they are still at ``version``, and count
        one more version. Raises Forbidden (the actor is no longer an admin) or
        SettingsChanged, in that order."""
        ...

    def admins(self, org_id: str, limit: int) -> list[Membership]:
        """The organization's admins, earliest first, at most ``limit``."""
        ...

    def profiles(self, user_ids: Iterable[str]) -> dict[str, UserProfile]:
        """The profiles that exist among ``user_ids``, by user id."""
        ...

    def get_organization_with_caller(
        self, org_id: str, user_id: str
    ) -> tuple[Organization, Membership | None, MembershipRequest | None]:
        """The organization, the user's membership and pending request in it. Raises
        :class:`~chalicelib.errors.OrganizationNotFound`."""
        ...

    def organizations(self, org_ids: Iterable[str]) -> list[Organization]:
        """Those that exist among ``org_ids``, in any order."""
        ...

    # -- members ----------------------------------------------------------------------

    def find_membership(self, org_id: str, user_id: str) -> Membership | None: ...

    def find_two_memberships(
        self, org_id: str, first: str, second: str
    ) -> tuple[Membership | None, Membership | None]: ...

    def list_members(self, org_id: str, limit: int, cursor: str | None) -> Page[Membership]:
        """By user id. Raises :class:`~chalicelib.errors.InvalidCursor` for a cursor this
        listing did not issue."""
        ...

    def list_user_organizations(self, user_id: str, limit: int, cursor: str | None) -> Page[Membership]:
        """The user's memberships, each naming its organization: those the user
        administers first, then by organization id. Raises InvalidCursor."""
        ...

    def admin_organization_ids(self, user_id: str, limit: int) -> list[str]:
        """The organizations ``user_id`` administers, at most ``limit``."""
        ...

    def change_role(self, acting_admin_id: str, member: Membership, role: Role) -> Membership:
        """Raises Forbidden (the actor is no longer an admin), Conflict (the member's role
        is no longer ``member.role``) or LastAdmin."""
        ...

    def remove_member(self, acting_user_id: str, member: Membership) -> None:
        """Raises Forbidden (the actor, unless the member leaving, is no longer an admin),
        MemberNotFound or LastAdmin."""
        ...

    # -- requests ---------------------------------------------------------------------

    def create_request(
        self,
        request: MembershipRequest,
        requester: UserProfile,
        max_pending: int,
        cooldown_seconds: int,
        settings_version: int | None = None,
        new_member: Membership | None = None,
    ) -> None:
        """The pending request, and the requester's profile refreshed. Raises
        OrganizationNotFound (SettingsChanged instead when ``settings_version`` is given),
        SettingsChanged (the organization's settings are no longer at
        ``settings_version``), AlreadyMember, RequestPending, Conflict, AskedTooRecently
        or TooManyPendingRequests, in that order.

        With ``new_member``, the request is accepted at once (``request`` says so): the
        member is created instead of the pending lock, and no pending counter moves."""
        ...

    def find_request_with_membership(
        self, org_id: str, request_id: str, user_id: str
    ) -> tuple[MembershipRequest | None, Membership | None]: ...

    def find_request_for_acceptance(
        self, org_id: str, request_id: str, user_id: str
    ) -> tuple[MembershipRequest | None, Membership | None, Organization | None]:
        """The request, the user's membership and the organization, read together."""
        ...

    def list_organization_requests(
        self, org_id: str, status: RequestStatus, limit: int, cursor: str | None
    ) -> Page[MembershipRequest]:
        """Oldest first. Raises InvalidCursor."""
        ...

    def list_user_requests(
        self, user_id: str, status: RequestStatus | None, limit: int, cursor: str | None
    ) -> Page[MembershipRequest]:
        """Newest first, of every status when ``status`` is None. Raises InvalidCursor."""
        ...

    def close_request(
        self, request: MembershipRequest, closed: MembershipRequest, new_member: Membership | None = None
    ) -> None:
        """Move a pending request to ``closed``'s status, adding ``new_member`` if given;
        it leaves the schedule. Raises Forbidden (``closed.decided_by`` is no longer an
        admin), RequestNotPending or AlreadyMember."""
        ...


# -- the schedule ----------------------------------------------------------------------


@dataclass(frozen=True)
class DueRequest:
    """A pending request whose moment has come: a reminder, or its expiry. ``due_sk`` is
    its place in the schedule as read, which the change is conditioned on."""

    request: MembershipRequest
    due_sk: str


@dataclass(frozen=True)
class DueNotice:
    """An open notice whose moment has come: to be closed, so that the stream emails it."""

    user_id: str
    kind: NoticeKind
    key: str


class ScheduleStore(Protocol):
    """What the scheduled pass asks of storage. Each change is one atomic write that
    answers False, changing nothing, when what the pass read is no longer so."""

    def checkpoint(self) -> date | None:
        """The earliest day that may still hold due items; None before the first pass."""
        ...

    def save_checkpoint(self, day: date, at: datetime) -> None: ...

    def due(self, day: date, now: datetime) -> Iterator[DueRequest | DueNotice]:
        """What is due on ``day`` (UTC) up to ``now``, in due order, page by page."""
        ...

    def open_notice(self, user_id: str, kind: NoticeKind, key: str, now: datetime) -> bool:
        """Create the notice open (or keep it open), due at ``now``; False when it is closed."""
        ...

    def remind(
        self,
        due: DueRequest,
        reminded: MembershipRequest,
        notices: list[tuple[str, NoticeKind, str]],
        entry: dict[str, Any],
    ) -> bool:
        """The request moved on to ``reminded``'s schedule and ``entry`` put in each open
        notice ``(user_id, kind, key)``, together or not at all."""
        ...

    def expire(self, due: DueRequest, now: datetime) -> bool:
        """The request expired, its lock and pending counts released, together."""
        ...

    def unschedule(self, due: DueRequest) -> bool:
        """A request no longer pending taken out of the schedule; False when it changed."""
        ...

    def close_notice(self, user_id: str, kind: NoticeKind, key: str) -> bool:
        """The notice ready (out of the schedule); False when it was not open."""
        ...


class PreferencesRepository(Protocol):
    """What the preferences service asks of storage."""

    def get_profile(self, user_id: str) -> UserProfile | None: ...

    def administered_among(self, user_id: str, org_ids: Iterable[str]) -> set[str]:
        """Those of ``org_ids`` that ``user_id`` administers."""
        ...

    def organizations(self, org_ids: Iterable[str]) -> list[Organization]:
        """Those that exist among ``org_ids``, in any order."""
        ...

    def save_preferences(self, profile: UserProfile) -> None:
        """Store ``profile.preferences``, creating or refreshing the profile from ``profile``."""
        ...

    def unsubscribe(
        self, user_id: str, org_id: str | None, link_id: str, link_expires_at: datetime, now: datetime
    ) -> None:
        """Mute ``org_id`` (None: admin emails off) and mark the link used, atomically.
        Raises LinkUsed (used before) or InvalidLink (no such user)."""
        ...


class NoticeBoard(Protocol):
    """Where the stream files requests for an admin's later email (the daily digest)."""

    def file_in_notice(
        self,
        user_id: str,
        kind: NoticeKind,
        key: str,
        due_at: datetime,
        entry_key: str,
        entry: dict[str, Any],
        now: datetime,
    ) -> bool:
        """Put the entry in the open notice (created if needed, due at ``due_at``); the
        same entry twice keeps one. False when that notice is closed already and does
        not hold the entry."""
        ...
