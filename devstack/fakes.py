"""The fakes of the application's ports, in one place outside product code: they record
what they are given, for the unit tests (and any tool that wants the app without AWS).
Each stands for a real adapter and is held to its behaviour by a contract test run
against both: the membership repository in tests/contract/, the email ledger and the
mailer in tests/integration/."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import datetime

from chalicelib import errors
from chalicelib.domain import (
    AdminEmails,
    Membership,
    MembershipRequest,
    OperatorAction,
    Organization,
    OrganizationSettings,
    Page,
    RequestStatus,
    Role,
    UserProfile,
)
from chalicelib.mail.ledger import RoundChanged, RoundRecord
from chalicelib.mail.port import EmailMessage


class FakeMailer:
    """Records messages instead of sending them (unit tests, and the contract test
    that proves it behaves like :class:`~chalicelib.mail.ses.SesMailer`)."""

    def __init__(self) -> None:
        self.sent: list[EmailMessage] = []

    def send(self, message: EmailMessage) -> str:
        self.sent.append(message)
        return f"fake-{len(self.sent)}"


@dataclass
class _Profile:
    profile: UserProfile
    pending_count: int = 0


def _first_failure(*checks: tuple[bool, Callable[[], errors.DomainError]]) -> None:
    """Raise the error of the first failed condition, as the DynamoDB repository reports
    the first step of its transaction whose condition failed."""
    for failed, error in checks:
        if failed:
            raise error()


class InMemoryMembershipRepository:
    """The membership repository in dictionaries, so that service rules (and the notifier's
    reads) are unit-tested in milliseconds (cosmicpython's FakeRepository).

    Each change checks every condition first and applies nothing when one fails, as a
    DynamoDB transaction does, and reports the error the DynamoDB repository reports when
    several fail at once. ``tests/contract/test_membership_repository.py`` holds both to
    the same behaviour.
    """

    def __init__(self) -> None:
        self.organizations_by_id: dict[str, Organization] = {}
        self.members: dict[tuple[str, str], Membership] = {}
        self.requests: dict[tuple[str, str], MembershipRequest] = {}
        self.pending: dict[tuple[str, str], str] = {}
        self.last_asked: dict[tuple[str, str], datetime] = {}
        self.profiles_by_id: dict[str, _Profile] = {}
        self.operator_actions: list[OperatorAction] = []
        #: each cursor issued: (the listing that issued it, the last key it served)
        self._cursors: dict[str, tuple[str, str]] = {}

    # -- cursors: opaque, and bound to the listing that issued them --------------------------

    def _page(
        self, items: list, limit: int, cursor: str | None, listing: str, key, *, newest_first: bool = False
    ) -> Page:
        """A page of ``items`` (sorted by ``key``). A cursor stands for the last key served,
        so that the next page starts after that position even if its item is gone since,
        as DynamoDB's ExclusiveStartKey does."""
        start = 0
        if cursor is not None:
            issued_for, after = self._cursors.get(cursor, (None, None))
            if issued_for != listing:
                raise errors.InvalidCursor()
            start = next(
                (
                    i
                    for i, item in enumerate(items)
                    if (key(item) < after if newest_first else key(item) > after)
                ),
                len(items),
            )
        chunk = items[start : start + limit]
        next_cursor = None
        # Like DynamoDB, a full page always carries a cursor, even when nothing follows.
        if len(chunk) == limit:
            next_cursor = f"cursor-{len(self._cursors) + 1}"
            self._cursors[next_cursor] = (listing, key(chunk[-1]))
        return Page(chunk, next_cursor)

    # -- organizations -------------------------------------------------------------------

    def create_organization(
        self, organization: Organization, creator: UserProfile, admin: Membership
    ) -> None:
        _first_failure((organization.id in self.organizations_by_id, errors.Conflict))
        self.organizations_by_id[organization.id] = replace(organization, pending_count=0)
        self.members[(organization.id, admin.user_id)] = admin
        self._refresh_profile(creator)

    def get_organization(self, org_id: str, consistent: bool = False) -> Organization:
        if org_id not in self.organizations_by_id:
            raise errors.OrganizationNotFound()
        return self.organizations_by_id[org_id]

    def get_organization_with_membership(self, org_id: str, user_id: str):
        return self.get_organization(org_id), self.members.get((org_id, user_id))

    def _settings_changed(self, org_id: str, version: int | None) -> bool:
        organization = self.organizations_by_id.get(org_id)
        return version is not None and (organization is None or organization.settings_version != version)

    def update_settings(
        self, acting_admin_id: str, org_id: str, settings: OrganizationSettings, version: int
    ) -> None:
        _first_failure(
            (self._is_not_admin(org_id, acting_admin_id), errors.Forbidden),
            (self._settings_changed(org_id, version), errors.SettingsChanged),
        )
        organization = self.organizations_by_id[org_id]
        self.organizations_by_id[org_id] = replace(
            organization,
            settings=replace(settings, auto_accept_domains=tuple(sorted(settings.auto_accept_domains))),
            settings_version=organization.settings_version + 1,
        )

    def get_organization_with_caller(self, org_id: str, user_id: str):
        organization = self.get_organization(org_id)
        pending_id = self.pending.get((org_id, user_id))
        request = self.requests.get((org_id, pending_id)) if pending_id else None
        return organization, self.members.get((org_id, user_id)), request

    def organizations(self, org_ids: Iterable[str]) -> list[Organization]:
        return [self.organizations_by_id[i] for i in dict.fromkeys(org_ids) if i in self.organizations_by_id]

    def _count(self, org_id: str, **deltas: int) -> None:
        organization = self.organizations_by_id[org_id]
        self.organizations_by_id[org_id] = replace(
            organization, **{name: getattr(organization, name) + delta for name, delta in deltas.items()}
        )

    # -- members -------------------------------------------------------------------------

    def find_membership(self, org_id: str, user_id: str) -> Membership | None:
        return self.members.get((org_id, user_id))

    def find_two_memberships(self, org_id: str, first: str, second: str):
        return self.members.get((org_id, first)), self.members.get((org_id, second))

    def list_members(self, org_id: str, limit: int, cursor: str | None) -> Page[Membership]:
        members = sorted((m for (o, _), m in self.members.items() if o == org_id), key=lambda m: m.user_id)
        return self._page(members, limit, cursor, f"members:{org_id}", lambda m: m.user_id)

    def admins(self, org_id: str, limit: int) -> list[Membership]:
        admins = [m for (o, _), m in self.members.items() if o == org_id and m.role is Role.ADMIN]
        return sorted(admins, key=lambda m: (m.since.isoformat(), m.user_id))[:limit]

    def list_user_organizations(self, user_id: str, limit: int, cursor: str | None) -> Page[Membership]:
        # The order of GSI2SK, MEMBER#<role>#<org_id>: those administered first.
        def position(membership: Membership) -> tuple[str, str]:
            return (membership.role.value, membership.organization_id)

        mine = sorted((m for (_, u), m in self.members.items() if u == user_id), key=position)
        return self._page(mine, limit, cursor, f"user-organizations:{user_id}", position)

    def admin_organization_ids(self, user_id: str, limit: int) -> list[str]:
        return sorted(o for (o, u), m in self.members.items() if u == user_id and m.role is Role.ADMIN)[
            :limit
        ]

    def _is_not_admin(self, org_id: str, user_id: str | None, exempt: str | None = None) -> bool:
        if user_id is None or user_id == exempt:
            return False
        membership = self.members.get((org_id, user_id))
        return membership is None or membership.role is not Role.ADMIN

    def change_role(self, acting_admin_id: str, member: Membership, role: Role) -> Membership:
        return self._change_role(member, role, acting_admin_id)

    def change_role_by_operator(self, member: Membership, role: Role, record: OperatorAction) -> Membership:
        changed = self._change_role(member, role, None)
        # Only once the change is made, as in the DynamoDB transaction that holds both.
        self.operator_actions.append(record)
        return changed

    def list_members_by_role(
        self, org_id: str, role: Role, limit: int, cursor: str | None
    ) -> Page[Membership]:
        members = sorted(
            (m for (o, _), m in self.members.items() if o == org_id and m.role is role),
            key=lambda m: (m.since.isoformat(), m.user_id),
        )
        return self._page(
            members, limit, cursor, f"members:{org_id}:{role}", lambda m: (m.since.isoformat(), m.user_id)
        )

    def _change_role(self, member: Membership, role: Role, acting_admin_id: str | None) -> Membership:
        org_id = member.organization_id
        stored = self.members.get((org_id, member.user_id))
        organization = self.organizations_by_id.get(org_id)
        demoting = role is not Role.ADMIN
        _first_failure(
            (self._is_not_admin(org_id, acting_admin_id, exempt=member.user_id), errors.Forbidden),
            (stored is None or stored.role is not member.role, errors.Conflict),
            (demoting and (organization is None or organization.admins_count <= 1), errors.LastAdmin),
        )
        changed = replace(stored, role=role)
        self.members[(org_id, member.user_id)] = changed
        self._count(org_id, admins_count=-1 if demoting else 1)
        return changed

    def remove_member(self, acting_user_id: str, member: Membership) -> None:
        org_id = member.organization_id
        stored = self.members.get((org_id, member.user_id))
        organization = self.organizations_by_id[org_id]
        is_admin = member.role is Role.ADMIN
        _first_failure(
            (self._is_not_admin(org_id, acting_user_id, exempt=member.user_id), errors.Forbidden),
            (stored is None or stored.role is not member.role, errors.MemberNotFound),
            (is_admin and organization.admins_count <= 1, errors.LastAdmin),
        )
        del self.members[(org_id, member.user_id)]
        self._count(org_id, members_count=-1, admins_count=-1 if is_admin else 0)

    # -- requests ------------------------------------------------------------------------

    def create_request(
        self,
        request: MembershipRequest,
        requester: UserProfile,
        max_pending: int,
        cooldown_seconds: int,
        settings_version: int | None = None,
        new_member: Membership | None = None,
    ) -> None:
        org_id, user_id = request.organization_id, request.user.id
        asked = self.last_asked.get((org_id, user_id))
        profile = self.profiles_by_id.get(user_id)
        pending = new_member is None
        _first_failure(
            (
                org_id not in self.organizations_by_id,
                errors.OrganizationNotFound if settings_version is None else errors.SettingsChanged,
            ),
            (self._settings_changed(org_id, settings_version), errors.SettingsChanged),
            ((org_id, user_id) in self.members, errors.AlreadyMember),
            ((org_id, user_id) in self.pending, errors.RequestPending),
            ((org_id, request.id) in self.requests, errors.Conflict),
            (
                asked is not None
                and int(asked.timestamp()) > int(request.created_at.timestamp()) - cooldown_seconds,
                lambda: errors.AskedTooRecently(
                    int(asked.timestamp()) + cooldown_seconds - int(request.created_at.timestamp())
                ),
            ),
            (
                pending and profile is not None and profile.pending_count >= max_pending,
                errors.TooManyPendingRequests,
            ),
        )
        self.requests[(org_id, request.id)] = request
        self.last_asked[(org_id, user_id)] = request.created_at
        stored = self._refresh_profile(requester)
        if pending:
            self._count(org_id, pending_count=1)
            self.pending[(org_id, user_id)] = request.id
            stored.pending_count += 1
        else:
            self.members[(org_id, user_id)] = new_member
            self._count(org_id, members_count=1, admins_count=1 if new_member.role is Role.ADMIN else 0)

    def find_request(self, org_id: str, request_id: str) -> MembershipRequest | None:
        return self.requests.get((org_id, request_id))

    def find_request_with_membership(self, org_id: str, request_id: str, user_id: str):
        return self.requests.get((org_id, request_id)), self.members.get((org_id, user_id))

    def find_request_for_acceptance(self, org_id: str, request_id: str, user_id: str):
        return (
            self.requests.get((org_id, request_id)),
            self.members.get((org_id, user_id)),
            self.organizations_by_id.get(org_id),
        )

    @staticmethod
    def _stamp(request: MembershipRequest) -> str:
        return f"{request.created_at.isoformat()}#{request.id}"

    def list_organization_requests(
        self, org_id: str, status: RequestStatus, limit: int, cursor: str | None
    ) -> Page[MembershipRequest]:
        found = sorted(
            (r for (o, _), r in self.requests.items() if o == org_id and r.status is status), key=self._stamp
        )
        return self._page(found, limit, cursor, f"org-requests:{org_id}:{status}", self._stamp)

    def list_user_requests(
        self, user_id: str, status: RequestStatus | None, limit: int, cursor: str | None
    ) -> Page[MembershipRequest]:
        found = sorted(
            (r for r in self.requests.values() if r.user.id == user_id and status in (None, r.status)),
            key=self._stamp,
            reverse=True,
        )
        return self._page(
            found, limit, cursor, f"user-requests:{user_id}:{status}", self._stamp, newest_first=True
        )

    def close_request(
        self, request: MembershipRequest, closed: MembershipRequest, new_member: Membership | None = None
    ) -> None:
        self._close_request(request, closed, new_member, check_decider=True)

    def close_request_by_operator(
        self,
        request: MembershipRequest,
        closed: MembershipRequest,
        new_member: Membership | None,
        record: OperatorAction,
    ) -> None:
        self._close_request(request, closed, new_member, check_decider=False)
        self.operator_actions.append(record)

    def record_operator_action(self, record: OperatorAction) -> None:
        self.operator_actions.append(record)

    @staticmethod
    def _moment(action: OperatorAction) -> tuple[str, str]:
        return (action.at.isoformat(), action.id)

    def operator_actions_of(self, org_id: str, limit: int, cursor: str | None) -> Page[OperatorAction]:
        actions = sorted(
            (a for a in self.operator_actions if a.organization_id == org_id), key=self._moment, reverse=True
        )
        return self._page(actions, limit, cursor, f"history:{org_id}", self._moment, newest_first=True)

    def operator_log(self, month: str, limit: int, cursor: str | None) -> Page[OperatorAction]:
        actions = sorted(
            (a for a in self.operator_actions if a.at.strftime("%Y-%m") == month),
            key=self._moment,
            reverse=True,
        )
        return self._page(actions, limit, cursor, f"operators:{month}", self._moment, newest_first=True)

    def _close_request(
        self,
        request: MembershipRequest,
        closed: MembershipRequest,
        new_member: Membership | None,
        check_decider: bool,
    ) -> None:
        org_id, user_id = request.organization_id, request.user.id
        stored = self.requests.get((org_id, request.id))
        decider = closed.decided_by.id if check_decider and closed.decided_by else None
        _first_failure(
            (self._is_not_admin(org_id, decider), errors.Forbidden),
            (stored is None or not stored.is_pending, errors.RequestNotPending),
            (new_member is not None and (org_id, new_member.user_id) in self.members, errors.AlreadyMember),
        )
        # The stored request keeps what the transaction does not touch (its comment, its
        # requester), as DynamoDB's update does.
        self.requests[(org_id, request.id)] = replace(
            stored,
            status=closed.status,
            decided_at=closed.decided_at,
            role=closed.role or stored.role,
            reason=closed.reason or stored.reason,
            decided_by=closed.decided_by or stored.decided_by,
        )
        self.pending.pop((org_id, user_id), None)
        deltas = {"pending_count": -1}
        if new_member is not None:
            self.members[(org_id, new_member.user_id)] = new_member
            deltas |= {"members_count": 1, "admins_count": 1 if new_member.role is Role.ADMIN else 0}
        self._count(org_id, **deltas)
        self.profiles_by_id.setdefault(user_id, _Profile(UserProfile(user_id, "", "", ""))).pending_count -= 1

    # -- profiles ------------------------------------------------------------------------

    def _refresh_profile(self, profile: UserProfile) -> _Profile:
        # What the token says; the preferences stored stay (DynamoDB's refresh sets the
        # name, address and locale only).
        stored = self.profiles_by_id.setdefault(profile.user_id, _Profile(profile))
        stored.profile = replace(profile, preferences=stored.profile.preferences)
        return stored

    def profiles(self, user_ids: Iterable[str]) -> dict[str, UserProfile]:
        return {
            u: self.profiles_by_id[u].profile for u in dict.fromkeys(user_ids) if u in self.profiles_by_id
        }

    def request_status_and_profiles(
        self, org_id: str, request_id: str, user_ids: Iterable[str]
    ) -> tuple[RequestStatus | None, dict[str, UserProfile]]:
        request = self.requests.get((org_id, request_id))
        return (request.status if request else None), self.profiles(user_ids)

    def request_statuses(self, requests: Iterable[tuple[str, str]]) -> dict[tuple[str, str], RequestStatus]:
        return {key: self.requests[key].status for key in dict.fromkeys(requests) if key in self.requests}


class InMemoryPreferencesRepository:
    """Preferences and unsubscribe links over an in-memory membership repository's
    profiles, memberships and organizations; held to PynamoPreferencesRepository's
    behaviour by tests/contract/test_preferences_repository.py."""

    def __init__(self, membership: InMemoryMembershipRepository) -> None:
        self._membership = membership
        self.used_links: dict[str, datetime] = {}

    def get_profile(self, user_id: str) -> UserProfile | None:
        stored = self._membership.profiles_by_id.get(user_id)
        return stored.profile if stored else None

    def administered_among(self, user_id: str, org_ids: Iterable[str]) -> set[str]:
        members = self._membership.members
        return {
            org_id
            for org_id in org_ids
            if (member := members.get((org_id, user_id))) is not None and member.role is Role.ADMIN
        }

    def organizations(self, org_ids: Iterable[str]) -> list[Organization]:
        return self._membership.organizations(org_ids)

    def save_preferences(self, profile: UserProfile) -> None:
        self._membership._refresh_profile(profile).profile = profile

    def unsubscribe(
        self, user_id: str, org_id: str | None, link_id: str, link_expires_at: datetime, now: datetime
    ) -> None:
        stored = self._membership.profiles_by_id.get(user_id)
        _first_failure((link_id in self.used_links, errors.LinkUsed), (stored is None, errors.InvalidLink))
        preferences = stored.profile.preferences
        preferences = (
            replace(preferences, muted_organizations=preferences.muted_organizations | {org_id})
            if org_id
            else replace(preferences, admin_emails=AdminEmails.OFF)
        )
        stored.profile = replace(stored.profile, preferences=preferences)
        self.used_links[link_id] = now


class InMemoryEmailLedger:
    """Behaves like PynamoEmailLedger: one record per round, written whole, each write
    conditional on the version read. ``writes`` keeps every record written."""

    def __init__(self) -> None:
        self.rounds: dict[tuple[str, str], RoundRecord] = {}
        self.writes: list[RoundRecord] = []

    def read(self, request_id: str, transition: str) -> RoundRecord:
        return self.rounds.get((request_id, transition), RoundRecord(request_id, transition))

    def write(self, record: RoundRecord) -> RoundRecord:
        key = (record.request_id, record.transition)
        if self.read(*key).version != record.version:
            raise RoundChanged(record.request_id)
        stored = replace(record, version=(record.version or 0) + 1)
        self.rounds[key] = stored
        self.writes.append(stored)
        return stored


class RecordingMetrics:
    """Counts in memory what EmfMetrics publishes; ``flushed`` keeps each flush."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self.flushed: list[dict[str, int]] = []

    def count(self, name: str, value: int = 1) -> None:
        self.counts[name] += value

    def flush(self) -> None:
        self.flushed.append(dict(self.counts))


class FakeSleep:
    """The sleep and clock ports: sleeping only advances time, and is recorded."""

    def __init__(self, start: float = 1_000_000.0) -> None:
        self.now = start
        self.pauses: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.pauses.append(seconds)
        self.now += seconds

    def clock(self) -> float:
        return self.now


class FakeDirectory:
    """Organizations, admins, profiles and the current status of requests, as the notifier
    reads them. A request is pending unless ``statuses`` says otherwise (set it to
    close one, or to None for a request that does not exist)."""

    def __init__(
        self, organization: Organization, admins: list[Membership], profiles: list[UserProfile]
    ) -> None:
        self.organization = organization
        self._admins = admins
        self._profiles = {profile.user_id: profile for profile in profiles}
        self.admin_limits: list[int] = []
        self.statuses: dict[str, RequestStatus | None] = {}
        #: (request id, user ids) of each combined read
        self.status_reads: list[tuple[str, list[str]]] = []

    def get_organization(self, org_id: str) -> Organization:
        assert org_id == self.organization.id
        return self.organization

    def admins(self, org_id: str, limit: int) -> list[Membership]:
        self.admin_limits.append(limit)
        return self._admins[:limit]

    def profiles(self, user_ids) -> dict[str, UserProfile]:
        return {user_id: self._profiles[user_id] for user_id in user_ids if user_id in self._profiles}

    def request_status_and_profiles(self, org_id: str, request_id: str, user_ids):
        assert org_id == self.organization.id
        user_ids = list(user_ids)
        self.status_reads.append((request_id, user_ids))
        return self.statuses.get(request_id, RequestStatus.PENDING), self.profiles(user_ids)

    def request_statuses(self, requests) -> dict[tuple[str, str], RequestStatus]:
        found = {
            (org_id, request_id): self.statuses.get(request_id, RequestStatus.PENDING)
            for org_id, request_id in requests
        }
        return {key: status for key, status in found.items() if status is not None}
