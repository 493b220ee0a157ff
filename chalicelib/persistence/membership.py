"""The membership repository: organizations, members, requests and profiles.

It turns missing items and failed conditions into domain errors, so services reason in
domain terms only. Every state change is one transaction; every listing is one ``Query``
page. Keys come from :mod:`chalicelib.persistence.keys`, items from
:mod:`chalicelib.persistence.items`.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import Any

from pynamodb.connection import Connection
from pynamodb.exceptions import GetError

from chalicelib.domain import (
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
from chalicelib.errors import (
    AlreadyMember,
    AskedTooRecently,
    Conflict,
    Forbidden,
    LastAdmin,
    MemberNotFound,
    OrganizationNotFound,
    RequestNotPending,
    RequestPending,
    SettingsChanged,
    TooManyPendingRequests,
)
from chalicelib.persistence import keys
from chalicelib.persistence.cursors import decode_cursor, encode_cursor
from chalicelib.persistence.items import (
    asked_item,
    membership_index_keys,
    membership_item,
    membership_of,
    operator_action_item,
    operator_action_of,
    organization_item,
    organization_of,
    pending_item,
    profile_item,
    profile_of,
    profile_refresh,
    request_item,
    request_of,
    request_status_keys,
)
from chalicelib.persistence.tables import Tables
from chalicelib.persistence.transactions import Writes, commit

_BATCH_READ_ATTEMPTS = 5
_BATCH_GET_KEYS = 100


class PynamoMembershipRepository:
    """Organizations, members, requests and profiles in the single table. ``tables`` are
    the bound models; ``connection`` sends the transactions and multi-item reads."""

    def __init__(
        self, tables: Tables, connection: Connection, sleep: Callable[[float], None] = time.sleep
    ) -> None:
        self._tables = tables
        self._dynamodb = connection
        self._sleep = sleep
        tables.describe_to(connection)

    # -- plumbing ---------------------------------------------------------------------

    def _commit(self, writes: Writes) -> None:
        commit(self._dynamodb, writes, self._sleep)

    def _get_many(self, *wanted_keys: tuple[type, str, str]) -> list[Any | None]:
        """Read a few items of different kinds in one round trip, strongly consistent.

        BatchGetItem, not TransactGetItems: a strongly consistent read costs 1 read unit
        per item (up to 4 KB) where a transactional one costs 2. Both see every write
        acknowledged before them; what the transaction adds, a snapshot of all the items
        at one instant, no caller needs, because every change re-checks its conditions
        inside its own write transaction.
        """
        table = self._tables.table_name
        # A key asked twice (someone acting on themselves) is read once: BatchGetItem refuses duplicates.
        unique = [
            {"PK": {"S": pk}, "SK": {"S": sk}}
            for pk, sk in dict.fromkeys((pk, sk) for _, pk, sk in wanted_keys)
        ]
        found: dict[tuple[str, str], dict[str, Any]] = {}
        # One call per 100 keys, BatchGetItem's limit (only a long list of profiles gets there).
        for start in range(0, len(unique), _BATCH_GET_KEYS):
            wanted = unique[start : start + _BATCH_GET_KEYS]
            for attempt in range(_BATCH_READ_ATTEMPTS):
                data = self._dynamodb.batch_get_item(table, wanted, consistent_read=True)
                for raw in data.get("Responses", {}).get(table, []):
                    found[(raw["PK"]["S"], raw["SK"]["S"])] = raw
                wanted = data.get("UnprocessedKeys", {}).get(table, {}).get("Keys") or []
                if not wanted:
                    break
                # DynamoDB returns keys unprocessed when it throttles: back off and ask again.
                self._sleep(random.uniform(0, 0.05 * 2**attempt))  # noqa: S311 (jitter, not secrecy)
            else:
                raise GetError(f"{len(wanted)} keys left unprocessed after {_BATCH_READ_ATTEMPTS} reads")
        return [
            model_cls.from_raw_data(found[(pk, sk)]) if (pk, sk) in found else None
            for model_cls, pk, sk in wanted_keys
        ]

    # -- organizations ----------------------------------------------------------------

    def create_organization(
        self, organization: Organization, creator: UserProfile, admin: Membership
    ) -> None:
        t = self._tables
        writes = Writes()
        writes.put(
            organization_item(organization, creator.user_id, t.organizations),
            condition=t.organizations.pk.does_not_exist(),
            error=Conflict(),
        )
        writes.put(membership_item(admin, t.members))
        writes.update(profile_item(creator, t.profiles), profile_refresh(creator))
        self._commit(writes)

    def get_organization(self, org_id: str, consistent: bool = False) -> Organization:
        organizations = self._tables.organizations
        try:
            item = organizations.get(keys.org_pk(org_id), keys.ORG_SK, consistent_read=consistent)
        except organizations.DoesNotExist as e:
            raise OrganizationNotFound() from e
        return organization_of(item)

    def get_organization_with_membership(self, org_id: str, user_id: str):
        """The organization and the user's membership, in one read."""
        t, org_pk = self._tables, keys.org_pk(org_id)
        org, member = self._get_many(
            (t.organizations, org_pk, keys.ORG_SK),
            (t.members, org_pk, keys.member_sk(user_id)),
        )
        if org is None:
            raise OrganizationNotFound()
        return organization_of(org), member and membership_of(member)

    def _settings_unchanged(self, version: int):
        """The condition that the organization exists with its settings at ``version``
        (items written before settings existed have no version: 0)."""
        version_attribute = self._tables.organizations.settings_version
        same = version_attribute == version
        if version == 0:
            same = same | version_attribute.does_not_exist()
        return self._tables.organizations.pk.exists() & same

    def update_settings(
        self, acting_admin_id: str, org_id: str, settings: OrganizationSettings, version: int
    ) -> None:
        """Write the whole of ``settings`` over those at ``version``, and count one more
        version; the actor must still be an admin."""
        t = self._tables
        o = t.organizations
        writes = Writes()
        self._require_admin(writes, org_id, acting_admin_id)
        actions = [
            o.requests_open.set(settings.requests_open),
            o.auto_accept_role.set(settings.auto_accept_role.value),
            o.request_expiry_days.set(settings.request_expiry_days),
            o.reminder_days.set(list(settings.reminder_days)),
            o.settings_version.add(1),
            # DynamoDB stores no empty set, and an empty text says no more than none.
            o.request_guidance.set(settings.request_guidance)
            if settings.request_guidance
            else o.request_guidance.remove(),
            o.auto_accept_domains.set(set(settings.auto_accept_domains))
            if settings.auto_accept_domains
            else o.auto_accept_domains.remove(),
        ]
        writes.update(
            o(keys.org_pk(org_id), keys.ORG_SK),
            actions,
            condition=self._settings_unchanged(version),
            error=SettingsChanged(),
        )
        self._commit(writes)

    def get_organization_with_caller(self, org_id: str, user_id: str):
        """The organization, the caller's membership and the caller's pending request."""
        t, org_pk = self._tables, keys.org_pk(org_id)
        org, member, pending = self._get_many(
            (t.organizations, org_pk, keys.ORG_SK),
            (t.members, org_pk, keys.member_sk(user_id)),
            (t.pending, org_pk, keys.pending_sk(user_id)),
        )
        if org is None:
            raise OrganizationNotFound()
        request = None
        if pending is not None:
            request = self.find_request(org_id, pending.request_id)
        return (organization_of(org), member and membership_of(member), request)

    # -- members ----------------------------------------------------------------------

    def find_membership(self, org_id: str, user_id: str) -> Membership | None:
        members = self._tables.members
        try:
            return membership_of(members.get(keys.org_pk(org_id), keys.member_sk(user_id)))
        except members.DoesNotExist:
            return None

    def find_two_memberships(self, org_id: str, first: str, second: str):
        members, org_pk = self._tables.members, keys.org_pk(org_id)
        a, b = self._get_many(
            (members, org_pk, keys.member_sk(first)),
            (members, org_pk, keys.member_sk(second)),
        )
        return (a and membership_of(a), b and membership_of(b))

    def list_members(self, org_id: str, limit: int, cursor: str | None) -> Page[Membership]:
        members, org_pk = self._tables.members, keys.org_pk(org_id)
        only_members = members.sk.startswith(keys.MEMBER_SK_PREFIX)
        return _page(
            members.query, keys.TABLE_KEYS, ("PK", org_pk), only_members, limit, cursor, membership_of
        )

    def change_role(
        self,
        acting_admin_id: str,
        member: Membership,
        role: Role,
    ) -> Membership:
        return self._change_role(member, role, acting_admin_id)

    def _change_role(
        self,
        member: Membership,
        role: Role,
        acting_admin_id: str | None,
        record: OperatorAction | None = None,
    ) -> Membership:
        t, org_pk = self._tables, keys.org_pk(member.organization_id)
        changed = replace(member, role=role)
        index_keys = membership_index_keys(changed)
        writes = Writes()
        if acting_admin_id is not None:
            self._require_admin(writes, member.organization_id, acting_admin_id, exempt=member.user_id)
        writes.update(
            t.members(org_pk, keys.member_sk(member.user_id)),
            [t.members.role.set(role.value)]
            + [getattr(t.members, name).set(value) for name, value in index_keys.items()],
            condition=t.members.role == member.role.value,
            error=Conflict(),
        )
        delta = 1 if role is Role.ADMIN else -1
        writes.update(
            t.organizations(org_pk, keys.ORG_SK),
            [t.organizations.admins_count.add(delta)],
            condition=None if delta > 0 else t.organizations.admins_count > 1,
            error=LastAdmin(),
        )
        if record is not None:
            self._record(writes, record)
        self._commit(writes)
        return changed

    def remove_member(self, acting_user_id: str, member: Membership) -> None:
        t, org_pk = self._tables, keys.org_pk(member.organization_id)
        writes = Writes()
        self._require_admin(writes, member.organization_id, acting_user_id, exempt=member.user_id)
        writes.delete(
            t.members(org_pk, keys.member_sk(member.user_id)),
            condition=t.members.role == member.role.value,
            error=MemberNotFound(),
        )
        org_actions = [t.organizations.members_count.add(-1)]
        condition = None
        if member.role is Role.ADMIN:
            org_actions.append(t.organizations.admins_count.add(-1))
            condition = t.organizations.admins_count > 1
        writes.update(
            t.organizations(org_pk, keys.ORG_SK),
            org_actions,
            condition=condition,
            error=LastAdmin(),
        )
        self._commit(writes)

    def _record(self, writes: Writes, record: OperatorAction) -> None:
        """The record of an operator action, in the transaction of the change it records:
        neither is ever stored without the other. Added last: the change's own conditions
        say why a refused change was refused."""
        model = self._tables.operator_actions
        writes.put(operator_action_item(record, model), condition=model.pk.does_not_exist(), error=Conflict())

    def _require_admin(self, writes: Writes, org_id: str, user_id: str, exempt: str | None = None):
        """Re-check, inside the transaction, that the acting user is still an admin:
        the authorizer's answer may be cached for minutes after a demotion."""
        if user_id == exempt:
            return
        members = self._tables.members
        writes.check(
            members,
            keys.org_pk(org_id),
            keys.member_sk(user_id),
            members.role == Role.ADMIN.value,
            Forbidden(),
        )

    def list_user_organizations(self, user_id: str, limit: int, cursor: str | None) -> Page[Membership]:
        """One Query page of the user's memberships (GSI2), those they administer first."""
        members = self._tables.members
        page = _page(
            members.by_user.query,
            keys.index_keys(2),
            ("GSI2PK", keys.user_pk(user_id)),
            members.gsi2sk.startswith(keys.USER_MEMBERSHIP_PREFIX),
            limit,
            cursor,
            membership_of,
            sort_prefix=("GSI2SK", keys.USER_MEMBERSHIP_PREFIX),
        )
        # Members who joined before their items named the organization: their names are
        # read once, with the page's other such organizations (no call for newer items).
        unnamed = [m.organization_id for m in page.items if not m.organization_name]
        if not unnamed:
            return page
        names = {organization.id: organization.name for organization in self.organizations(unnamed)}
        return Page(
            [
                replace(m, organization_name=m.organization_name or names.get(m.organization_id, ""))
                for m in page.items
            ],
            page.next_cursor,
        )

    def admin_organization_ids(self, user_id: str, limit: int) -> list[str]:
        members = self._tables.members
        results = members.by_user.query(
            keys.user_pk(user_id),
            members.gsi2sk.startswith(keys.user_memberships_prefix(Role.ADMIN)),
            limit=limit,
            page_size=limit,
        )
        return [item.organization_id for item in results]

    def organizations(self, org_ids: Iterable[str]) -> list[Organization]:
        wanted = [(keys.org_pk(org_id), keys.ORG_SK) for org_id in org_ids]
        if not wanted:
            return []
        return [organization_of(item) for item in self._tables.organizations.batch_get(wanted)]

    def admins(self, org_id: str, limit: int) -> list[Membership]:
        results = self._tables.members.by_organization.query(
            keys.members_by_role_pk(org_id, Role.ADMIN),
            limit=limit,
            page_size=limit,
        )
        return [membership_of(item) for item in results]

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
        t, org_pk = self._tables, keys.org_pk(request.organization_id)
        writes = Writes()
        # The organization update doubles as its existence check, and as the check that
        # the settings the request was made under are still the organization's.
        if new_member is None:
            counters = [t.organizations.pending_count.add(1)]
        else:
            counters = [t.organizations.members_count.add(1)]
            if new_member.role is Role.ADMIN:
                counters.append(t.organizations.admins_count.add(1))
        writes.update(
            t.organizations(org_pk, keys.ORG_SK),
            counters,
            condition=t.organizations.pk.exists()
            if settings_version is None
            else self._settings_unchanged(settings_version),
            error=OrganizationNotFound() if settings_version is None else SettingsChanged(),
        )
        if new_member is None:
            writes.check(
                t.members,
                org_pk,
                keys.member_sk(request.user.id),
                t.members.pk.does_not_exist(),
                AlreadyMember(),
            )
            writes.put(
                pending_item(request, t.pending),
                condition=t.pending.pk.does_not_exist(),
                error=RequestPending(),
            )
        else:
            # Accepted at once: the member instead of the lock, and no pending counter.
            writes.put(
                membership_item(new_member, t.members),
                condition=t.members.pk.does_not_exist(),
                error=AlreadyMember(),
            )
            writes.check(
                t.pending,
                org_pk,
                keys.pending_sk(request.user.id),
                t.pending.pk.does_not_exist(),
                RequestPending(),
            )
        writes.put(
            request_item(request, t.requests),
            condition=t.requests.pk.does_not_exist(),
            error=Conflict(),
        )
        asked = asked_item(request, cooldown_seconds, t.asked)

        def asked_too_recently(old: dict[str, Any] | None) -> AskedTooRecently:
            # DynamoDB hands back the item that failed the condition (ALL_OLD), so the
            # wait left is known without another read.
            last = t.asked.from_raw_data(old).asked_at if old else asked.asked_at
            return AskedTooRecently(retry_after_seconds=int(last) + cooldown_seconds - int(asked.asked_at))

        writes.put(
            asked,
            condition=t.asked.pk.does_not_exist() | (t.asked.asked_at <= asked.asked_at - cooldown_seconds),
            error=asked_too_recently,
            return_values="ALL_OLD",
        )
        if new_member is None:
            writes.update(
                profile_item(requester, t.profiles),
                [*profile_refresh(requester), t.profiles.pending_count.add(1)],
                condition=(t.profiles.pending_count < max_pending)
                | t.profiles.pending_count.does_not_exist(),
                error=TooManyPendingRequests(),
            )
        else:
            writes.update(profile_item(requester, t.profiles), profile_refresh(requester))
        self._commit(writes)

    def find_request(self, org_id: str, request_id: str) -> MembershipRequest | None:
        model = self._tables.requests
        try:
            item = model.get(keys.org_pk(org_id), keys.request_sk(request_id))
        except model.DoesNotExist:
            return None
        return request_of(item)

    def find_request_with_membership(self, org_id: str, request_id: str, user_id: str):
        t, org_pk = self._tables, keys.org_pk(org_id)
        request, member = self._get_many(
            (t.requests, org_pk, keys.request_sk(request_id)),
            (t.members, org_pk, keys.member_sk(user_id)),
        )
        return (request and request_of(request), member and membership_of(member))

    def find_request_for_acceptance(self, org_id: str, request_id: str, user_id: str):
        """The request, the user's membership and the organization, in one read: accepting
        writes the organization's name into the new member's item."""
        t, org_pk = self._tables, keys.org_pk(org_id)
        request, member, organization = self._get_many(
            (t.requests, org_pk, keys.request_sk(request_id)),
            (t.members, org_pk, keys.member_sk(user_id)),
            (t.organizations, org_pk, keys.ORG_SK),
        )
        return (
            request and request_of(request),
            member and membership_of(member),
            organization and organization_of(organization),
        )

    def list_organization_requests(
        self, org_id: str, status: RequestStatus, limit: int, cursor: str | None
    ) -> Page[MembershipRequest]:
        query, partition = self._tables.requests.by_organization.query, keys.org_requests_pk(org_id, status)
        return _page(
            query, keys.index_keys(1), ("GSI1PK", partition), None, limit, cursor, request_of, forward=True
        )

    def list_user_requests(
        self, user_id: str, status: RequestStatus | None, limit: int, cursor: str | None
    ) -> Page[MembershipRequest]:
        requests = self._tables.requests
        if status is None:
            # Memberships share this partition (their GSI2SK has another prefix).
            query, number, partition = requests.by_user.query, 2, keys.user_pk(user_id)
            only_requests = requests.gsi2sk.startswith(keys.REQUEST_SK_PREFIX)
            sort_prefix = ("GSI2SK", keys.REQUEST_SK_PREFIX)
        else:
            query, number = requests.by_user_status.query, 3
            partition, only_requests, sort_prefix = keys.user_requests_pk(user_id, status), None, None
        named = (f"GSI{number}PK", partition)
        return _page(
            query,
            keys.index_keys(number),
            named,
            only_requests,
            limit,
            cursor,
            request_of,
            forward=False,
            sort_prefix=sort_prefix,
        )

    def close_request(
        self, request: MembershipRequest, closed: MembershipRequest, new_member: Membership | None = None
    ) -> None:
        """Move a pending request to its final status, with everything that goes with it,
        in one transaction. A decision by an admin is re-checked inside it."""
        self._close_request(request, closed, new_member, check_decider=True)

    def _close_request(
        self,
        request: MembershipRequest,
        closed: MembershipRequest,
        new_member: Membership | None,
        check_decider: bool,
        record: OperatorAction | None = None,
    ) -> None:
        t, org_pk = self._tables, keys.org_pk(request.organization_id)
        writes = Writes()
        if check_decider and closed.decided_by is not None:
            self._require_admin(writes, request.organization_id, closed.decided_by.id)
        actions = [
            t.requests.status.set(closed.status.value),
            t.requests.decided_at.set(closed.decided_at),
            # Out of the schedule (GSI4): nothing is due of a decided request.
            t.requests.gsi4pk.remove(),
            t.requests.gsi4sk.remove(),
        ] + [
            getattr(t.requests, name).set(value)
            for name, value in request_status_keys(
                request.organization_id, request.user.id, closed.status
            ).items()
        ]
        if closed.role is not None:
            actions.append(t.requests.role.set(closed.role.value))
        if closed.reason:
            actions.append(t.requests.reason.set(closed.reason))
        if closed.decided_by is not None:
            actions.append(t.requests.decided_by_id.set(closed.decided_by.id))
            actions.append(t.requests.decided_by_name.set(closed.decided_by.name))
        writes.update(
            t.requests(org_pk, keys.request_sk(request.id)),
            actions,
            condition=t.requests.status == RequestStatus.PENDING.value,
            error=RequestNotPending(),
        )
        writes.delete(t.pending(org_pk, keys.pending_sk(request.user.id)))
        org_actions = [t.organizations.pending_count.add(-1)]
        if new_member is not None:
            writes.put(
                membership_item(new_member, t.members),
                condition=t.members.pk.does_not_exist(),
                error=AlreadyMember(),
            )
            org_actions.append(t.organizations.members_count.add(1))
            if new_member.role is Role.ADMIN:
                org_actions.append(t.organizations.admins_count.add(1))
        writes.update(t.organizations(org_pk, keys.ORG_SK), org_actions)
        writes.update(
            t.profiles(keys.user_pk(request.user.id), keys.PROFILE_SK), [t.profiles.pending_count.add(-1)]
        )
        if record is not None:
            self._record(writes, record)
        self._commit(writes)

    # -- profiles ---------------------------------------------------------------------

    def profiles(self, user_ids: Iterable[str]) -> dict[str, UserProfile]:
        wanted = [(keys.user_pk(user_id), keys.PROFILE_SK) for user_id in dict.fromkeys(user_ids)]
        if not wanted:
            return {}
        return {
            profile.user_id: profile for profile in map(profile_of, self._tables.profiles.batch_get(wanted))
        }

    def request_status_and_profiles(
        self, org_id: str, request_id: str, user_ids: Iterable[str]
    ) -> tuple[RequestStatus | None, dict[str, UserProfile]]:
        """A request's status as it is now (None if there is no such request) and the
        profiles of ``user_ids``, in one strongly consistent read: the stream learns whether
        a new request is still pending for the price of the profiles it reads anyway."""
        user_ids = list(dict.fromkeys(user_ids))
        t, org_pk = self._tables, keys.org_pk(org_id)
        request, *profiles = self._get_many(
            (t.requests, org_pk, keys.request_sk(request_id)),
            *((t.profiles, keys.user_pk(user_id), keys.PROFILE_SK) for user_id in user_ids),
        )
        status = RequestStatus(request.status) if request is not None else None
        return status, {profile.user_id: profile for profile in map(profile_of, filter(None, profiles))}

    def request_statuses(self, requests: Iterable[tuple[str, str]]) -> dict[tuple[str, str], RequestStatus]:
        """The status now of each request that exists, in one strongly consistent read
        (per 100): what a notice still lists when it is emailed."""
        wanted = list(dict.fromkeys(requests))
        t = self._tables
        found = self._get_many(
            *((t.requests, keys.org_pk(org_id), keys.request_sk(request_id)) for org_id, request_id in wanted)
        )
        return {
            key: RequestStatus(item.status)
            for key, item in zip(wanted, found, strict=True)
            if item is not None
        }


def _page(
    query,
    key_names,
    partition: tuple[str, str],
    condition,
    limit: int,
    cursor: str | None,
    of,
    *,
    forward=None,
    sort_prefix: tuple[str, str] | None = None,
) -> Page:
    """One ``Query`` page of ``partition`` (its key's name and value) after ``cursor``,
    each item made a domain object by ``of``; ``forward``: oldest first, newest first,
    or DynamoDB's default (None); ``sort_prefix``: the sort key's name and the prefix
    ``condition`` reads, which a cursor must stay under."""
    start = decode_cursor(cursor, key_names, partition, sort_prefix)
    results = query(
        partition[1],
        condition,
        limit=limit,
        page_size=limit,
        last_evaluated_key=start,
        scan_index_forward=forward,
    )
    return Page([of(item) for item in results], encode_cursor(results.last_evaluated_key))


class OperatorMembershipRepository(PynamoMembershipRepository):
    """The repository as the operators' command line uses it (``python -m ops``).

    An operator acts with their own AWS credentials when an organization cannot act for
    itself (it lost its last reachable admin). No acting admin is checked; every other
    invariant still is, inside the same transactions: at least one admin per
    organization, one decision per request. Every change carries the record of the
    operator action (:class:`~chalicelib.domain.OperatorAction`), written in its
    transaction.
    """

    def change_role_by_operator(self, member: Membership, role: Role, record: OperatorAction) -> Membership:
        return self._change_role(member, role, acting_admin_id=None, record=record)

    def close_request_by_operator(
        self,
        request: MembershipRequest,
        closed: MembershipRequest,
        new_member: Membership | None,
        record: OperatorAction,
    ) -> None:
        self._close_request(request, closed, new_member, check_decider=False, record=record)

    def record_operator_action(self, record: OperatorAction) -> None:
        """Record an action whose change is not a write to this table (emails sent, a
        queue drained)."""
        model = self._tables.operator_actions
        operator_action_item(record, model).save(condition=model.pk.does_not_exist())

    def list_members_by_role(
        self, org_id: str, role: Role, limit: int, cursor: str | None
    ) -> Page[Membership]:
        """One page of an organization's members of one role, oldest first (GSI1)."""
        query, partition = self._tables.members.by_organization.query, keys.members_by_role_pk(org_id, role)
        return _page(
            query, keys.index_keys(1), ("GSI1PK", partition), None, limit, cursor, membership_of, forward=True
        )

    def operator_actions_of(self, org_id: str, limit: int, cursor: str | None) -> Page[OperatorAction]:
        """One page of the operator actions on an organization, newest first: its
        history's items (one Query of its partition)."""
        model, org_pk = self._tables.operator_actions, keys.org_pk(org_id)
        in_history = model.sk.startswith(keys.HISTORY_SK_PREFIX)
        return _page(
            model.query,
            keys.TABLE_KEYS,
            ("PK", org_pk),
            in_history,
            limit,
            cursor,
            operator_action_of,
            forward=False,
        )

    def operator_log(self, month: str, limit: int, cursor: str | None) -> Page[OperatorAction]:
        """One page of the operator actions of a month (``YYYY-MM``), newest first (GSI1)."""
        query, partition = self._tables.operator_actions.by_organization.query, keys.operator_log_pk(month)
        return _page(
            query,
            keys.index_keys(1),
            ("GSI1PK", partition),
            None,
            limit,
            cursor,
            operator_action_of,
            forward=False,
        )
