"""DynamoDB persistence for Adhesion, over the PynamoDB models.

The repository is the only code that knows the key design. It turns missing items
and failed conditions into domain errors, so services reason in domain terms only.
Every state change is one transaction; every listing is one ``Query`` page.
"""

from __future__ import annotations

import base64
import binascii
import json
import random
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any

from pynamodb.connection import Connection
from pynamodb.exceptions import (
    CancellationReason,
    GetError,
    PutError,
    PynamoDBException,
    TransactWriteError,
)
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action
from pynamodb.transactions import TransactWrite

from chalicelib.domain import (
    Membership,
    MembershipRequest,
    Organization,
    Page,
    RequestStatus,
    Role,
    UserProfile,
    UserRef,
)
from chalicelib.errors import (
    AlreadyMember,
    AskedTooRecently,
    Conflict,
    DomainError,
    Forbidden,
    InvalidCursor,
    LastAdmin,
    MemberNotFound,
    OrganizationNotFound,
    RequestNotPending,
    RequestPending,
    TooManyPendingRequests,
)
from chalicelib.mail.ledger import LedgerUnavailable, RoundChanged, RoundRecord
from chalicelib.models import (
    EmailRoundModel,
    LastAskedModel,
    MembershipModel,
    MembershipRequestModel,
    OrganizationModel,
    PendingRequestModel,
    UserProfileModel,
)

_CONFLICT_RETRIES = 3
_BATCH_READ_ATTEMPTS = 5
_BATCH_GET_KEYS = 100


def _org_pk(org_id: str) -> str:
    return f"ORG#{org_id}"


def _user_pk(user_id: str) -> str:
    return f"USER#{user_id}"


def _member_sk(user_id: str) -> str:
    return f"MEMBER#{user_id}"


def _round_pk(request_id: str, transition: str) -> str:
    return f"EMAIL#{request_id}#{transition}"


def _request_sk(request_id: str) -> str:
    return f"REQ#{request_id}"


def _pending_sk(user_id: str) -> str:
    return f"PENDING#{user_id}"


_ORG_SK = "ORG"
_PROFILE_SK = "PROFILE"
_ROUND_SK = "ROUND"


# -- model <-> domain ---------------------------------------------------------------------


def _organization(item: OrganizationModel) -> Organization:
    return Organization(
        id=item.organization_id,
        name=item.name,
        description=item.description,
        created_at=item.created_at,
        members_count=int(item.members_count),
        admins_count=int(item.admins_count),
        pending_count=int(item.pending_count),
    )


def _membership(item: MembershipModel) -> Membership:
    return Membership(
        organization_id=item.organization_id,
        user_id=item.user_id,
        name=item.name,
        role=Role(item.role),
        since=item.since,
    )


def membership_request_from_item(item: MembershipRequestModel) -> MembershipRequest:
    decided_by = None
    if item.decided_by_id:
        decided_by = UserRef(id=item.decided_by_id, name=item.decided_by_name or "")
    return MembershipRequest(
        id=item.request_id,
        organization_id=item.organization_id,
        user=UserRef(id=item.user_id, name=item.user_name),
        comment=item.comment,
        status=RequestStatus(item.status),
        created_at=item.created_at,
        role=Role(item.role) if item.role else None,
        reason=item.reason,
        decided_at=item.decided_at,
        decided_by=decided_by,
    )


def _sort_stamp(request: MembershipRequest) -> str:
    return f"{request.created_at.isoformat()}#{request.id}"


def organization_item(organization: Organization, created_by: str) -> OrganizationModel:
    """The item of a new organization (``pending_count`` starts at zero)."""
    return OrganizationModel(
        _org_pk(organization.id),
        _ORG_SK,
        organization_id=organization.id,
        name=organization.name,
        description=organization.description,
        created_at=organization.created_at,
        created_by=created_by,
        members_count=organization.members_count,
        admins_count=organization.admins_count,
        pending_count=0,
    )


def request_item(request: MembershipRequest) -> MembershipRequestModel:
    """The item of a request as it is created, with the keys of its three index entries."""
    stamp = _sort_stamp(request)
    return MembershipRequestModel(
        _org_pk(request.organization_id),
        _request_sk(request.id),
        request_id=request.id,
        organization_id=request.organization_id,
        user_id=request.user.id,
        user_name=request.user.name,
        comment=request.comment,
        status=request.status.value,
        created_at=request.created_at,
        gsi1sk=stamp,
        gsi2pk=_user_pk(request.user.id),
        gsi2sk=f"REQ#{stamp}",
        gsi3sk=stamp,
        **_request_status_keys(request.organization_id, request.user.id, request.status),
    )


def membership_item(membership: Membership) -> MembershipModel:
    """The item of a member, with the keys of its two index entries."""
    return MembershipModel(
        _org_pk(membership.organization_id),
        _member_sk(membership.user_id),
        organization_id=membership.organization_id,
        user_id=membership.user_id,
        name=membership.name,
        role=membership.role.value,
        since=membership.since,
        **_membership_index_keys(membership),
    )


def _membership_index_keys(membership: Membership) -> dict[str, str]:
    org_id, user_id, role = membership.organization_id, membership.user_id, membership.role.value
    return {
        # Oldest first, so the founding admins are the ones emailed when there are many.
        "gsi1pk": f"ORG#{org_id}#ROLE#{role}",
        "gsi1sk": f"{membership.since.isoformat()}#{user_id}",
        "gsi2pk": _user_pk(user_id),
        "gsi2sk": f"MEMBER#{role}#{org_id}",
    }


def _request_status_keys(org_id: str, user_id: str, status: RequestStatus) -> dict[str, str]:
    return {
        "gsi1pk": f"ORG#{org_id}#REQ#{status.value}",
        "gsi3pk": f"USER#{user_id}#REQ#{status.value}",
    }


def profile_item(profile: UserProfile) -> UserProfileModel:
    """The item of a user's profile (updates only use its key)."""
    return UserProfileModel(
        _user_pk(profile.user_id), _PROFILE_SK, name=profile.name, email=profile.email, locale=profile.locale
    )


def _profile(item: UserProfileModel) -> UserProfile:
    return UserProfile(item.pk.removeprefix("USER#"), item.name, item.email, item.locale)


def pending_item(request: MembershipRequest) -> PendingRequestModel:
    """The lock that makes a request the only pending one of its user in its organization."""
    return PendingRequestModel(
        _org_pk(request.organization_id), _pending_sk(request.user.id), request_id=request.id
    )


def _profile_refresh(profile: UserProfile) -> list[Action]:
    return [
        UserProfileModel.name.set(profile.name),
        UserProfileModel.email.set(profile.email),
        UserProfileModel.locale.set(profile.locale),
    ]


# -- cursors ------------------------------------------------------------------------------


def _encode_cursor(last_evaluated_key: dict[str, Any] | None) -> str | None:
    if not last_evaluated_key:
        return None
    raw = json.dumps(last_evaluated_key, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str | None, key_names: set[str], partition: tuple[str, str]):
    """Check that a cursor is one this listing could have issued, so a forged one
    cannot make DynamoDB fail or read another partition."""
    if cursor is None:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        key = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
    except (ValueError, UnicodeError, binascii.Error) as e:
        raise InvalidCursor() from e
    if not isinstance(key, dict) or set(key) != key_names:
        raise InvalidCursor()
    for value in key.values():
        if not (
            isinstance(value, dict)
            and set(value) == {"S"}
            and isinstance(value["S"], str)
            and 0 < len(value["S"]) <= 1024
        ):
            raise InvalidCursor()
    name, expected = partition
    if key[name]["S"] != expected:
        raise InvalidCursor()
    return key


_TABLE_KEYS = {"PK", "SK"}


def _index_keys(number: int) -> set[str]:
    return _TABLE_KEYS | {f"GSI{number}PK", f"GSI{number}SK"}


# -- transactions -------------------------------------------------------------------------


# What a conditional step stands for when its condition fails: a domain error, or a
# function of the item that failed it.
_StepError = DomainError | Callable[[dict[str, Any] | None], DomainError] | None


@dataclass
class _Writes:
    """A transaction under construction that remembers which domain error each
    conditional step stands for.

    PynamoDB sends condition checks, deletes, puts and updates in that order, and
    DynamoDB reports one cancellation reason per item in the order sent; when
    several conditions fail, the error of the step added first wins, so callers
    add steps in the order their errors should be reported.
    """

    groups: dict[str, list[tuple[int, tuple, _StepError]]] = field(
        default_factory=lambda: {"check": [], "delete": [], "put": [], "update": []}
    )

    def _add(self, kind: str, args: tuple, error: _StepError) -> None:
        self.groups[kind].append((sum(map(len, self.groups.values())), args, error))

    def check(self, model_cls, hash_key, range_key, condition: Condition, error: DomainError):
        self._add("check", (model_cls, hash_key, range_key, condition), error)

    def delete(self, item, condition: Condition | None = None, error: DomainError | None = None):
        self._add("delete", (item, condition), error)

    def put(
        self,
        item,
        condition: Condition | None = None,
        error: _StepError = None,
        return_values: str | None = None,
    ):
        self._add("put", (item, condition, return_values), error)

    def update(
        self,
        item,
        actions: list[Action],
        condition: Condition | None = None,
        error: DomainError | None = None,
    ):
        self._add("update", (item, actions, condition), error)

    def apply(self, transaction: TransactWrite) -> None:
        for _, (model_cls, hash_key, range_key, condition), _ in self.groups["check"]:
            transaction.condition_check(model_cls, hash_key, range_key, condition=condition)
        for _, (item, condition), _ in self.groups["delete"]:
            transaction.delete(item, condition=condition)
        for _, (item, condition, return_values), _ in self.groups["put"]:
            transaction.save(item, condition=condition, return_values=return_values)
        for _, (item, actions, condition), _ in self.groups["update"]:
            transaction.update(item, actions=actions, condition=condition)

    def first_failure(self, reasons: list[CancellationReason | None]) -> DomainError | None:
        """The error of the earliest-added step whose condition failed; a step whose
        error is a function gets the item that failed the condition (if it asked for it
        with ``return_values="ALL_OLD"``)."""
        sent = [step for kind in ("check", "delete", "put", "update") for step in self.groups[kind]]
        failed = [
            (order, error, reason)
            for (order, _, error), reason in zip(sent, reasons, strict=False)
            if reason is not None and reason.code == "ConditionalCheckFailed"
        ]
        if not failed:
            return None
        _, error, reason = min(failed, key=lambda step: step[0])
        if callable(error):
            return error(reason.raw_item)
        return error or Conflict()


class PynamoMembershipRepository:
    """Organizations, members, requests and profiles in the single table."""

    def __init__(self, connection: Connection, sleep: Callable[[float], None] = time.sleep) -> None:
        self._connection = connection
        self._sleep = sleep

    # -- plumbing ---------------------------------------------------------------------

    def _commit(self, writes: _Writes) -> None:
        for attempt in range(_CONFLICT_RETRIES + 1):
            try:
                with TransactWrite(connection=self._connection) as transaction:
                    writes.apply(transaction)
                return
            except TransactWriteError as e:
                reasons = e.cancellation_reasons or []
                codes = [reason.code if reason else None for reason in reasons]
                error = writes.first_failure(reasons)
                if error is not None:
                    raise error from e
                if "TransactionConflict" not in codes:
                    raise
                if attempt == _CONFLICT_RETRIES:
                    raise Conflict() from e
                # Another transaction held one of our items; they are short, so a
                # jittered pause is enough for it to finish.
                self._sleep(random.uniform(0, 0.05 * 2**attempt))  # noqa: S311 (jitter, not secrecy)

    def _get_many(self, *keys: tuple[type, str, str]) -> list[Any | None]:
        """Read a few items of different kinds in one round trip, strongly consistent.

        BatchGetItem, not TransactGetItems: a strongly consistent read costs 1 read unit
        per item (up to 4 KB) where a transactional one costs 2. Both see every write
        acknowledged before them; what the transaction adds, a snapshot of all the items
        at one instant, no caller needs, because every change re-checks its conditions
        inside its own write transaction.
        """
        table = OrganizationModel.Meta.table_name
        # Every model lives in the one table with the same keys; any model's connection
        # knows its schema, so no DescribeTable is ever needed.
        connection = OrganizationModel._get_connection()
        # A key asked twice (someone acting on themselves) is read once: BatchGetItem refuses duplicates.
        unique = [
            {"PK": {"S": pk}, "SK": {"S": sk}} for pk, sk in dict.fromkeys((pk, sk) for _, pk, sk in keys)
        ]
        found: dict[tuple[str, str], dict[str, Any]] = {}
        # One call per 100 keys, BatchGetItem's limit (only a long list of profiles gets there).
        for start in range(0, len(unique), _BATCH_GET_KEYS):
            wanted = unique[start : start + _BATCH_GET_KEYS]
            for attempt in range(_BATCH_READ_ATTEMPTS):
                data = connection.batch_get_item(wanted, consistent_read=True)
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
            for model_cls, pk, sk in keys
        ]

    # -- organizations ----------------------------------------------------------------

    def create_organization(
        self, organization: Organization, creator: UserProfile, admin: Membership
    ) -> None:
        writes = _Writes()
        writes.put(
            organization_item(organization, creator.user_id),
            condition=OrganizationModel.pk.does_not_exist(),
            error=Conflict(),
        )
        writes.put(membership_item(admin))
        writes.update(profile_item(creator), _profile_refresh(creator))
        self._commit(writes)

    def get_organization(self, org_id: str) -> Organization:
        try:
            return _organization(OrganizationModel.get(_org_pk(org_id), _ORG_SK))
        except OrganizationModel.DoesNotExist as e:
            raise OrganizationNotFound() from e

    def get_organization_with_caller(self, org_id: str, user_id: str):
        """The organization, the caller's membership and the caller's pending request."""
        org, member, pending = self._get_many(
            (OrganizationModel, _org_pk(org_id), _ORG_SK),
            (MembershipModel, _org_pk(org_id), _member_sk(user_id)),
            (PendingRequestModel, _org_pk(org_id), _pending_sk(user_id)),
        )
        if org is None:
            raise OrganizationNotFound()
        request = None
        if pending is not None:
            request = self.find_request(org_id, pending.request_id)
        return (_organization(org), member and _membership(member), request)

    # -- members ----------------------------------------------------------------------

    def find_membership(self, org_id: str, user_id: str) -> Membership | None:
        try:
            return _membership(MembershipModel.get(_org_pk(org_id), _member_sk(user_id)))
        except MembershipModel.DoesNotExist:
            return None

    def find_two_memberships(self, org_id: str, first: str, second: str):
        a, b = self._get_many(
            (MembershipModel, _org_pk(org_id), _member_sk(first)),
            (MembershipModel, _org_pk(org_id), _member_sk(second)),
        )
        return (a and _membership(a), b and _membership(b))

    def list_members(self, org_id: str, limit: int, cursor: str | None) -> Page[Membership]:
        start = _decode_cursor(cursor, _TABLE_KEYS, ("PK", _org_pk(org_id)))
        results = MembershipModel.query(
            _org_pk(org_id),
            MembershipModel.sk.startswith("MEMBER#"),
            limit=limit,
            page_size=limit,
            last_evaluated_key=start,
        )
        items = [_membership(item) for item in results]
        return Page(items, _encode_cursor(results.last_evaluated_key))

    def change_role(
        self,
        acting_admin_id: str,
        member: Membership,
        role: Role,
    ) -> Membership:
        return self._change_role(member, role, acting_admin_id)

    def _change_role(self, member: Membership, role: Role, acting_admin_id: str | None) -> Membership:
        changed = Membership(member.organization_id, member.user_id, member.name, role, member.since)
        keys = _membership_index_keys(changed)
        writes = _Writes()
        if acting_admin_id is not None:
            self._require_admin(writes, member.organization_id, acting_admin_id, exempt=member.user_id)
        writes.update(
            MembershipModel(_org_pk(member.organization_id), _member_sk(member.user_id)),
            [MembershipModel.role.set(role.value)]
            + [getattr(MembershipModel, name).set(value) for name, value in keys.items()],
            condition=MembershipModel.role == member.role.value,
            error=Conflict(),
        )
        delta = 1 if role is Role.ADMIN else -1
        writes.update(
            OrganizationModel(_org_pk(member.organization_id), _ORG_SK),
            [OrganizationModel.admins_count.add(delta)],
            condition=None if delta > 0 else OrganizationModel.admins_count > 1,
            error=LastAdmin(),
        )
        self._commit(writes)
        return changed

    def remove_member(self, acting_user_id: str, member: Membership) -> None:
        writes = _Writes()
        self._require_admin(writes, member.organization_id, acting_user_id, exempt=member.user_id)
        writes.delete(
            MembershipModel(_org_pk(member.organization_id), _member_sk(member.user_id)),
            condition=MembershipModel.role == member.role.value,
            error=MemberNotFound(),
        )
        org_actions = [OrganizationModel.members_count.add(-1)]
        condition = None
        if member.role is Role.ADMIN:
            org_actions.append(OrganizationModel.admins_count.add(-1))
            condition = OrganizationModel.admins_count > 1
        writes.update(
            OrganizationModel(_org_pk(member.organization_id), _ORG_SK),
            org_actions,
            condition=condition,
            error=LastAdmin(),
        )
        self._commit(writes)

    @staticmethod
    def _require_admin(writes: _Writes, org_id: str, user_id: str, exempt: str | None = None):
        """Re-check, inside the transaction, that the acting user is still an admin:
        the authorizer's answer may be cached for minutes after a demotion."""
        if user_id == exempt:
            return
        writes.check(
            MembershipModel,
            _org_pk(org_id),
            _member_sk(user_id),
            MembershipModel.role == Role.ADMIN.value,
            Forbidden(),
        )

    def admin_organization_ids(self, user_id: str, limit: int) -> list[str]:
        results = MembershipModel.by_user.query(
            _user_pk(user_id),
            MembershipModel.gsi2sk.startswith(f"MEMBER#{Role.ADMIN.value}#"),
            limit=limit,
            page_size=limit,
        )
        return [item.organization_id for item in results]

    def organizations(self, org_ids: Iterable[str]) -> list[Organization]:
        keys = [(_org_pk(org_id), _ORG_SK) for org_id in org_ids]
        if not keys:
            return []
        return [_organization(item) for item in OrganizationModel.batch_get(keys)]

    def admins(self, org_id: str, limit: int) -> list[Membership]:
        results = MembershipModel.by_organization.query(
            f"ORG#{org_id}#ROLE#{Role.ADMIN.value}",
            limit=limit,
            page_size=limit,
        )
        return [_membership(item) for item in results]

    # -- requests ---------------------------------------------------------------------

    def create_request(
        self, request: MembershipRequest, requester: UserProfile, max_pending: int, cooldown_seconds: int
    ) -> None:
        org_pk = _org_pk(request.organization_id)
        writes = _Writes()
        # The organization update doubles as its existence check.
        writes.update(
            OrganizationModel(org_pk, _ORG_SK),
            [OrganizationModel.pending_count.add(1)],
            condition=OrganizationModel.pk.exists(),
            error=OrganizationNotFound(),
        )
        writes.check(
            MembershipModel,
            org_pk,
            _member_sk(request.user.id),
            MembershipModel.pk.does_not_exist(),
            AlreadyMember(),
        )
        writes.put(
            pending_item(request),
            condition=PendingRequestModel.pk.does_not_exist(),
            error=RequestPending(),
        )
        writes.put(
            request_item(request),
            condition=MembershipRequestModel.pk.does_not_exist(),
            error=Conflict(),
        )
        asked_at = int(request.created_at.timestamp())

        def asked_too_recently(old: dict[str, Any] | None) -> AskedTooRecently:
            # DynamoDB hands back the item that failed the condition (ALL_OLD), so the
            # wait left is known without another read.
            last = LastAskedModel.from_raw_data(old).asked_at if old else asked_at
            return AskedTooRecently(retry_after_seconds=int(last) + cooldown_seconds - asked_at)

        writes.put(
            LastAskedModel(
                org_pk,
                f"ASKED#{request.user.id}",
                asked_at=asked_at,
                expires_at=datetime.fromtimestamp(asked_at + cooldown_seconds, tz=UTC),
            ),
            condition=LastAskedModel.pk.does_not_exist()
            | (LastAskedModel.asked_at <= asked_at - cooldown_seconds),
            error=asked_too_recently,
            return_values="ALL_OLD",
        )
        writes.update(
            profile_item(requester),
            [*_profile_refresh(requester), UserProfileModel.pending_count.add(1)],
            condition=(UserProfileModel.pending_count < max_pending)
            | UserProfileModel.pending_count.does_not_exist(),
            error=TooManyPendingRequests(),
        )
        self._commit(writes)

    def find_request(self, org_id: str, request_id: str) -> MembershipRequest | None:
        try:
            item = MembershipRequestModel.get(_org_pk(org_id), _request_sk(request_id))
        except MembershipRequestModel.DoesNotExist:
            return None
        return membership_request_from_item(item)

    def find_request_with_membership(self, org_id: str, request_id: str, user_id: str):
        request, member = self._get_many(
            (MembershipRequestModel, _org_pk(org_id), _request_sk(request_id)),
            (MembershipModel, _org_pk(org_id), _member_sk(user_id)),
        )
        return (request and membership_request_from_item(request), member and _membership(member))

    def list_organization_requests(
        self, org_id: str, status: RequestStatus, limit: int, cursor: str | None
    ) -> Page[MembershipRequest]:
        partition = f"ORG#{org_id}#REQ#{status.value}"
        start = _decode_cursor(cursor, _index_keys(1), ("GSI1PK", partition))
        results = MembershipRequestModel.by_organization.query(
            partition,
            limit=limit,
            page_size=limit,
            last_evaluated_key=start,
            scan_index_forward=True,
        )
        items = [membership_request_from_item(item) for item in results]
        return Page(items, _encode_cursor(results.last_evaluated_key))

    def list_user_requests(
        self, user_id: str, status: RequestStatus | None, limit: int, cursor: str | None
    ) -> Page[MembershipRequest]:
        if status is None:
            # Memberships share this partition (GSI2SK MEMBER#...); requests are REQ#...
            index, number, partition = MembershipRequestModel.by_user, 2, _user_pk(user_id)
            only_requests = MembershipRequestModel.gsi2sk.startswith("REQ#")
        else:
            index, number = MembershipRequestModel.by_user_status, 3
            partition, only_requests = f"USER#{user_id}#REQ#{status.value}", None
        start = _decode_cursor(cursor, _index_keys(number), (f"GSI{number}PK", partition))
        results = index.query(
            partition,
            only_requests,
            limit=limit,
            page_size=limit,
            last_evaluated_key=start,
            scan_index_forward=False,
        )
        items = [membership_request_from_item(item) for item in results]
        return Page(items, _encode_cursor(results.last_evaluated_key))

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
    ) -> None:
        org_pk = _org_pk(request.organization_id)
        writes = _Writes()
        if check_decider and closed.decided_by is not None:
            self._require_admin(writes, request.organization_id, closed.decided_by.id)
        actions = [
            MembershipRequestModel.status.set(closed.status.value),
            MembershipRequestModel.decided_at.set(closed.decided_at),
        ] + [
            getattr(MembershipRequestModel, name).set(value)
            for name, value in _request_status_keys(
                request.organization_id, request.user.id, closed.status
            ).items()
        ]
        if closed.role is not None:
            actions.append(MembershipRequestModel.role.set(closed.role.value))
        if closed.reason:
            actions.append(MembershipRequestModel.reason.set(closed.reason))
        if closed.decided_by is not None:
            actions.append(MembershipRequestModel.decided_by_id.set(closed.decided_by.id))
            actions.append(MembershipRequestModel.decided_by_name.set(closed.decided_by.name))
        writes.update(
            MembershipRequestModel(org_pk, _request_sk(request.id)),
            actions,
            condition=MembershipRequestModel.status == RequestStatus.PENDING.value,
            error=RequestNotPending(),
        )
        writes.delete(PendingRequestModel(org_pk, _pending_sk(request.user.id)))
        org_actions = [OrganizationModel.pending_count.add(-1)]
        if new_member is not None:
            writes.put(
                membership_item(new_member),
                condition=MembershipModel.pk.does_not_exist(),
                error=AlreadyMember(),
            )
            org_actions.append(OrganizationModel.members_count.add(1))
            if new_member.role is Role.ADMIN:
                org_actions.append(OrganizationModel.admins_count.add(1))
        writes.update(OrganizationModel(org_pk, _ORG_SK), org_actions)
        writes.update(
            UserProfileModel(_user_pk(request.user.id), _PROFILE_SK), [UserProfileModel.pending_count.add(-1)]
        )
        self._commit(writes)

    # -- operator support (the ops command line) ------------------------------------
    # An operator acts with their own AWS credentials when an organization cannot act
    # for itself (it lost its last reachable admin). No acting admin is checked; every
    # other invariant still is, inside the same transactions: at least one admin per
    # organization, one decision per request.

    def change_role_by_operator(self, member: Membership, role: Role) -> Membership:
        return self._change_role(member, role, acting_admin_id=None)

    def close_request_by_operator(
        self, request: MembershipRequest, closed: MembershipRequest, new_member: Membership | None = None
    ) -> None:
        self._close_request(request, closed, new_member, check_decider=False)

    # -- profiles ---------------------------------------------------------------------

    def profiles(self, user_ids: Iterable[str]) -> dict[str, UserProfile]:
        keys = [(_user_pk(user_id), _PROFILE_SK) for user_id in dict.fromkeys(user_ids)]
        if not keys:
            return {}
        return {profile.user_id: profile for profile in map(_profile, UserProfileModel.batch_get(keys))}

    def request_status_and_profiles(
        self, org_id: str, request_id: str, user_ids: Iterable[str]
    ) -> tuple[RequestStatus | None, dict[str, UserProfile]]:
        """A request's status as it is now (None if there is no such request) and the
        profiles of ``user_ids``, in one strongly consistent read: the stream learns whether
        a new request is still pending for the price of the profiles it reads anyway."""
        user_ids = list(dict.fromkeys(user_ids))
        request, *profiles = self._get_many(
            (MembershipRequestModel, _org_pk(org_id), _request_sk(request_id)),
            *((UserProfileModel, _user_pk(user_id), _PROFILE_SK) for user_id in user_ids),
        )
        status = RequestStatus(request.status) if request is not None else None
        return status, {profile.user_id: profile for profile in map(_profile, filter(None, profiles))}


class PynamoEmailLedger:
    """Keeps one record per round (request, transition): who was sent, who was given up,
    whether the round is handled (the :class:`~chalicelib.mail.ledger.EmailLedger` port).

    Every DynamoDB failure other than a failed version check becomes
    :class:`~chalicelib.mail.ledger.LedgerUnavailable`, which the notifier retries.
    """

    def __init__(self, ttl_seconds: int, clock: Callable[[], float] = time.time) -> None:
        self._ttl = ttl_seconds
        self._clock = clock

    def read(self, request_id: str, transition: str) -> RoundRecord:
        try:
            item = EmailRoundModel.get(_round_pk(request_id, transition), _ROUND_SK, consistent_read=True)
        except EmailRoundModel.DoesNotExist:
            return RoundRecord(request_id, transition)
        except PynamoDBException as e:
            raise LedgerUnavailable(f"read: {e.cause_response_code or e}") from e
        return RoundRecord(
            request_id,
            transition,
            sent=frozenset(item.sent or ()),
            failed=MappingProxyType(item.failed.as_dict() if item.failed else {}),
            handled=bool(item.handled),
            version=item.version,
        )

    def write(self, record: RoundRecord) -> RoundRecord:
        item = EmailRoundModel(
            _round_pk(record.request_id, record.transition),
            _ROUND_SK,
            sent=set(record.sent) or None,
            failed=dict(record.failed) or None,
            handled=record.handled,
            expires_at=datetime.fromtimestamp(self._clock() + self._ttl, tz=UTC),
        )
        if record.version is not None:
            item.version = record.version
        try:
            # The model's version attribute makes this put conditional on the version read.
            item.save()
        except PutError as e:
            if e.cause_response_code == "ConditionalCheckFailedException":
                raise RoundChanged(record.request_id) from e
            raise LedgerUnavailable(f"write: {e.cause_response_code or e}") from e
        return replace(record, version=item.version)
