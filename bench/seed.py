"""Large organizations and long histories, built with the application's own item builders
(``chalicelib.persistence.items``' ``*_item`` functions over the PynamoDB models) and written
straight into the emulator: 300,000 items through the API would take hours."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from chalicelib.domain import (
    Membership,
    MembershipRequest,
    Organization,
    RequestStatus,
    Role,
    UserProfile,
    UserRef,
)

EPOCH = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
ACTORS = 10
COMMENT = "Je publie les jeux de données de ma collectivité et souhaite rejoindre l'organisation."


def _id(prefix: str, number: int) -> str:
    """An id of the application's shape (32 hex digits), readable in the seed."""
    return f"{prefix}{number:0{32 - len(prefix)}x}"


def org_id(number: int) -> str:
    return _id("0a", number)


def request_id(org_number: int, number: int) -> str:
    return _id(f"{org_number:02x}b", number)


def profile(user_id: str, locale: str = "fr") -> UserProfile:
    return UserProfile(user_id, f"User {user_id}", f"{user_id}@example.org", locale)


@dataclass
class SeededOrganization:
    """What a benchmark needs to know of a seeded organization."""

    id: str
    name: str
    admins: list[str]
    editors: list[str]
    requesters: list[str]
    request_ids: list[str]
    items: list[dict[str, Any]] = field(default_factory=list, repr=False)


def organization(
    number: int,
    *,
    members: int,
    pending: int,
    admins: int = 3,
    name: str | None = None,
    first_members: tuple[str, ...] = (),
) -> SeededOrganization:
    """An organization of ``members`` members (the ``admins`` earliest are admins) and
    ``pending`` pending requests, each with its lock item. Profiles (their own partitions,
    which no measured operation of a bystander reads) only for the admins and the first
    ``ACTORS`` editors and requesters, who act or are emailed in the benchmark. User ids
    have a fixed width, so that item sizes do not grow with the organization."""
    from chalicelib.persistence import items

    oid = org_id(number)
    prefix = f"o{number}"
    seeded = SeededOrganization(oid, name or f"Organisation {number}", [], [], [], [])
    created = EPOCH
    organization_item = items.organization_item(
        Organization(
            oid,
            seeded.name,
            "Données publiques",
            created,
            members_count=members,
            admins_count=min(admins, members),
            pending_count=pending,
        ),
        f"{prefix}m000000",
    )
    organization_item.pending_count = pending
    seeded.items.append(organization_item.serialize())
    for i in range(members):
        user_id = first_members[i] if i < len(first_members) else f"{prefix}m{i:06d}"
        role = Role.ADMIN if i < admins else Role.EDITOR
        (seeded.admins if role is Role.ADMIN else seeded.editors).append(user_id)
        seeded.items.append(
            items.membership_item(
                Membership(oid, user_id, f"User {user_id}", role, created + timedelta(seconds=i), seeded.name)
            ).serialize()
        )
        if i < admins + ACTORS:
            seeded.items.append(items.profile_item(profile(user_id)).serialize())
    for j in range(pending):
        user_id = f"{prefix}r{j:06d}"
        request = MembershipRequest(
            request_id(number, j),
            oid,
            UserRef(user_id, f"User {user_id}"),
            COMMENT,
            RequestStatus.PENDING,
            created + timedelta(days=1, seconds=j),
        )
        seeded.requesters.append(user_id)
        seeded.request_ids.append(request.id)
        seeded.items.append(items.request_item(request).serialize())
        seeded.items.append(items.pending_item(request).serialize())
        if j < ACTORS:
            requester = items.profile_item(profile(user_id))
            requester.pending_count = 1
            seeded.items.append(requester.serialize())
    return seeded


def history(user_id: str, requests: int, first_org: int = 1000) -> Iterator[dict[str, Any]]:
    """A user's ``requests`` past requests, one per organization, all decided or withdrawn."""
    from chalicelib.persistence import items

    statuses = (RequestStatus.ACCEPTED, RequestStatus.REFUSED, RequestStatus.WITHDRAWN)
    yield items.profile_item(profile(user_id)).serialize()
    for k in range(requests):
        status = statuses[k % len(statuses)]
        created = EPOCH - timedelta(days=requests - k)
        request = MembershipRequest(
            request_id(0xFF, k),
            org_id(first_org + k),
            UserRef(user_id, f"User {user_id}"),
            COMMENT,
            status,
            created,
        )
        item = items.request_item(request)
        item.decided_at = created + timedelta(hours=2)
        if status is not RequestStatus.WITHDRAWN:
            item.decided_by_id, item.decided_by_name = "admin", "An Admin"
        if status is RequestStatus.ACCEPTED:
            item.role = Role.EDITOR.value
        yield item.serialize()


def memberships(user_id: str, count: int, first_org: int = 100_000) -> list[dict[str, Any]]:
    """``count`` organizations ``user_id`` belongs to (admin of every third), each with its
    item and the user's member item: the organizations of someone in many."""
    from chalicelib.persistence import items

    seeded: list[dict[str, Any]] = []
    for k in range(count):
        number = first_org + k
        organization = Organization(
            org_id(number), f"Organisation {number}", "Données publiques", EPOCH, 1, 1, 0
        )
        role = Role.ADMIN if k % 3 == 0 else Role.EDITOR
        since = EPOCH + timedelta(seconds=k)
        seeded.append(items.organization_item(organization, user_id).serialize())
        seeded.append(
            items.membership_item(
                Membership(organization.id, user_id, f"User {user_id}", role, since, organization.name)
            ).serialize()
        )
    return seeded
